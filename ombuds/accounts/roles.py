"""Staff roles. A person can hold several; each is a Django group of the same name."""

from __future__ import annotations

import enum

from django.contrib.auth.models import AnonymousUser, User
from django.utils.translation import gettext_lazy as _


class Role(enum.StrEnum):
    HANDLER = "handler"
    LEAD_HANDLER = "lead_handler"
    OVERSIGHT = "oversight"
    ADMINISTRATOR = "administrator"
    AUDITOR = "auditor"
    # Granted per case: an investigator sees only the cases they are assigned to investigate.
    INVESTIGATOR = "investigator"
    # Asks the rehire registry whether a candidate may be hired; never sees a case.
    HR = "hr"

    @property
    def label(self) -> str:
        return str(_LABELS[self])


_LABELS = {
    Role.HANDLER: _("Handler"),
    Role.LEAD_HANDLER: _("Lead handler"),
    Role.OVERSIGHT: _("Oversight"),
    Role.ADMINISTRATOR: _("Administrator"),
    Role.AUDITOR: _("Auditor"),
    Role.INVESTIGATOR: _("Investigator"),
    Role.HR: _("HR (rehire checks)"),
}

# Each set of roles is named here once; ombuds.cases.permissions decides with them.

# Roles that read case content. The administrator configures; the auditor reads the trail.
CASE_READERS = frozenset({Role.HANDLER, Role.LEAD_HANDLER, Role.OVERSIGHT})
# Roles that work cases: take workflow steps, write to the reporter, add notes.
CASE_WORKERS = CASE_READERS
# Roles a case can be assigned to, and that can be in a category's pool.
ASSIGNABLE = frozenset({Role.HANDLER, Role.LEAD_HANDLER})
# Roles that see every case they are not conflicted on (others see their own and their pool's).
SEES_ALL_CASES = frozenset({Role.LEAD_HANDLER, Role.OVERSIGHT})
# Roles that approve or reject what one person may not do alone (never their own proposal),
# assign cases to others, and reopen closed cases.
APPROVERS = frozenset({Role.LEAD_HANDLER, Role.OVERSIGHT})
# Roles that read the audit trail.
AUDIT_READERS = frozenset({Role.AUDITOR, Role.OVERSIGHT})
# Roles that read appeals to the oversight body and resolve them.
APPEAL_READERS = frozenset({Role.OVERSIGHT})
# Roles that ask the rehire registry whether a candidate may be hired (and see no case).
REHIRE_CHECKERS = frozenset({Role.HR})
# Roles that list the rehire checks and look one up, with the registry entry it matched.
REHIRE_CHECK_READERS = frozenset({Role.OVERSIGHT})
# Roles that see the retaliation watch's flags and decide them, and open the cases that
# follow from watching (a retaliation case, an accountability case for a missed deadline).
WATCHERS = frozenset({Role.OVERSIGHT})
# Roles that produce a case's case file (the whole case as a PDF). Legal counsel is given
# the oversight role for now.
CASE_FILE_READERS = frozenset({Role.OVERSIGHT})
# Roles that keep the policies, acknowledgements, training records and support resources.
POLICY_ADMINS = frozenset({Role.ADMINISTRATOR})
# Roles that investigate, each only the cases they are named on (ombuds.investigations).
INVESTIGATORS = frozenset({Role.INVESTIGATOR})
# Roles that may open a case at all: the case readers, and investigators on their own cases.
CASE_OPENERS = CASE_READERS | INVESTIGATORS
# Roles that work an investigation: allegations, the plan, interviews, evidence, findings.
INVESTIGATION_WORKERS = CASE_WORKERS | INVESTIGATORS
# Roles that edit and publish the questionnaire (the extra questions per category).
QUESTIONNAIRE_EDITORS = frozenset({Role.ADMINISTRATOR})
# Roles that use the administration pages (/staff/admin/): staff accounts, the directory,
# the organisation's settings. They read no case.
ADMINISTERS = frozenset({Role.ADMINISTRATOR})
# Roles that see the oversight analytics (ombuds.analytics): oversight in full, lead
# handlers in a reduced form. Auditors read the trail, not the figures.
ANALYTICS_READERS = frozenset({Role.OVERSIGHT, Role.LEAD_HANDLER})
# Roles that produce the prevention-duty evidence pack.
EVIDENCE_PACK_MAKERS = frozenset({Role.OVERSIGHT})
# Roles that must use a second factor before seeing anything. The administrator reads no
# case, but gives out the roles that do: her account is worth as much as theirs.
MFA_REQUIRED = CASE_READERS | {Role.AUDITOR, Role.INVESTIGATOR, Role.HR, Role.ADMINISTRATOR}

_CACHE_ATTR = "_ombuds_roles"


def roles_of(user: User | AnonymousUser) -> frozenset[Role]:
    """The roles a user holds (cached on the user object for the request)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_roles(user: User) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
