"""Keeping a case's conflict set and its routing in line with the directory (R3).

Helpers for the actions that change who is named, who is linked, or who is kept out;
they run inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from ombuds.accounts.roles import APPROVERS
from ombuds.audit.models import EventType
from ombuds.cases import conflicts, keyring, notify, routing
from ombuds.cases.actions._base import ActionError, system_record
from ombuds.cases.models import Case, Conflict, ConflictReason
from ombuds.directory.models import Person
from ombuds.investigations import helpers as investigation


def recompute_conflicts(case: Case, *, at: datetime, actor: User | None = None) -> bool:
    """Bring the stored conflict set in line with the directory; act on what changed.

    Returns whether the set changed. A conflicted assignee is removed at once, and a
    case no unconflicted handler can take goes to oversight. A case held in escrow is
    left alone: nobody may hear of it, and its release computes them (actions.escrow).
    """
    if case.held_in_escrow:
        return False
    wanted = conflicts.compute(case)
    have = conflicts.stored(case)
    added, removed = wanted - have, have - wanted
    for entry in removed:
        Conflict.objects.filter(case=case, person_id=entry.person_id, reason=entry.reason).delete()
    for entry in added:
        Conflict.objects.update_or_create(
            case=case, person_id=entry.person_id, reason=entry.reason, defaults={"via_id": entry.via_id}
        )
    if added or removed:
        system_record(
            EventType.CONFLICTS_CHANGED,
            case=case,
            at=at,
            actor=actor,
            added=sorted(e.person_id for e in added),
            removed=sorted(e.person_id for e in removed),
        )
    route_around_conflicts(case, at=at)
    if added or removed:
        # The newly conflicted lose their grant at once; anyone let back in waits for a reader.
        keyring.sync_grants(case, None, now=at, by=actor)
    if (added or removed) and routing.oversight_conflicted(case):
        # Her own keep-out requests or the accused's chain reach the whole oversight body:
        # her status page now points her to the organisation's fallback contact.
        system_record(EventType.OVERSIGHT_CONFLICTED, case=case, at=at, actor=actor)
    return bool(added or removed)


def refuse_keeping_out_approvers(case: Case, *, actor: User) -> None:
    """Refuse a change by one staff member that would shut the people who check the handling out of the case.

    Called after a staff member's change to who is named (a link to the directory, a
    person added as accused) and before the conflict set follows it. The people it names,
    and the management chain of an accused, are kept out at once (R3), with two limits
    (R2), as for a keep-out request:

    - it may not name a lead handler or oversight member (other than the actor) as the
      accused or as someone the reporter keeps out: one person alone could so shut out
      whoever would check them. That goes through a keep-out request a second person
      decides (propose_keep_out); once approved, the name can be linked. Being in the
      accused's management chain is no such naming: that follows the directory.
    - it may not leave the case without anyone on the oversight body.
    """
    new = conflicts.compute(case) - conflicts.stored(case)
    if not new:
        return
    users = dict(
        Person.objects.filter(pk__in={entry.person_id for entry in new}, user__isnull=False).values_list(
            "pk", "user_id"
        )
    )
    checkers = {user.pk: user for user in conflicts.unconflicted(list(routing.users_with(APPROVERS)), case)}
    named = sorted(
        {
            checkers[user_id].email
            for entry in new
            if entry.reason != ConflictReason.MANAGER
            and (user_id := users.get(entry.person_id)) in checkers
            and user_id != actor.pk
        }
    )
    if named:
        raise ActionError(
            _(
                "This names %(who)s, who checks the handling of cases, as the person who did it or as someone "
                "to keep out. One person alone may not do that: ask for it with a keep-out request, which "
                "another lead handler or oversight member decides; once it is approved, the name can be linked."
            )
            % {"who": ", ".join(named)}
        )
    oversight = routing.oversight(case)
    out = set(users.values())
    if oversight and all(user.pk in out for user in oversight):
        raise ActionError(_("Refused: this would leave the case without anyone on the oversight body."))


def route_around_conflicts(case: Case, *, at: datetime) -> None:
    if case.assignee is not None and conflicts.is_conflicted(case.assignee, case):
        previous = case.assignee_id
        case.assignee = None
        case.save(update_fields=["assignee"])
        system_record(EventType.UNASSIGNED_FOR_CONFLICT, case=case, at=at, previous=previous)
    investigation.release_conflicted(case, at=at)
    if case.is_open() and not case.routed_to_oversight and routing.nobody_can_handle(case):
        case.routed_to_oversight = True
        case.save(update_fields=["routed_to_oversight"])
        system_record(EventType.ROUTED_TO_OVERSIGHT, case=case, at=at)
        # The real time decides when the notice may go (batched for an anonymous reporter).
        notify.queue(notify.Kind.ESCALATED, case=case, recipients=routing.oversight(case))
