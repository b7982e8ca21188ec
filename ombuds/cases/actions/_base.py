"""What every action shares: the refusal type, text checks, locking, deadlines and the audit helper.

Nothing here is an entry point: these helpers run inside the transaction an action
opened, and an action never calls another public action, only these.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.audit import log
from ombuds.audit.models import ActorKind, EventType
from ombuds.cases import content, keyring, permissions
from ombuds.cases.models import Case, Message, Organisation, Report, Sender
from ombuds.cases.permissions import Step
from ombuds.cases.workflow import RULES, Transition
from ombuds.crypto import keys

MAX_NARRATIVE = 50_000
MAX_SHORT = 200
MAX_PEOPLE = 20


class ActionError(ValueError):
    """The action was refused; the message is safe to show to the person who asked."""


def reporter_moment(*, anonymous: bool, now: datetime | None = None) -> datetime:
    """The time stored for something a reporter did.

    For an anonymous reporter only the day is kept (the start of that day in the
    organisation's time zone): an exact time could be matched against door logs,
    badge readers or calendars and name her.
    """
    now = now or timezone.now()
    if not anonymous:
        return now
    # The organisation's zone, read here rather than taken from the request: the API and
    # the web pages must store the same day (ombuds.core.organisation activates it for pages).
    zone = zoneinfo.ZoneInfo(Organisation.objects.only("time_zone").get(pk=1).zone_name())
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time.min, tzinfo=zone)


def clean_text(value: str, *, name: str, max_length: int, required: bool = False) -> str:
    text = value.strip()
    if required and not text:
        raise ActionError(_("%(field)s must not be empty") % {"field": name})
    if len(text) > max_length:
        raise ActionError(_("%(field)s is longer than %(max)d characters") % {"field": name, "max": max_length})
    if "\x00" in text:
        raise ActionError(_("%(field)s contains a character that cannot be stored") % {"field": name})
    return text


def refresh_deadlines(case: Case) -> None:
    """Recompute the stored next deadline from the case's pending ones (no save)."""
    pending = case.pending_deadlines()
    case.next_deadline_at = pending[0][1] if pending else None


def locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def check(actor: User, case: Case, step: Step, *, assignee: User | None = None) -> None:
    """Refuse unless ombuds.cases.permissions allows `actor` to take `step` on `case` now."""
    if not permissions.may_take(actor, case, step, assignee=assignee):
        raise ActionError(_("This step is not possible for this case now."))


def target_status(transition: Transition) -> str:
    """The status a transition reaches, from the workflow table."""
    target = RULES[transition].target
    assert target is not None, f"{transition} does not change the status"
    return target


def staff_record(event: EventType, *, case: Case, actor: User, at: datetime, **detail: Any) -> None:
    log.record(event, at=at, case_id=case.pk, actor_kind=ActorKind.STAFF, actor_id=actor.pk, detail=detail)


def system_record(event: EventType, *, case: Case, at: datetime, actor: User | None = None, **detail: Any) -> None:
    log.record(
        event,
        at=at,
        case_id=case.pk,
        actor_kind=ActorKind.STAFF if actor is not None else ActorKind.SYSTEM,
        actor_id=actor.pk if actor is not None else None,
        detail=detail,
    )


def reporter_record(event: EventType, *, case: Case, at: datetime, **detail: Any) -> None:
    log.record(event, at=at, case_id=case.pk, actor_kind=ActorKind.REPORTER, detail=detail)


def first_action(case: Case, now: datetime) -> None:
    if case.first_action_at is None:
        case.first_action_at = now


def reporter_language(case: Case) -> str:
    first = case.reports.order_by("submitted_at", "id").first()
    return first.language if first else settings.LANGUAGE_CODE


def next_position(case: Case) -> int:
    """The next place in the case's conversation and files. The caller holds the case's row lock."""
    case.last_position += 1
    Case.objects.filter(pk=case.pk).update(last_position=case.last_position)
    return case.last_position


@dataclass(frozen=True)
class Box:
    """A case's content as one action writes and reads it: the case and its data key."""

    case: Case
    key: keys.DataKey | None

    def seal(self, value: str, model: type[models.Model], field: str) -> str:
        return content.seal(value, key=self.key, case=self.case, model=model, field=field)

    def open(self, value: str, model: type[models.Model], field: str) -> str:
        return content.open(value, key=self.key, case=self.case, model=model, field=field)


def staff_box(actor: User, case: Case) -> Box:
    """The case's content for a staff action; refused while her key cannot open the case.

    That happens when she was given the case moments ago and her grant is still
    pending, or when her key is locked (she logged in before keys existed): she is told
    what to do rather than shown an error.
    """
    try:
        return Box(case, keyring.require_staff_key(actor, case))
    except keyring.KeyUnavailable:
        raise ActionError(
            _(
                "You cannot open this case's content yet. Access is given when someone who can read it next "
                "uses ombuds; if you can read other cases, log out and log in again."
            )
        ) from None


def reporter_box(report: Report, case: Case) -> Box:
    key = keyring.reporter_data_key(report)
    if key is None and case.sealed:
        raise ActionError(_("Your session has ended. Open your report again with your receipt."))
    return Box(case, key)


def tell_reporter(case: Case, actor: User, body: str, *, now: datetime, feedback: bool, box: Box) -> Message:
    message = Message.objects.create(
        case=case,
        position=next_position(case),
        sender=Sender.STAFF,
        author=actor,
        sent_at=now,
        body=box.seal(body, Message, "body"),
        is_feedback=feedback,
    )
    if feedback and case.feedback_given_at is None:
        case.feedback_given_at = now
    return message


def save_case(case: Case) -> None:
    refresh_deadlines(case)
    case.save()
