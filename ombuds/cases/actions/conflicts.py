"""Who is kept out of a case (R3): linking named people to the directory, keep-out requests, directory changes."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.audit.models import EventType
from ombuds.cases import content
from ombuds.cases.actions._base import MAX_NARRATIVE, ActionError, check, clean_text, locked, staff_record
from ombuds.cases.actions._routing import recompute_conflicts, route_around_conflicts
from ombuds.cases.models import Case, Conflict, ConflictReason, InvolvedPerson
from ombuds.cases.permissions import Act
from ombuds.directory.models import Person


def link_person(*, mention: InvolvedPerson, actor: User, person: Person) -> InvolvedPerson:
    """A handler links a typed name to a directory person; the conflict set follows."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        case = locked(mention.report.case)
        check(actor, case, Act.LINK_PERSON)
        mention = InvolvedPerson.objects.select_for_update().get(pk=mention.pk)
        if mention.person_id is not None:
            # A link, above all the reporter's own pick, is never replaced: that would let
            # one handler take the accused and their chain out of the conflict set.
            raise ActionError(_("This name is already linked to the directory."))
        mention.person = person
        mention.save(update_fields=["person"])
        staff_record(EventType.PERSON_LINKED, case=case, actor=actor, at=now, mention=mention.pk, person=person.pk)
        recompute_conflicts(case, at=now, actor=actor)
    return mention


def add_conflict(*, case: Case, actor: User, person: Person, note: str) -> Conflict:
    """A handler keeps someone out of a case, with a reason."""
    now = timezone.now()
    note = clean_text(note, name=_("reason"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Act.ADD_CONFLICT)
        conflict, _created = Conflict.objects.get_or_create(
            case=case,
            person=person,
            reason=ConflictReason.HANDLER,
            defaults={"added_by": actor, "note": content.seal(note, model=Conflict, field="note")},
        )
        staff_record(EventType.CONFLICT_ADDED, case=case, actor=actor, at=now, person=person.pk)
        route_around_conflicts(case, at=now)
    return conflict


def _recompute_all(now: datetime) -> int:
    changed = 0
    # Closed cases too: a new manager of the accused must not read an old case either.
    case_ids = InvolvedPerson.objects.filter(person__isnull=False).values_list("report__case_id", flat=True).distinct()
    for case_id in list(case_ids):
        with transaction.atomic(durable=True):
            case = Case.objects.select_for_update().get(pk=case_id)
            if recompute_conflicts(case, at=now):
                changed += 1
    return changed


def directory_changed(*, now: datetime | None = None) -> int:
    """Recompute the conflict set of every case that names a directory person.

    Called after a directory import or a new staff link: a new manager of an accused
    person loses access at once. Returns the number of cases whose set changed. Each
    case is its own transaction, so a long recomputation never holds the others up.
    """
    return _recompute_all(now or timezone.now())
