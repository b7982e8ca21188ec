"""Template context for staff pages."""

from __future__ import annotations

from django.http import HttpRequest

from ombuds.accounts.roles import (
    ADMINISTERS,
    ANALYTICS_READERS,
    AUDIT_READERS,
    REHIRE_CHECK_READERS,
    REHIRE_CHECKERS,
    WATCHERS,
    Role,
    roles_of,
)


def staff(request: HttpRequest) -> dict[str, bool]:
    roles = roles_of(request.user)
    return {
        "can_read_audit_trail": bool(roles & AUDIT_READERS),
        # The link only; ombuds.cases.permissions decides on the page itself.
        "can_use_rehire_checks": bool(roles & (REHIRE_CHECKERS | REHIRE_CHECK_READERS)),
        "can_watch": bool(roles & WATCHERS),
        "can_administer": bool(roles & ADMINISTERS),
        # Legal holds and subject access requests (ombuds.retention.views): oversight only.
        "can_manage_retention": Role.OVERSIGHT in roles,
        "can_read_analytics": bool(roles & ANALYTICS_READERS),
    }
