"""Every change the retaliation watch and accountability for inaction make, in one place.

The same rules as ombuds.cases.actions: each entry point is one durable transaction with
keyword-only arguments, asks ombuds.cases.permissions, seals what staff write with the
case's key (ombuds.cases.content, through the case's Box), and writes its audit event in
the same transaction. `raise_flags` is the exception: it runs inside the directory
import's transaction (ombuds.watch.watcher), as the system.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.audit.models import EventType
from ombuds.cases import notify, routing
from ombuds.cases.actions import ActionError
from ombuds.cases.actions._base import (
    MAX_NARRATIVE,
    Box,
    check,
    clean_text,
    locked,
    staff_box,
    staff_record,
    system_record,
)
from ombuds.cases.actions.opening import Involved, open_case
from ombuds.cases.models import Case, Category, PersonRole
from ombuds.cases.permissions import Act
from ombuds.directory.models import Person
from ombuds.directory.observers import RecordChange
from ombuds.watch import accountability, protection, secrecy
from ombuds.watch.models import FlagState, LinkedCase, LinkKind, ReporterLink, RetaliationFlag, Subject

# --- Linking a named reporter to her directory record -------------------------------------


def link_reporter(*, case: Case, actor: User, person: Person) -> ReporterLink:
    """Staff link the named reporter of a case to her directory record, so the watch follows it.

    Never for an anonymous reporter, and never replaced once made (like the links of the
    people she named). The audit event names the report, not the person: the trail is
    in clear, and who reported must not be.
    """
    now = timezone.now()
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Act.LINK_REPORTER)
        report = case.reports.order_by("submitted_at", "id").first()
        if report is None or report.anonymous:
            raise ActionError(_("An anonymous reporter is never linked to the directory."))
        if ReporterLink.objects.filter(report=report).exists():
            raise ActionError(_("The reporter is already linked to the directory."))
        box = staff_box(actor, case)
        link = ReporterLink.objects.create(
            case=case,
            report=report,
            person_digest=secrecy.person_digest(person.pk),
            employee_id=box.seal(person.employee_id, ReporterLink, "employee_id"),
            linked_by=actor,
            linked_at=now,
        )
        staff_record(EventType.REPORTER_LINKED, case=case, actor=actor, at=now, report=report.pk)
    return link


# --- Flags, raised by the directory import -------------------------------------------------


def _names(employee_ids: Iterable[str]) -> dict[str, str]:
    wanted = {employee_id for employee_id in employee_ids if employee_id}
    return dict(Person.objects.filter(employee_id__in=wanted).values_list("employee_id", "name"))


def _change_document(record: RecordChange, subject: str) -> dict[str, Any]:
    changes = protection.adverse(record)
    managers = _names(value for c in changes if c.field == "manager" for value in (c.old, c.new))
    return {
        "subject": subject,
        "employee_id": record.employee_id,
        "name": record.name,
        "changes": [
            {
                "field": c.field,
                "old": c.old,
                "new": c.new,
                # A manager is named as well as numbered, as the import found them.
                **(
                    {"old_name": managers.get(c.old, ""), "new_name": managers.get(c.new, "")}
                    if c.field == "manager"
                    else {}
                ),
            }
            for c in changes
        ],
    }


def raise_flags(
    records: list[RecordChange], *, entries: list[protection.Watched], import_id: int, at: datetime
) -> list[RetaliationFlag]:
    """Raise a flag on each case watching a person whose record changed in a way that may be adverse.

    Runs in the directory import's transaction, as the system: the change is encrypted
    under the watch key (the import holds no case's key), and oversight is told by e-mail,
    with the case's reference only.
    """
    raised: list[RetaliationFlag] = []
    for record in records:
        if not protection.adverse(record):
            continue
        digest = None
        for entry in entries:
            if entry.person_id is not None:
                if entry.person_id != record.person_id:
                    continue
            else:
                digest = digest or secrecy.person_digest(record.person_id)
                if entry.digest != digest:
                    continue
            case = Case.objects.select_for_update().get(pk=entry.case_id)
            flag = RetaliationFlag(case=case, subject=entry.subject, raised_at=at, import_id=import_id)
            flag.pending_change = secrecy.encrypt_change(
                _change_document(record, entry.subject), case_id=case.pk, flag_id=flag.pk
            )
            flag.save(force_insert=True)
            system_record(
                EventType.RETALIATION_FLAGGED,
                case=case,
                at=at,
                flag=flag.pk,
                subject=entry.subject,
                import_id=import_id,
            )
            notify.queue(notify.Kind.RETALIATION_FLAG, case=case, recipients=routing.oversight(case), now=at)
            raised.append(flag)
    return raised


def _locked_open_flag(flag: RetaliationFlag) -> tuple[Case, RetaliationFlag]:
    case = locked(flag.case)
    flag = RetaliationFlag.objects.select_for_update().get(pk=flag.pk)
    if not flag.is_open:
        raise ActionError(_("This flag has already been decided."))
    return case, flag


def change_of(flag: RetaliationFlag, box: Box) -> dict[str, Any]:
    """The change a flag records, wherever it is kept now (under the watch key, or sealed in the case)."""
    if flag.pending_change is not None:
        return secrecy.decrypt_change(bytes(flag.pending_change), case_id=flag.case_id, flag_id=flag.pk)
    document: dict[str, Any] = json.loads(box.open(flag.change, RetaliationFlag, "change") or "{}")
    return document


def _settle(flag: RetaliationFlag, box: Box, *, actor: User, now: datetime, state: str, note: str) -> None:
    """Decide a flag: its change moves from the watch key into the case, sealed with the note."""
    change = change_of(flag, box)
    flag.change = box.seal(json.dumps(change, sort_keys=True, ensure_ascii=False), RetaliationFlag, "change")
    flag.pending_change = None
    flag.note = box.seal(note, RetaliationFlag, "note")
    flag.state = state
    flag.decided_by = actor
    flag.decided_at = now
    flag.save()


def clear_flag(*, flag: RetaliationFlag, actor: User, note: str) -> RetaliationFlag:
    """Oversight clears a flag: the change was not retaliation, and the note says why."""
    now = timezone.now()
    note = clean_text(note, name=_("note"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case, flag = _locked_open_flag(flag)
        check(actor, case, Act.DECIDE_FLAG)
        box = staff_box(actor, case)
        _settle(flag, box, actor=actor, now=now, state=FlagState.CLEARED, note=note)
        staff_record(
            EventType.RETALIATION_FLAG_DECIDED, case=case, actor=actor, at=now, flag=flag.pk, decision="cleared"
        )
    return flag


# --- Cases opened from another ----------------------------------------------------------------


def _people_of(origin: Case) -> tuple[list[Person], list[Person]]:
    """The origin case's accused, and everyone else it keeps out (its whole conflict set but the accused)."""
    accused = list(Person.objects.filter(mentions__report__case=origin, mentions__role=PersonRole.ACCUSED).distinct())
    accused_ids = {p.pk for p in accused}
    kept_out = [p for p in Person.objects.filter(conflicts__case=origin).distinct() if p.pk not in accused_ids]
    return accused, kept_out


def _others(employee_ids: Iterable[str]) -> list[Person]:
    """The directory people oversight names besides; an unknown employee id is refused."""
    wanted = [e.strip() for e in employee_ids if e.strip()]
    found = {p.employee_id: p for p in Person.objects.filter(employee_id__in=wanted)}
    missing = [e for e in wanted if e not in found]
    if missing:
        raise ActionError(_("No person in the directory has the employee id %(ids)s.") % {"ids": ", ".join(missing)})
    return [found[e] for e in dict.fromkeys(wanted)]


def _link(*, new: Case, origin: Case, kind: str, actor: User, now: datetime, flag: RetaliationFlag | None) -> None:
    LinkedCase.objects.create(case=new, origin=origin, kind=kind, flag=flag, opened_by=actor, opened_at=now)
    staff_record(EventType.LINKED_CASE_OPENED, case=origin, actor=actor, at=now, linked=new.pk, kind=kind)


def _field_label(field: str) -> str:
    labels = {
        "manager": _("manager"),
        "unit": _("unit"),
        "job_title": _("job title"),
        "status": _("status"),
    }
    return labels.get(field, field)


def describe_change(change: dict[str, Any]) -> list[str]:
    """Each changed field as one line for people: "manager: E1 (Max) → E2 (Eva)"."""
    lines = []
    for item in change.get("changes", []):
        old, new = item.get("old") or _("(none)"), item.get("new") or _("(none)")
        if item.get("old_name"):
            old = f"{old} ({item['old_name']})"
        if item.get("new_name"):
            new = f"{new} ({item['new_name']})"
        lines.append(f"{_field_label(str(item.get('field', '')))}: {old} → {new}")
    return lines


def open_retaliation_case(
    *, flag: RetaliationFlag, actor: User, statement: str = "", others: Iterable[str] = ()
) -> Case:
    """Oversight opens a retaliation case from a flag, linked to the first case.

    Its account says what the import changed; the people it concerns are the new manager
    (when the change gave her one), the first case's accused and anyone oversight names,
    all as accused (their management chains are kept out too), and everyone the first
    case keeps out is kept out of this one. The watched person is named in it as
    involved. From here it is a normal case, in the retaliation category.
    """
    now = timezone.now()
    statement = clean_text(statement, name=_("statement"), max_length=MAX_NARRATIVE)
    with transaction.atomic(durable=True):
        origin, flag = _locked_open_flag(flag)
        check(actor, origin, Act.DECIDE_FLAG)
        box = staff_box(actor, origin)
        change = change_of(flag, box)
        accused, kept_out = _people_of(origin)
        named = _others(others)
        new_managers = [item["new"] for item in change.get("changes", []) if item.get("field") == "manager"]
        accused += list(Person.objects.filter(employee_id__in=[e for e in new_managers if e]))
        watched = Person.objects.filter(employee_id=change.get("employee_id", "")).first()
        people = [Involved(p, PersonRole.ACCUSED) for p in accused + named]
        people += [Involved(p, PersonRole.KEEP_OUT) for p in kept_out]
        if watched is not None:
            people.append(Involved(watched, PersonRole.OTHER))
        subject = (
            _("the reporter of case %(ref)s") if flag.subject == Subject.REPORTER else _("a witness in case %(ref)s")
        ) % {"ref": origin.reference}
        lines = [
            _("Opened by the oversight body from a flag of the retaliation watch on case %(ref)s.")
            % {"ref": origin.reference},
            "",
            _(
                "The directory import no. %(import)d on %(when)s changed the record of %(who)s, "
                "%(name)s (%(id)s), within the protection window:"
            )
            % {
                "import": flag.import_id,
                "when": timezone.localtime(flag.raised_at).strftime("%Y-%m-%d %H:%M"),
                "who": subject,
                "name": change.get("name", ""),
                "id": change.get("employee_id", ""),
            },
            *(f"- {line}" for line in describe_change(change)),
        ]
        if statement:
            lines += ["", statement]
        new, _key = open_case(
            actor=actor,
            category=Category.RETALIATION,
            narrative="\n".join(lines),
            people=people,
            at=now,
            event=EventType.RETALIATION_CASE_OPENED,
            origin=origin.pk,
            flag=flag.pk,
        )
        _settle(flag, box, actor=actor, now=now, state=FlagState.CASE_OPENED, note=statement)
        staff_record(
            EventType.RETALIATION_FLAG_DECIDED,
            case=origin,
            actor=actor,
            at=now,
            flag=flag.pk,
            decision="case_opened",
        )
        _link(new=new, origin=origin, kind=LinkKind.RETALIATION, actor=actor, now=now, flag=flag)
    return new


def accountability_narrative(origin: Case, history: accountability.History, statement: str) -> str:
    """The new case's account: which deadlines of the first case were missed, when, and who was told."""

    def moment(value: datetime) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")

    lines = [
        _("Opened by the oversight body because deadlines of case %(ref)s were missed.") % {"ref": origin.reference},
        "",
        _("Escalation history:"),
    ]
    for step in history.steps:
        if step.notified is None:
            told = _("who was told was not recorded")
        elif step.notified:
            told = _("told: %(people)s") % {"people": ", ".join(accountability.who(u) for u in step.notified)}
        else:
            told = _("nobody could be told")
        what = step.deadline_label + (f" ({step.item})" if step.item else "")
        lines.append(
            _("- %(at)s: %(deadline)s, due %(due)s: %(step)s; %(told)s")
            % {
                "at": moment(step.at),
                "deadline": what,
                "due": moment(step.due_at),
                "step": step.step_label,
                "told": told,
            }
        )
    if statement:
        lines += ["", statement]
    return "\n".join(lines)


def open_accountability_case(*, case: Case, actor: User, statement: str = "", others: Iterable[str] = ()) -> Case:
    """Oversight opens, in one action, a case against those who let a deadline of `case` pass.

    The case's account is its escalation history (which deadlines, when, who was told);
    it concerns the people told at the reminder and lead steps of a missed deadline, and
    anyone oversight names (say, the head of HR or managers who did not respond), all as
    accused, so they and their management chains are kept out; everyone the first case
    keeps out is kept out of this one too. Each concerned staff member must have a
    directory record: without one nobody could be kept out. A normal case from here on.
    """
    now = timezone.now()
    statement = clean_text(statement, name=_("statement"), max_length=MAX_NARRATIVE)
    with transaction.atomic(durable=True):
        origin = locked(case)
        check(actor, origin, Act.OPEN_ACCOUNTABILITY)
        history = accountability.history(origin)
        if not history.missed:
            raise ActionError(_("No deadline of this case was missed: it has not escalated."))
        assert history.latest is not None
        earlier = LinkedCase.objects.filter(
            origin=origin, kind=LinkKind.ACCOUNTABILITY, opened_at__gte=history.latest
        ).select_related("case")
        if earlier.exists():
            raise ActionError(
                _("An accountability case for these escalations is already open: %(ref)s.")
                % {"ref": earlier[0].case.reference}
            )
        concerned = {p.user_id: p for p in Person.objects.filter(user__in=history.concerned)}
        unlinked = [u.email for u in history.concerned if u.pk not in concerned]
        if unlinked:
            raise ActionError(
                _(
                    "These people have no record in the directory, so they could not be kept out of the new case: "
                    "%(people)s. Import them into the directory first."
                )
                % {"people": ", ".join(unlinked)}
            )
        named = _others(others)
        if not concerned and not named:
            raise ActionError(_("Nobody was told of the missed deadlines: name the people this case concerns."))
        accused, kept_out = _people_of(origin)
        people = [Involved(p, PersonRole.ACCUSED) for p in [*concerned.values(), *named]]
        people += [Involved(p, PersonRole.KEEP_OUT) for p in accused + kept_out]
        new, _key = open_case(
            actor=actor,
            category=Category.OTHER,
            narrative=accountability_narrative(origin, history, statement),
            people=people,
            at=now,
            event=EventType.ACCOUNTABILITY_CASE_OPENED,
            origin=origin.pk,
            escalations=len(history.steps),
        )
        _link(new=new, origin=origin, kind=LinkKind.ACCOUNTABILITY, actor=actor, now=now, flag=None)
    return new
