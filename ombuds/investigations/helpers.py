"""What the investigation's actions share with the case's own: naming investigators, alleging, the finding.

Nothing here is an entry point. These helpers run inside the transaction an action
opened, with the case locked and the step checked: ombuds.cases.actions.steps uses them
when an investigation is opened and when the case is decided, ombuds.cases.actions._routing
when conflicts change, and ombuds.investigations.actions for everything else. They import
only the shared helpers of ombuds.cases.actions, never an action, so either side may be
loaded first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Max, Model
from django.utils.translation import gettext as _

from ombuds.audit.models import EventType
from ombuds.cases import conflicts, notify, permissions
from ombuds.cases.actions._base import (
    MAX_NARRATIVE,
    MAX_PEOPLE,
    MAX_SHORT,
    ActionError,
    Box,
    clean_text,
    staff_record,
    system_record,
)
from ombuds.cases.models import Case, Category, Finding, InvolvedPerson, PersonRole
from ombuds.directory.models import Person
from ombuds.investigations.models import Allegation, Investigator


@dataclass(frozen=True)
class NewAllegation:
    """An allegation to record: against a person the report names as accused (`person_id`), or one named now."""

    conduct: str
    person_id: int | None = None
    name: str = ""
    employee_id: str = ""
    # One of the categories; empty for the case's own.
    category: str = ""


def next_number(model: type[Model], case: Case) -> int:
    """The next A-, T-, I- or E- number of the case. The caller holds the case's row lock."""
    last = model._default_manager.filter(case=case).aggregate(last=Max("number"))["last"]
    return int(last or 0) + 1


def active_investigators(case: Case) -> list[Investigator]:
    return list(Investigator.objects.filter(case=case, released_at__isnull=True).select_related("user"))


def name_investigator(case: Case, *, actor: User, user: User, now: datetime) -> Investigator | None:
    """Name `user` to investigate `case`; None when already named. The caller syncs the key grants."""
    if not permissions.may_be_investigator(user, case):
        if user.is_active and conflicts.is_conflicted(user, case):
            raise ActionError(_("This person is conflicted on this case and cannot investigate it."))
        raise ActionError(_("Only active staff with the investigator role can be named to investigate."))
    if Investigator.objects.filter(case=case, user=user, released_at__isnull=True).exists():
        return None
    named = Investigator.objects.create(case=case, user=user, named_by=actor, named_at=now)
    staff_record(EventType.INVESTIGATOR_NAMED, case=case, actor=actor, at=now, investigator=user.pk)
    if user.pk != actor.pk:
        notify.queue(notify.Kind.INVESTIGATOR_NAMED, case=case, recipients=[user], now=now)
    return named


def release_conflicted(case: Case, *, at: datetime) -> None:
    """Release the investigators who are now conflicted on the case (the directory or the people named changed).

    They lost sight of the case the moment the conflict was recorded; this makes it
    plain in the roster and the trail. Their key grants go with the caller's sync.
    """
    blocked = set(conflicts.conflicted_users(case).values_list("pk", flat=True))
    for named in Investigator.objects.filter(case=case, released_at__isnull=True, user_id__in=blocked):
        named.released_at = at
        named.save(update_fields=["released_at"])
        system_record(EventType.INVESTIGATOR_RELEASED, case=case, at=at, investigator=named.user_id, conflict=True)


def _subject(case: Case, new: NewAllegation, box: Box) -> tuple[InvolvedPerson, bool]:
    """The person an allegation is about, and whether they were added to the case now."""
    if new.person_id is not None:
        person = (
            InvolvedPerson.objects.filter(report__case=case, pk=new.person_id).first()
            if 0 < new.person_id < 2**63
            else None
        )
        if person is None:
            raise ActionError(_("No such person is named on this case."))
        if person.role != PersonRole.ACCUSED:
            raise ActionError(
                _(
                    "An allegation is about a person named as the one who did it. This person was named in "
                    "another role: add them as a new person instead."
                )
            )
        return person, False
    name = clean_text(new.name, name=_("person's name"), max_length=MAX_SHORT, required=True)
    employee_id = new.employee_id.replace("\x00", "").strip()[:64]
    directory = None
    if employee_id:
        directory = Person.objects.filter(employee_id=employee_id).first()
        if directory is None:
            raise ActionError(_("No person in the directory has this employee id."))
    report = case.reports.order_by("submitted_at", "id").first()
    if report is None:
        raise ActionError(_("This case has no report to add a person to."))
    named = InvolvedPerson.objects.filter(report=report)
    if named.count() >= MAX_PEOPLE:
        raise ActionError(_("at most %(n)d people can be named") % {"n": MAX_PEOPLE})
    position = (named.aggregate(last=Max("position"))["last"] or 0) + 1
    person = InvolvedPerson.objects.create(
        report=report,
        role=PersonRole.ACCUSED,
        position=position,
        person=directory,
        name=box.seal(name, InvolvedPerson, "name"),
    )
    return person, True


def allege(case: Case, new: NewAllegation, *, actor: User, now: datetime, box: Box) -> tuple[Allegation, bool]:
    """Record one allegation; (the allegation, whether a person was added to the case).

    A person added now is named as accused, so the caller recomputes the conflict set:
    they and their management chain are kept out of the case at once (R3).
    """
    conduct = clean_text(new.conduct, name=_("conduct alleged"), max_length=MAX_NARRATIVE, required=True)
    category = new.category or case.category
    if category not in Category.values:
        raise ActionError(_("unknown category"))
    subject, added = _subject(case, new, box)
    allegation = Allegation.objects.create(
        case=case,
        number=next_number(Allegation, case),
        subject=subject,
        category=category,
        created_by=actor,
        created_at=now,
        conduct=box.seal(conduct, Allegation, "conduct"),
    )
    staff_record(
        EventType.ALLEGATION_ADDED,
        case=case,
        actor=actor,
        at=now,
        allegation=allegation.pk,
        person=subject.pk,
        person_added=added,
    )
    return allegation, added


def open_investigation(
    case: Case,
    *,
    actor: User,
    investigators: Sequence[User],
    allegations: Sequence[NewAllegation],
    now: datetime,
    box: Box,
) -> bool:
    """Name the investigators and record the allegations of an investigation being opened.

    Returns whether people were added to the case (the caller recomputes conflicts,
    then calls `check_opened`). An investigation opened again (after a reopening) keeps
    what it had: then no new investigator or allegation is needed.
    """
    for user in investigators:
        name_investigator(case, actor=actor, user=user, now=now)
    added = False
    for new in allegations:
        _allegation, person_added = allege(case, new, actor=actor, now=now, box=box)
        added = added or person_added
    return added


def check_opened(case: Case) -> None:
    """Refuse an investigation without an investigator or without an allegation to decide."""
    if not Investigator.objects.filter(case=case, released_at__isnull=True).exists():
        raise ActionError(_("Name at least one investigator who is not conflicted on this case."))
    if not Allegation.objects.filter(case=case).exists():
        raise ActionError(_("Record at least one allegation: who, and the conduct alleged."))


def derive_finding(findings: Iterable[str]) -> str:
    """The case's finding from its allegations': substantiated if any is, else inconclusive if any is."""
    found = set(findings)
    if Finding.SUBSTANTIATED in found:
        return Finding.SUBSTANTIATED
    if Finding.INCONCLUSIVE in found:
        return Finding.INCONCLUSIVE
    return Finding.NOT_SUBSTANTIATED


def case_finding(case: Case, requested: str) -> str:
    """The finding the case is decided with.

    A case with allegations takes it from theirs, once every one has a finding (one
    given that differs is refused). A case without allegations (opened before they
    were recorded) is decided with the finding given, as before.
    """
    rows = list(Allegation.objects.filter(case=case).order_by("number").values_list("number", "finding"))
    if not rows:
        if requested not in Finding.values:
            raise ActionError(_("Choose a finding."))
        return requested
    missing = [f"A-{number}" for number, finding in rows if not finding]
    if missing:
        raise ActionError(
            _("Record a finding for every allegation first (still open: %(labels)s).") % {"labels": ", ".join(missing)}
        )
    derived = derive_finding(finding for _number, finding in rows)
    if requested and requested != derived:
        raise ActionError(
            _("The case's finding follows from the allegations' findings: %(finding)s.")
            % {"finding": Finding(derived).label}
        )
    return derived
