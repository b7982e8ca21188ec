"""The watch's section of the case file: the retaliation flags (for oversight) and the linked cases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User

from ombuds.cases.models import Case
from ombuds.watch import watch_view


def casefile_context(case: Case, user: User) -> Mapping[str, Any] | None:
    view = watch_view.for_case(case, user)
    if not (view.flags or view.opened_from or view.opened or view.reporter_link):
        return None
    return {"watch": view}
