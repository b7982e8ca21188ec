"""What staff see of the retaliation watch and of linked cases: the read model for pages, the API and the case file.

Like ombuds.cases.case_view it returns plain dataclasses, decides what a person may read
through ombuds.cases.permissions, and opens content only through ombuds.cases.content
(with the reader's key). A flag's change is read with the watch key while the flag is
open (ombuds.watch.secrecy), from the case's sealed content once decided.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from ombuds.cases import access, content, keyring, permissions
from ombuds.cases.models import Case
from ombuds.cases.permissions import Act, Part
from ombuds.directory.models import Person, PersonStatus
from ombuds.watch import accountability, protection, secrecy
from ombuds.watch.models import FlagState, LinkedCase, LinkKind, ReporterLink, RetaliationFlag, Subject

_FIELD_LABELS = {
    "manager": _("Manager"),
    "unit": _("Unit"),
    "job_title": _("Job title"),
    "status": _("Status"),
}


@dataclass(frozen=True)
class ChangeRow:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class FlagView:
    id: int
    case_reference: str
    subject: str
    subject_label: str
    raised_at: datetime
    import_id: int
    state: str
    state_label: str
    is_open: bool
    # None while the reader's key cannot open a decided flag.
    name: str | None
    employee_id: str | None
    changes: list[ChangeRow]
    note: str
    decided_by: str | None
    decided_at: datetime | None
    # The retaliation case opened from it, when this reader may see that case.
    opened_case: str | None


@dataclass(frozen=True)
class LinkView:
    kind: str
    kind_label: str
    # None when this reader may not see the other case: only that it exists is said.
    reference: str | None
    opened_at: datetime
    opened_by: str


@dataclass(frozen=True)
class AccountabilityOffer:
    """What the accountability action would be built from, shown before oversight takes it."""

    history: accountability.History
    concerned: list[str]


@dataclass(frozen=True)
class WatchView:
    reads_flags: bool
    may_decide_flags: bool
    flags: list[FlagView]
    protected_until: datetime
    # The named reporter's directory record, once linked ("E1011 Mei Chen"); None if not linked.
    reporter_link: str | None
    # Whether this reader may link the named reporter now (a named report, not yet linked).
    may_link_reporter: bool
    opened_from: LinkView | None
    opened: list[LinkView]
    accountability: AccountabilityOffer | None


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value else ""


def _value(field: str, value: str, name: str = "") -> str:
    if not value:
        return str(_("(none)"))
    if field == "status":
        return _label(PersonStatus, value) if value in PersonStatus.values else value
    return f"{value} ({name})" if name else value


def _change_rows(change: dict[str, Any]) -> list[ChangeRow]:
    rows = []
    for item in change.get("changes", []):
        field = str(item.get("field", ""))
        rows.append(
            ChangeRow(
                field=field,
                label=str(_FIELD_LABELS.get(field, field)),
                old=_value(field, str(item.get("old", "")), str(item.get("old_name", ""))),
                new=_value(field, str(item.get("new", "")), str(item.get("new_name", ""))),
            )
        )
    return rows


def _who(user: User | None) -> str | None:
    return None if user is None else (user.get_full_name() or user.email)


def flag_view(flag: RetaliationFlag, key: Any, user: User) -> FlagView:
    """One flag as `user` reads it; the caller has checked she may read the case's flags."""
    case = flag.case
    change: dict[str, Any] | None
    if flag.pending_change is not None:
        change = secrecy.decrypt_change(bytes(flag.pending_change), case_id=case.pk, flag_id=flag.pk)
    elif case.sealed and key is None:
        change = None
    else:
        change = json.loads(
            content.open(flag.change, key=key, case=case, model=RetaliationFlag, field="change") or "{}"
        )
    note = ""
    if flag.note and not (case.sealed and key is None):
        note = content.open(flag.note, key=key, case=case, model=RetaliationFlag, field="note")
    opened = LinkedCase.objects.filter(flag=flag).select_related("case").first()
    visible = opened is not None and access.visible_cases(user).filter(pk=opened.case_id).exists()
    return FlagView(
        id=flag.pk,
        case_reference=case.reference,
        subject=flag.subject,
        subject_label=_label(Subject, flag.subject),
        raised_at=flag.raised_at,
        import_id=flag.import_id,
        state=flag.state,
        state_label=_label(FlagState, flag.state),
        is_open=flag.is_open,
        name=None if change is None else str(change.get("name", "")),
        employee_id=None if change is None else str(change.get("employee_id", "")),
        changes=[] if change is None else _change_rows(change),
        note=note,
        decided_by=_who(flag.decided_by),
        decided_at=flag.decided_at,
        opened_case=opened.case.reference if (opened is not None and visible) else None,
    )


def one_flag(flag: RetaliationFlag, user: User) -> FlagView:
    """One flag as `user` reads it, with her key; the caller has checked she may read the case's flags."""
    return flag_view(flag, keyring.staff_data_key(user, flag.case), user)


def _link_view(link: LinkedCase, other: Case, user: User) -> LinkView:
    return LinkView(
        kind=link.kind,
        kind_label=_label(LinkKind, link.kind),
        reference=other.reference if access.visible_cases(user).filter(pk=other.pk).exists() else None,
        opened_at=link.opened_at,
        opened_by=_who(link.opened_by) or "",
    )


def _reporter_link(case: Case, key: Any) -> str | None:
    link = ReporterLink.objects.filter(case=case).first()
    if link is None:
        return None
    if case.sealed and key is None:
        return str(_("linked"))
    employee_id = content.open(link.employee_id, key=key, case=case, model=ReporterLink, field="employee_id")
    person = Person.objects.filter(employee_id=employee_id).first()
    return f"{employee_id} {person.name}" if person is not None else employee_id


def for_case(case: Case, user: User) -> WatchView:
    """The watch's part of the case page for `user`. The caller fetched the case through cases.access."""
    key = keyring.staff_data_key(user, case)
    reads_flags = permissions.may_read(user, case, Part.RETALIATION_FLAGS)
    reads_content = permissions.may_read(user, case, Part.CONTENT)
    flags = (
        [
            flag_view(flag, key, user)
            for flag in RetaliationFlag.objects.filter(case=case)
            .select_related("case", "decided_by")
            .order_by("-raised_at", "id")
        ]
        if reads_flags
        else []
    )
    report = case.reports.order_by("submitted_at", "id").first()
    linked = ReporterLink.objects.filter(case=case).exists()
    origin = LinkedCase.objects.filter(case=case).select_related("origin", "opened_by").first()
    offer = None
    if permissions.may_take(user, case, Act.OPEN_ACCOUNTABILITY):
        history = accountability.history(case)
        if history.missed:
            offer = AccountabilityOffer(history=history, concerned=[accountability.who(u) for u in history.concerned])
    return WatchView(
        reads_flags=reads_flags,
        may_decide_flags=permissions.may_take(user, case, Act.DECIDE_FLAG),
        flags=flags,
        protected_until=protection.protected_until(case),
        reporter_link=_reporter_link(case, key) if reads_content else None,
        may_link_reporter=(
            report is not None
            and not report.anonymous
            and not linked
            and permissions.may_take(user, case, Act.LINK_REPORTER)
        ),
        opened_from=_link_view(origin, origin.origin, user) if origin is not None else None,
        opened=[
            _link_view(link, link.case, user)
            for link in LinkedCase.objects.filter(origin=case).select_related("case", "opened_by").order_by("opened_at")
        ],
        accountability=offer,
    )


def open_flags(user: User) -> list[FlagView]:
    """Every open flag on a case `user` may see and whose flags she may read, newest first."""
    if not permissions.watches(user):
        return []
    flags = list(
        RetaliationFlag.objects.filter(state=FlagState.OPEN)
        .select_related("case", "decided_by")
        .order_by("-raised_at", "id")
    )
    seen = access.visible_among(user, (flag.case_id for flag in flags))
    return [
        flag_view(flag, keyring.staff_data_key(user, flag.case), user)
        for flag in flags
        if flag.case_id in seen and permissions.may_read(user, flag.case, Part.RETALIATION_FLAGS)
    ]
