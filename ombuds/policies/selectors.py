"""Reads: published policies for everyone, and the acknowledgement report for administrators."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Prefetch, QuerySet
from django.utils.safestring import SafeString

from ombuds.directory.models import Person, PersonStatus, Unit
from ombuds.lib import languages
from ombuds.policies.actions import unit_scope
from ombuds.policies.markdown import render
from ombuds.policies.models import (
    AcknowledgementRequest,
    Policy,
    PolicyText,
    PolicyVersion,
    TrainingAttendance,
)

# --- for everyone --------------------------------------------------------------------


def published_versions() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(published_at__isnull=False)


@dataclass(frozen=True)
class Shown:
    """A version as a reader sees it, in her language if it has one."""

    slug: str
    number: int
    title: str
    body: SafeString
    language: str
    # True when the text is not in the reader's language (a language added after publishing).
    other_language: bool
    published_at: datetime
    superseded_at: datetime | None


def text_for(version: PolicyVersion, language: str) -> PolicyText | None:
    texts = {text.language: text for text in version.texts.all()}
    chosen = languages.pick(list(texts), language)
    return texts[chosen] if chosen is not None else None


def shown(version: PolicyVersion, language: str) -> Shown | None:
    text = text_for(version, language)
    if text is None or version.published_at is None:
        return None
    return Shown(
        slug=version.policy.slug,
        number=version.number,
        title=text.title,
        body=render(text.body),
        language=text.language,
        other_language=text.language != language,
        published_at=version.published_at,
        superseded_at=version.superseded_at,
    )


def current_policies(language: str) -> list[Shown]:
    """Every policy's current published version, in the reader's language, in the administrators' order."""
    versions = (
        published_versions()
        .filter(superseded_at__isnull=True)
        .select_related("policy")
        .prefetch_related("texts")
        .order_by("policy__position", "policy__slug")
    )
    return [item for item in (shown(version, language) for version in versions) if item is not None]


def public_version(slug: str, number: int | None = None) -> PolicyVersion | None:
    """A published version of a policy (the current one when no number is given); drafts are never public."""
    versions = published_versions().filter(policy__slug=slug).select_related("policy").prefetch_related("texts")
    if number is None:
        return versions.filter(superseded_at__isnull=True).first()
    return versions.filter(number=number).first()


def history(policy: Policy) -> list[PolicyVersion]:
    return list(published_versions().filter(policy=policy).order_by("-number"))


# --- the acknowledgement report --------------------------------------------------------


ACKNOWLEDGED = "acknowledged"
WAITING = "waiting"
NOT_ASKED = "not_asked"


@dataclass
class PersonRow:
    employee_id: str
    name: str
    email: str
    unit: str
    state: str  # ACKNOWLEDGED, WAITING or NOT_ASKED
    requested_at: datetime | None
    acknowledged_at: datetime | None
    reminders: int
    training: list[tuple[str, date]] = field(default_factory=list)


@dataclass
class UnitRow:
    """A unit's counts, its sub-units included."""

    path: str
    depth: int
    people: int = 0
    acknowledged: int = 0
    waiting: int = 0
    not_asked: int = 0
    trained: int = 0


@dataclass
class Report:
    version: PolicyVersion
    unit: Unit | None
    course: str
    people: list[PersonRow]
    units: list[UnitRow]
    totals: UnitRow


def courses() -> list[str]:
    return sorted(set(TrainingAttendance.objects.values_list("session__course", flat=True)))


def acknowledgement_report(version: PolicyVersion, *, unit: Unit | None = None, course: str = "") -> Report:
    """Who of the directory's current people (everyone but leavers) has acknowledged `version`, and their training.

    A unit includes its sub-units, in the people listed and in every count. `course`
    narrows the training shown (and counted as "trained") to that course; empty means any.
    """
    people = Person.objects.exclude(status=PersonStatus.LEFT).select_related("unit")
    if unit is not None:
        people = people.filter(unit_scope(unit))
    attendances = TrainingAttendance.objects.select_related("session").order_by("session__held_on")
    if course:
        attendances = attendances.filter(session__course=course)
    people = people.prefetch_related(Prefetch("training", queryset=attendances, to_attr="courses"))
    requests = {
        row.person_id: row
        for row in AcknowledgementRequest.objects.filter(version=version).only(
            "person_id", "requested_at", "acknowledged_at", "reminders_sent"
        )
    }
    rows: list[PersonRow] = []
    units: dict[str, UnitRow] = {}
    totals = UnitRow(path="", depth=0)
    base_depth = unit.path.count("/") if unit is not None else -1
    for person in people.order_by("unit__path", "name", "employee_id").iterator(chunk_size=2000):
        request = requests.get(person.pk)
        if request is None:
            state = NOT_ASKED
        elif request.acknowledged_at is not None:
            state = ACKNOWLEDGED
        else:
            state = WAITING
        training = [(attendance.session.course, attendance.session.held_on) for attendance in person.courses]
        path = person.unit.path if person.unit is not None else ""
        rows.append(
            PersonRow(
                employee_id=person.employee_id,
                name=person.name,
                email=person.email,
                unit=path,
                state=state,
                requested_at=request.requested_at if request else None,
                acknowledged_at=request.acknowledged_at if request else None,
                reminders=request.reminders_sent if request else 0,
                training=training,
            )
        )
        counted = [totals]
        if path:
            parts = path.split("/")
            for depth in range(max(base_depth, 0), len(parts)):
                prefix = "/".join(parts[: depth + 1])
                if prefix not in units:
                    units[prefix] = UnitRow(path=prefix, depth=depth - max(base_depth, 0))
                counted.append(units[prefix])
        for counter in counted:
            counter.people += 1
            setattr(counter, state, getattr(counter, state) + 1)
            counter.trained += 1 if training else 0
    return Report(
        version=version,
        unit=unit,
        course=course,
        people=rows,
        units=[units[path] for path in sorted(units)],
        totals=totals,
    )


def units_in_scope() -> list[Unit]:
    return list(Unit.objects.order_by("path"))


def requests_by_state(version: PolicyVersion) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for acknowledged in AcknowledgementRequest.objects.filter(version=version).values_list(
        "acknowledged_at", flat=True
    ):
        counts[ACKNOWLEDGED if acknowledged else WAITING] += 1
    return dict(counts)
