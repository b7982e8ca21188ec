"""Reports held in escrow until another reporter names the same person ("only if I am not the only one").

A reporter may ask that her report wait until at least one other, independent report
names a person she names as accused. While it waits:

- its case is marked `held_in_escrow`: cases.access shows it to no staff member and
  grants its data key to nobody, not even the recovery key;
- the case's data key is kept in two forms only: sealed to the reporter's receipt
  (Report.key_seal, as for every report) and, for each match identifier π of the
  people she names, sealed under a line keyed by that person's match key
  (ombuds.crypto.threshold), with her one share of the line (EscrowShare). The match
  key itself is never stored. One share does not fix the line, so what the server
  stores does not open the key.

When a report from another reporter names the same person, its filing holds that
person's match key for a moment, so it can make its own share of the same line; two
shares from different reporters give the line's key, which opens the held report's data
key, and the held report is released to handling (cases.actions.escrow).

Who counts as another reporter: a share's x is hashed from the reporter (a named
reporter's π, or the report itself for an anonymous one), so the same named reporter
twice lands on the same point and cannot complete the line; on top of that, reports
sharing a named reporter's π are never taken as independent (as in matching.record).
Two anonymous receipts are two reporters: docs/security.md says what that means.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet

from ombuds.cases.models import Case, Report
from ombuds.crypto import keys, threshold
from ombuds.crypto.errors import CombineError, DecryptionError
from ombuds.linking import matching
from ombuds.linking.models import EscrowShare, HeldReport, HoldState, Mention, NamedReporter

# The ends that leave nothing of the report.
ENDED_WITHOUT_RELEASE = frozenset({HoldState.WITHDRAWN, HoldState.EXPIRED})


def reporter_tag(prepared: matching.Prepared, report: Report) -> bytes:
    """Who filed the report, as the share's x is hashed from it: the named reporter, else this report alone."""
    if prepared.reporter:
        return b"named:" + min(prepared.reporter)
    return b"report:" + str(report.pk).encode()


def associated_data(report_id: int) -> bytes:
    return keys.context("report", report_id, "escrow")


def _escrow_of(share: EscrowShare) -> threshold.Escrow:
    return threshold.Escrow(
        match_id=bytes(share.match_id),
        share=threshold.Share.from_bytes(bytes(share.share)),
        sealed_key=bytes(share.sealed_key),
    )


def hold(prepared: matching.Prepared, *, case: Case, report: Report, key: keys.DataKey, at: datetime) -> HeldReport:
    """Store the escrow of a report being filed, in its transaction: one share for each π of the people it names."""
    held = HeldReport.objects.create(
        report=report, case=case, held_since=at, expires_at=at + timedelta(days=settings.OMBUDS_ESCROW_DAYS)
    )
    tag = reporter_tag(prepared, report)
    EscrowShare.objects.bulk_create(
        [
            EscrowShare(
                held=held,
                match_id=sealed.match_id,
                share=sealed.share.to_bytes(),
                sealed_key=sealed.sealed_key,
            )
            for sealed in (
                threshold.escrow(match_key, key, reporter=tag, associated_data=associated_data(report.pk))
                for _match_id, match_key in sorted(prepared.keys.items())
            )
        ]
    )
    return held


def released_at_filing(*, case: Case, report: Report, at: datetime) -> HeldReport:
    """She asked to hold a report that another reporter's report already matches: it is never held."""
    return HeldReport.objects.create(
        report=report,
        case=case,
        held_since=at,
        expires_at=at,
        state=HoldState.RELEASED_BY_MATCH,
        ended_at=at,
    )


def _same_reporter(prepared: matching.Prepared, report_ids: set[int]) -> set[int]:
    """Those of the reports that come from the named reporter of the report being filed."""
    if not prepared.reporter or not report_ids:
        return set()
    return set(
        NamedReporter.objects.filter(report_id__in=report_ids, match_id__in=prepared.reporter).values_list(
            "report_id", flat=True
        )
    )


def named_elsewhere(prepared: matching.Prepared, *, report: Report) -> bool:
    """Whether a report already released to handling, from another reporter, names someone this one names."""
    held = HeldReport.objects.filter(state=HoldState.HELD).values("report_id")
    others = set(
        Mention.objects.filter(match_id__in=list(prepared.keys))
        .exclude(report=report)
        .exclude(report_id__in=held)
        .values_list("report_id", flat=True)
    )
    return bool(others - _same_reporter(prepared, others))


def opened_by(
    prepared: matching.Prepared, *, report: Report, key: keys.DataKey
) -> list[tuple[HeldReport, keys.DataKey]]:
    """The held reports the report being filed completes, each with its data key rebuilt from the two shares.

    Runs in the filing transaction, under its lock on the organisation (matching.record),
    so that two reports naming the same person at once see each other.
    """
    waiting = list(
        EscrowShare.objects.filter(match_id__in=list(prepared.keys), held__state=HoldState.HELD)
        .exclude(held__report=report)
        .select_related("held")
        .select_for_update()
        .order_by("held_id", "id")
    )
    mine = _same_reporter(prepared, {share.held.report_id for share in waiting})
    tag = reporter_tag(prepared, report)
    opened: dict[int, tuple[HeldReport, keys.DataKey]] = {}
    for stored in waiting:
        if stored.held_id in opened or stored.held.report_id in mine:
            continue
        theirs = _escrow_of(stored)
        match_key = prepared.keys[theirs.match_id]
        # This report's own point on the same line: made now, never stored.
        ours = threshold.escrow(match_key, key, reporter=tag, associated_data=associated_data(report.pk))
        try:
            line = threshold.recover(theirs, ours)
            data_key = line.open(theirs, associated_data=associated_data(stored.held.report_id))
        except (CombineError, DecryptionError):
            continue  # the same reporter's point: it completes nothing
        opened[stored.held_id] = (stored.held, data_key)
    return list(opened.values())


def end(held: HeldReport, state: HoldState, *, at: datetime) -> None:
    """Close the hold: its shares go (nothing is left to rebuild), the row stays to tell her how it ended."""
    EscrowShare.objects.filter(held=held).delete()
    held.state = state
    held.ended_at = at
    held.save(update_fields=["state", "ended_at"])


def held_report(report: Report) -> HeldReport | None:
    """The hold of this report, current or ended; None for a report never held."""
    return HeldReport.objects.filter(report=report).first()


def expired(now: datetime) -> QuerySet[HeldReport]:
    return HeldReport.objects.filter(state=HoldState.HELD, expires_at__lte=now).order_by("expires_at", "id")


def held_count() -> int:
    """How many reports are held now: all that oversight's statistics say of them."""
    return HeldReport.objects.filter(state=HoldState.HELD).count()
