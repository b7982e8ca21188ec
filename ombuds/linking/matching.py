"""Linking the cases of one organisation whose reports name the same person (rule R9).

At filing time each accused person on a report yields identifiers: the directory
entry she was picked from (with the e-mail address and employee number the directory
holds for her), and the e-mail address, phone number (E.164) and employee number the
reporter gave. A name alone is never an identifier. Each identifier becomes a match key
(ombuds.crypto.match_keys) and is stored only as its match identifier π
(ombuds.crypto.threshold.match_id), with the ids of the case and the report. Cases,
open or closed, whose reports share a π are linked.

When independent reports name the same person and their number reaches
OMBUDS_REPEAT_OFFENDER_THRESHOLD, oversight and the lead handlers who are conflicted
on none of the cases get a repeat-offender alert: an audit event (ids only) and an
e-mail notice. Reports are independent when they come from different receipts and not
from the same named reporter (her name or contact, kept as a π too). An anonymous
reporter has no identity across receipts, so two receipts count as two reporters.

`prepare` does the slow and fallible part (checking what was typed, the OPRF) before
the filing transaction; `record` runs inside it, so the report, its links and its
alert are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils.translation import gettext as _

from ombuds.accounts.roles import APPEAL_READERS, Role
from ombuds.audit import log
from ombuds.audit.models import ActorKind, EventType
from ombuds.cases import notify
from ombuds.cases.models import Case, Conflict, Organisation, Report
from ombuds.cases.selectors import ORGANISATION
from ombuds.crypto import match_keys, threshold
from ombuds.directory.models import Person
from ombuds.lib.ids import random_id
from ombuds.linking import selectors
from ombuds.linking.models import Mention, NamedReporter


class InvalidIdentifier(ValueError):
    """What the reporter typed to identify someone is not an e-mail address or E.164 phone number."""


@dataclass(frozen=True)
class Accused:
    """An accused person on a report, with what identifies her; never stored as such."""

    position: int  # InvolvedPerson.position
    employee_id: str = ""  # the directory entry she was picked from
    email: str = field(default="", repr=False)
    phone: str = field(default="", repr=False)
    employee_number: str = field(default="", repr=False)


@dataclass(frozen=True)
class Prepared:
    """The match identifiers of a report: per accused person, and of its named reporter."""

    people: dict[int, list[bytes]] = field(default_factory=dict)
    reporter: list[bytes] = field(default_factory=list)
    # The match key behind each π of an accused person, for the escrow of this report
    # (ombuds.linking.escrow). Held in memory during filing only, never stored.
    keys: dict[bytes, match_keys.MatchKey] = field(default_factory=dict, repr=False, compare=False)


def scope() -> str:
    """The organisation's scope for directory keys and employee numbers (match_keys.Identifier)."""
    return f"organisation-{ORGANISATION}"


def identifiers(accused: Accused, entry: Person | None, *, organisation: str) -> list[match_keys.Identifier]:
    """Every identifier of one accused person, each once. InvalidIdentifier for a malformed e-mail or phone."""
    found: list[match_keys.Identifier] = []
    if entry is not None:
        found.append(match_keys.directory_person(entry.employee_id, organisation=organisation))
        # So that a report typing her e-mail or number meets one that picked her.
        found.append(match_keys.employee_number(entry.employee_id, organisation=organisation))
        directory_email = _directory_email(entry.email)
        if directory_email is not None:
            found.append(directory_email)
    if accused.email.strip():
        try:
            found.append(match_keys.email(accused.email))
        except ValueError:
            raise InvalidIdentifier(_("The e-mail address of a person named is not an e-mail address.")) from None
    if accused.phone.strip():
        try:
            found.append(match_keys.phone(accused.phone))
        except ValueError:
            raise InvalidIdentifier(
                _("Give the phone number of a person named with its country code, for example +44 20 7946 0958.")
            ) from None
    if accused.employee_number.strip():
        try:
            found.append(match_keys.employee_number(accused.employee_number, organisation=organisation))
        except ValueError:
            raise InvalidIdentifier(_("The employee number of a person named is too long.")) from None
    unique: dict[bytes, match_keys.Identifier] = {}
    for identifier in found:
        unique.setdefault(identifier.oprf_input(), identifier)
    return list(unique.values())


def _directory_email(address: str) -> match_keys.Identifier | None:
    if not address.strip():
        return None
    try:
        return match_keys.email(address)
    except ValueError:
        # A malformed address in the directory is not the reporter's mistake: the entry
        # still links by its key and number, and her report is filed.
        return None


def prepare(*, accused: Sequence[Accused], reporter_name: str, reporter_contact: str) -> Prepared:
    """The match identifiers of a report about to be filed; run before its transaction.

    Raises InvalidIdentifier (nothing is stored then). A report whose accused carry no
    identifier needs no match key at all, not even its reporter's.
    """
    organisation = scope()
    entries = {
        person.employee_id: person
        for person in Person.objects.filter(employee_id__in=[a.employee_id for a in accused if a.employee_id])
    }
    per_person = [(a.position, identifiers(a, entries.get(a.employee_id), organisation=organisation)) for a in accused]
    per_person = [(position, found) for position, found in per_person if found]
    if not per_person:
        return Prepared()
    mine = [
        match_keys.reporter(text, organisation=organisation)
        for text in (reporter_name, reporter_contact)
        if text.strip()
    ]
    flat = [identifier for _position, found in per_person for identifier in found] + mine
    # One batch: one blinding round trip for the whole report (about 3 ms for three identifiers).
    derived = match_keys.derive_here(flat)
    by_id = {threshold.match_id(key): key for key in derived}
    match_ids = iter([threshold.match_id(key) for key in derived])
    people = {position: [next(match_ids) for _ in found] for position, found in per_person}
    accused_ids = {match_id for found in people.values() for match_id in found}
    return Prepared(
        people=people,
        reporter=sorted(set(match_ids)),
        keys={match_id: key for match_id, key in by_id.items() if match_id in accused_ids},
    )


@dataclass(frozen=True)
class Alert:
    cases: list[int]
    reports: list[int]
    independent_reports: int
    recipients: list[int]


def record(prepared: Prepared, *, case: Case, report: Report, at: datetime) -> Alert | None:
    """Store the report's match identifiers and raise the repeat-offender alert if it is due.

    Runs in the filing transaction. Returns the alert raised, if any. Every report that
    names someone passes here while its reporter waits, so the reads are few and written
    as SQL (selectors.naming_reports, selectors.named_reporters): about five statements
    and no alert, eight with one (benchmarks/linking.py).
    """
    if not prepared.people:
        return None
    _take_turn()
    _store(prepared, case=case, report=report)

    if case.held_in_escrow:
        return None  # a held report raises nothing: nobody may know of it (ombuds.linking.escrow)
    reports: set[int] = set()
    cases: set[int] = set()
    counts: list[int] = []
    for match_ids in prepared.people.values():
        # A held report is in no alert until it is released.
        naming = {key: n.case_id for key, n in selectors.naming_reports(match_ids).items() if not n.held}
        others = {report_id for report_id, _position in naming} - {report.pk}
        if not others:
            continue
        named = selectors.named_reporters(others | {report.pk})
        # Her report adds a reporter only if no other report comes from her.
        if any(named.get(report.pk, set()) & named.get(other, set()) for other in others):
            continue
        independent = _count_reporters(others | {report.pk}, named)
        if independent >= settings.OMBUDS_REPEAT_OFFENDER_THRESHOLD:
            reports |= others | {report.pk}
            cases |= set(naming.values())
            counts.append(independent)
    if not reports:
        return None
    case_ids = sorted(cases)
    recipients = _recipients(case_ids)
    alert = Alert(
        cases=case_ids,
        reports=sorted(reports),
        independent_reports=max(counts),
        recipients=[user.pk for user in recipients],
    )
    log.record(
        EventType.REPEAT_OFFENDER_ALERT,
        at=at,
        case_id=case.pk,
        actor_kind=ActorKind.SYSTEM,
        detail={
            "cases": alert.cases,
            "reports": alert.reports,
            "independent_reports": alert.independent_reports,
            "recipients": alert.recipients,
        },
    )
    notify.queue(notify.Kind.REPEAT_OFFENDER, case=case, recipients=recipients)
    return alert


def _take_turn() -> None:
    """Take filings that name someone one at a time, until this transaction ends.

    Two reports naming the same person at the same moment must see each other, or
    neither would raise the alert. On PostgreSQL the organisation's one row is locked
    (cases.selectors.current_organisation); SQLite lets one transaction write at a time
    anyway, and the filing transaction has written by now.
    """
    if connection.features.has_select_for_update:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {Organisation._meta.db_table} WHERE id = %s FOR UPDATE", [ORGANISATION])  # noqa: S608 - table name from the model


def _store(prepared: Prepared, *, case: Case, report: Report) -> None:
    """The Mention and NamedReporter rows of the report, one INSERT each."""
    mentions = [
        (random_id(), match_id, case.pk, report.pk, position)
        for position, match_ids in sorted(prepared.people.items())
        for match_id in sorted(set(match_ids))
    ]
    reporters = [(random_id(), match_id, report.pk) for match_id in sorted(set(prepared.reporter))]
    with connection.cursor() as cursor:
        for table, columns, rows in (
            (Mention._meta.db_table, "id, match_id, case_id, report_id, position", mentions),
            (NamedReporter._meta.db_table, "id, match_id, report_id", reporters),
        ):
            if not rows:
                continue
            row = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(rows))}",  # noqa: S608 - names from the models
                [value for values in rows for value in values],
            )


def _count_reporters(report_ids: set[int], named: dict[int, set[bytes]]) -> int:
    """How many reporters filed these reports: reports sharing a named reporter's π are hers."""
    parent = {report_id: report_id for report_id in report_ids}

    def root(report_id: int) -> int:
        while parent[report_id] != report_id:
            report_id = parent[report_id]
        return report_id

    owner: dict[bytes, int] = {}
    for report_id in sorted(report_ids):
        for match_id in named.get(report_id, set()):
            if match_id in owner:
                parent[root(report_id)] = root(owner[match_id])
            else:
                owner[match_id] = report_id
    return len({root(report_id) for report_id in report_ids})


def _recipients(case_ids: list[int]) -> list[User]:
    """Oversight and the lead handlers, leaving out whoever is conflicted on any of the linked cases.

    The roles of routing.users_with(), routing.oversight() and routing.leads() in one
    statement, asked once for every case rather than once a case. In SQL: the ORM took
    longer to build this query than the rest of the alert took to run.
    """
    roles = sorted(role.value for role in APPEAL_READERS | {Role.LEAD_HANDLER})
    user, membership, group = User._meta.db_table, User.groups.through._meta.db_table, Group._meta.db_table
    person, conflict = Person._meta.db_table, Conflict._meta.db_table
    sql = (
        f"SELECT DISTINCT u.id, u.email FROM {user} AS u "  # noqa: S608 - table names from the models, values as parameters
        f"JOIN {membership} AS ug ON ug.user_id = u.id JOIN {group} AS g ON g.id = ug.group_id "
        f"WHERE u.is_active = %s AND g.name IN ({', '.join(['%s'] * len(roles))}) AND NOT EXISTS ("
        f"SELECT 1 FROM {person} AS p JOIN {conflict} AS c ON c.person_id = p.id "
        f"WHERE p.user_id = u.id AND c.case_id IN ({', '.join(['%s'] * len(case_ids))})) "
        "ORDER BY u.id"
    )
    return list(User.objects.raw(sql, [True, *roles, *case_ids]))
