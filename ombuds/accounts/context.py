"""Template context for staff pages."""

from __future__ import annotations

from django.http import HttpRequest

from ombuds.accounts.roles import ADMINISTERS, AUDIT_READERS, roles_of


def staff(request: HttpRequest) -> dict[str, bool]:
    roles = roles_of(request.user)
    return {"can_read_audit_trail": bool(roles & AUDIT_READERS), "can_administer": bool(roles & ADMINISTERS)}
