"""A data-subject access request: what ombuds holds about one person concerned (GDPR art. 15).

The person is a directory person named in reports as accused, witness or otherwise. The
document lists, per case the producing oversight member may read, the person's role, the
allegations about them with their findings, the decisions about them, their own interviews'
minutes and their own responses. The reporter's account, her name and contact, and every
other person's name are left out: the account as a whole (its wording identifies her), the
names wherever they occur in the texts given (replaced by "[removed]"), as the Whistleblower
Directive's art. 16 (the reporter's identity) and art. 22 (the persons concerned) require.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.accounts.roles import Role, roles_of
from ombuds.audit import log
from ombuds.audit.models import ActorKind, EventType
from ombuds.cases import access
from ombuds.cases.actions import ActionError
from ombuds.cases.actions._base import Box, staff_box
from ombuds.cases.models import Case, InvolvedPerson, Report
from ombuds.directory.models import Person
from ombuds.investigations.models import Allegation, ConcernedResponse, Interview
from ombuds.outcomes.models import AccusedOutcome
from ombuds.watch.models import ReporterLink

REMOVED = "[removed]"
FORMAT = "ombuds-subject-access-v1"


def _redactor(names: set[str]) -> re.Pattern[str] | None:
    """What removes the names: each whole, and each of their words alone ("Jane" and "Doe" of "Jane Doe").

    A word in Latin letters counts from 3 letters and only as a whole word (not "Ann"
    inside "Annual"); one in another script from 2 (a Chinese name is often two
    characters, and such scripts put no spaces between words). Longest first, so
    "Ann Lee" goes before "Ann". Removing too much is the safe side here.
    """
    words: set[str] = set()
    for name in names:
        name = name.strip()
        words.update([name, *name.split()])
    usable = sorted({w for w in words if len(w) >= (3 if w.isascii() else 2)}, key=len, reverse=True)
    if not usable:
        return None
    return re.compile("|".join(_as_word(w) for w in usable), re.IGNORECASE)


def _as_word(word: str) -> str:
    """The word's pattern: bounded by non-letters where it starts or ends with a Latin letter or digit."""
    start = r"(?<![A-Za-z0-9])" if word[0].isascii() and word[0].isalnum() else ""
    end = r"(?![A-Za-z0-9])" if word[-1].isascii() and word[-1].isalnum() else ""
    return start + re.escape(word) + end


def _others(case: Case, box: Box, own: set[int], own_people: set[int]) -> set[str]:
    """The names of everyone but the person: the reporters (name and contact), the others named, other interviewees."""
    names: set[str] = set()
    for report in Report.objects.filter(case=case):
        names.add(box.open(report.reporter_name, Report, "reporter_name"))
        names.add(box.open(report.reporter_contact, Report, "reporter_contact"))
    for named in InvolvedPerson.objects.filter(report__case=case).exclude(pk__in=own):
        names.add(box.open(named.name, InvolvedPerson, "name"))
        if named.person is not None:
            names.add(named.person.name)
    for interview in Interview.objects.filter(case=case).exclude(interviewee_person__in=own):
        names.add(box.open(interview.interviewee_name, Interview, "interviewee_name"))
    # A named reporter's directory record, once staff linked her: her name as the directory has it.
    for link in ReporterLink.objects.filter(case=case):
        record = Person.objects.filter(employee_id=box.open(link.employee_id, ReporterLink, "employee_id")).first()
        if record is not None and record.pk not in own_people:
            names.add(record.name)
    return names


def _case_part(case: Case, person: Person, actor: User) -> dict[str, Any]:
    box = staff_box(actor, case)
    mine = list(InvolvedPerson.objects.filter(report__case=case, person=person))
    own = {m.pk for m in mine}
    own_names = {box.open(m.name, InvolvedPerson, "name") for m in mine} | {person.name}
    pattern = _redactor(_others(case, box, own, {person.pk}) - own_names)

    def text(value: str, model: type[Any], field: str) -> str:
        opened = box.open(value, model, field)
        return pattern.sub(REMOVED, opened) if pattern is not None else opened

    return {
        "case": case.reference,
        "category": case.category,
        "status": case.status,
        "received_on": case.received_at.date().isoformat(),
        "closed_on": case.closed_at.date().isoformat() if case.closed_at else None,
        "roles": sorted({m.role for m in mine}),
        "allegations": [
            {
                "number": a.number,
                "category": a.category,
                "conduct": text(a.conduct, Allegation, "conduct"),
                "finding": a.finding,
                "finding_reasoning": text(a.finding_reasoning, Allegation, "finding_reasoning"),
            }
            for a in Allegation.objects.filter(case=case, subject__in=own).order_by("number")
        ],
        "decisions": [
            {
                "sanctions": list(o.sanctions),
                "rehire": o.rehire,
                "state": o.state,
                "reason": text(o.reason, AccusedOutcome, "reason"),
            }
            for o in AccusedOutcome.objects.filter(case=case, person__in=own).order_by("proposed_at", "pk")
        ],
        "interviews": [
            {
                "number": i.number,
                "held_on": i.held_at.date().isoformat(),
                "minutes": text(i.minutes, Interview, "minutes"),
            }
            for i in Interview.objects.filter(case=case, interviewee_person__in=own).order_by("number")
        ],
        "responses": [
            {"received_on": r.received_on.isoformat(), "response": text(r.response, ConcernedResponse, "response")}
            for r in ConcernedResponse.objects.filter(case=case, subject__in=own).order_by("received_on", "pk")
        ],
    }


def produce(*, person: Person, actor: User, now: datetime | None = None) -> bytes:
    """The JSON document for `person`, produced by `actor` (oversight); the production is audited.

    Only cases the actor may read are opened (not those she is conflicted on, nor held
    reports nobody may read); how many others name the person is said, so another
    member of the oversight body can produce their part.
    """
    if Role.OVERSIGHT not in roles_of(actor):
        raise ActionError(_("Only the oversight body can answer a subject access request."))
    now = now or timezone.now()
    named = Case.objects.filter(reports__people__person=person).distinct()
    readable = list(access.visible_cases(actor).filter(pk__in=named.values("pk")).order_by("received_at", "pk"))
    others = named.exclude(pk__in=[c.pk for c in readable]).filter(erasure__isnull=True, held_in_escrow=False)
    document = {
        "format": FORMAT,
        "produced_at": now.isoformat(),
        "person": {"employee_id": person.employee_id, "name": person.name, "email": person.email},
        "cases": [_case_part(case, person, actor) for case in readable],
        "cases_left_out": others.count(),
    }
    with transaction.atomic():
        log.record(
            EventType.SUBJECT_ACCESS_PRODUCED,
            at=now,
            case_id=None,
            actor_kind=ActorKind.STAFF,
            actor_id=actor.pk,
            detail={"person": person.pk, "cases": [c.pk for c in readable]},
        )
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
