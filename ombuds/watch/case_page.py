"""The watch's part of the staff case page: its read model and forms, for ombuds.cases.views to render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User

from ombuds.cases.models import Case
from ombuds.watch import watch_view
from ombuds.watch.forms import ClearFlagForm, LinkedCaseForm, LinkReporterForm


def context(case: Case, user: User, bound: dict[str, forms.Form]) -> dict[str, Any]:
    view = watch_view.for_case(case, user)
    return {
        "watch": view,
        # Each flag's forms carry its id in their prefix, so an error shows under the right flag.
        "watch_flags": [
            (
                flag,
                bound.get(f"clear{flag.id}") or ClearFlagForm(prefix=f"clear{flag.id}"),
                bound.get(f"retaliate{flag.id}") or LinkedCaseForm(prefix=f"retaliate{flag.id}"),
            )
            for flag in view.flags
        ],
        "link_reporter_form": bound.get("reporter") or LinkReporterForm(prefix="reporter"),
        "accountability_form": bound.get("accountability") or LinkedCaseForm(prefix="accountability"),
    }
