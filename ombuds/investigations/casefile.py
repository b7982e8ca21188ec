"""The investigation's part of the case file (the PDF of the whole case for oversight and counsel).

`casefile_context(case, user)` gives what templates/investigations/casefile.html renders:
the allegations and findings, the plan, the interviews (minutes and the reporter's
answers), the evidence register with each file's SHA-256 and chain of custody, and the
people concerned. The register leaves the system in the case file, so producing it is
recorded as an export of every item (each item's chain of custody lists it).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from ombuds.cases import permissions
from ombuds.cases.models import Case
from ombuds.cases.permissions import Part
from ombuds.investigations import actions, view
from ombuds.investigations.models import EvidenceItem


def casefile_context(case: Case, user: User) -> dict[str, Any]:
    """The template context for the investigation's part of the case file, as `user` may read it.

    `investigation` is None for someone who may not read the investigation (the rest of
    the case file decides whether they may have one at all). Records the evidence export
    in the caller's transaction, if there is one.
    """
    if not permissions.may_read(user, case, Part.INVESTIGATION):
        return {"investigation": None, "custody": [], "produced_at": timezone.now(), "produced_by": user.email}
    items = list(EvidenceItem.objects.filter(case=case).order_by("number"))
    investigation = view.for_staff(case, user)
    if not investigation.content_locked:
        actions.record_evidence_export(case=case, actor=user, items=items, via="casefile")
    custody = view.custodies(items, user)
    return {
        "investigation": investigation,
        "custody": custody,
        "produced_at": timezone.now(),
        "produced_by": user.email,
    }
