"""The organisation's settings and who handles what: deadlines, names, pools, leavers."""

from __future__ import annotations

import hashlib
import zoneinfo
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ombuds.accounts.mail import queue_settings_notice
from ombuds.accounts.roles import ASSIGNABLE, roles_of
from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.cases import keyring, routing
from ombuds.cases.actions._base import ActionError, clean_text, system_record
from ombuds.cases.models import Case, Category, Organisation, PoolMembership, Status
from ombuds.lib.durations import Duration, InvalidDuration, describe, describe_text, longer_than


class NothingToChange(ActionError):
    """The settings already have the values given (the administration page saves other settings then)."""


# The longest each deadline may be set to. The EU Whistleblower Directive (art. 9(1)(b),
# (f)) asks for an acknowledgement within seven days and feedback within three months;
# a serious report's first action is never later than the acknowledgement. Without a
# ceiling, one administrator could set years and no case would ever escalate (R2).
LONGEST_DEADLINES = {"ack_deadline": "P7D", "feedback_deadline": "P3M", "assault_first_action_deadline": "P7D"}
DEADLINE_NAMES = {
    "ack_deadline": gettext_lazy("The acknowledgement deadline"),
    "feedback_deadline": gettext_lazy("The feedback deadline"),
    "assault_first_action_deadline": gettext_lazy("The first-action deadline for sexual assault"),
}


def configure_organisation(
    *,
    name: str | None = None,
    oversight_name: str | None = None,
    oversight_contact: str | None = None,
    fallback_contact: str | None = None,
    ack_deadline: str | None = None,
    feedback_deadline: str | None = None,
    assault_first_action_deadline: str | None = None,
    time_zone: str | None = None,
    languages: Sequence[str] | None = None,
    reporters_may_search_directory: bool | None = None,
    names_per_language: Mapping[str, Mapping[str, str]] | None = None,
    acting_user: User | None = None,
) -> Organisation:
    """Change the organisation's settings; everything is checked before anything is saved.

    A setting given as None is left alone. Refused when nothing would change. The audit
    event names the settings changed and the new deadlines, time zone and languages
    (never the free text of names and contacts).
    """
    values: dict[str, object] = {}
    for field, value in [
        ("ack_deadline", ack_deadline),
        ("feedback_deadline", feedback_deadline),
        ("assault_first_action_deadline", assault_first_action_deadline),
    ]:
        if value is None:
            continue
        try:
            duration = Duration.parse(value)
        except InvalidDuration as exc:
            raise ActionError(str(exc)) from None
        longest = Duration.parse(LONGEST_DEADLINES[field])
        if longer_than(duration, longest):
            raise ActionError(
                _("%(deadline)s may be at most %(longest)s: the law sets it, and a longer one would never escalate.")
                % {"deadline": DEADLINE_NAMES[field], "longest": describe(longest)}
            )
        values[field] = value.strip().upper()
    if name is not None:
        values["name"] = clean_text(name, name=_("name"), max_length=200, required=True)
    if oversight_name is not None:
        values["oversight_name"] = clean_text(oversight_name, name=_("name"), max_length=200, required=True)
    if oversight_contact is not None:
        values["oversight_contact"] = clean_text(oversight_contact, name=_("oversight contact"), max_length=1000)
    if fallback_contact is not None:
        values["fallback_contact"] = clean_text(fallback_contact, name=_("fallback contact"), max_length=1000)
    if time_zone is not None:
        values["time_zone"] = _time_zone(time_zone)
    if languages is not None:
        values["languages"] = _languages(languages)
    if reporters_may_search_directory is not None:
        values["reporters_may_search_directory"] = reporters_may_search_directory
    if names_per_language is not None:
        values["names_per_language"] = _names_per_language(names_per_language)
    with transaction.atomic(durable=True):
        org = Organisation.objects.select_for_update().get(pk=1)
        changed = sorted(field for field, value in values.items() if getattr(org, field) != value)
        if not changed:
            raise NothingToChange(_("Nothing to change: the settings already have these values."))
        before = {field: getattr(org, field) for field in changed}
        for field in changed:
            setattr(org, field, values[field])
        org.save(update_fields=changed)
        with translation.override(settings.LANGUAGE_CODE):  # as the worker writes the rest of the e-mail
            facts = _settings_facts(org, before)
        queue_settings_notice(facts=facts, acting_user=acting_user)
        log.record_system(
            EventType.ORGANISATION_CONFIGURED,
            actor_id=acting_user.pk if acting_user is not None else None,
            changed=changed,
            ack_deadline=org.ack_deadline,
            feedback_deadline=org.feedback_deadline,
            assault_first_action_deadline=org.assault_first_action_deadline,
            time_zone=org.zone_name(),
            languages=[code for code, _name in org.offered_languages()],
            reporters_may_search_directory=org.reporters_may_search_directory,
            # What reporters are shown to reach oversight, or when it is conflicted: a digest of
            # each new text, so that what they were shown on a day can be proved later.
            contacts={
                field: hashlib.sha256(getattr(org, field).encode()).hexdigest()
                for field in ("oversight_contact", "fallback_contact")
                if field in changed
            },
        )
    return org


def _settings_facts(org: Organisation, before: Mapping[str, object]) -> list[tuple[str, dict[str, str]]]:
    """What the oversight body is told of a change to the settings (accounts.mail.SETTINGS_CHANGES)."""
    facts: list[tuple[str, dict[str, str]]] = []
    for field in ("oversight_contact", "fallback_contact"):
        if field in before:
            facts.append((field, {"text": getattr(org, field) or "—", "old": str(before[field]) or "—"}))
    for field, name in DEADLINE_NAMES.items():
        if field in before:
            new, old = describe_text(getattr(org, field)), describe_text(str(before[field]))
            if new != old:  # P1W for P7D is no change to tell
                facts.append(("deadline", {"deadline": str(name), "new": new, "old": old or "—"}))
    if "reporters_may_search_directory" in before:
        on = org.reporters_may_search_directory
        facts.append(("directory_search_on" if on else "directory_search_off", {}))
    return facts


NAME_KINDS = ("name", "oversight_name")


def _names_per_language(given: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """{language: {"name": …, "oversight_name": …}}, checked; empty names are left out (the default name is used)."""
    installed = {code for code, _name in settings.LANGUAGES}
    names: dict[str, dict[str, str]] = {}
    for code, kinds in given.items():
        if code not in installed:
            raise ActionError(_("%(code)s is not one of the installed languages.") % {"code": code})
        for kind, text in kinds.items():
            if kind not in NAME_KINDS:
                raise ActionError(_("unknown kind of name"))
            cleaned = clean_text(text, name=_("name"), max_length=200)
            if cleaned:
                names.setdefault(code, {})[kind] = cleaned
    return names


def _time_zone(value: str) -> str:
    value = value.strip()
    if not value:
        return ""  # OMBUDS_TIME_ZONE
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ActionError(
            _("%(zone)s is not a known time zone, such as Europe/Berlin or Asia/Shanghai.") % {"zone": value}
        ) from None
    return value


def _languages(codes: Sequence[str]) -> str:
    installed = [code for code, _name in settings.LANGUAGES]
    chosen = {code.strip().lower() for code in codes}
    unknown = sorted(chosen - set(installed))
    if unknown:
        raise ActionError(
            _("Unknown language: %(codes)s. Choose from %(installed)s.")
            % {"codes": ", ".join(unknown), "installed": ", ".join(installed)}
        )
    if not chosen:
        raise ActionError(_("Offer at least one language."))
    if chosen == set(installed):
        return ""  # all of them, as the organisation starts
    return ",".join(code for code in installed if code in chosen)


def set_pool_membership(*, category: str, user: User, member: bool, acting_user: User | None = None) -> None:
    """Put a handler in or out of a category's pool (who sees and hears of new cases).

    Refused when the handler is already in (or already out of) the pool.
    """
    if category not in Category.values:
        raise ActionError(_("unknown category"))
    if member and not (user.is_active and roles_of(user) & ASSIGNABLE):
        raise ActionError(_("only handlers can be in a pool"))
    with transaction.atomic(durable=True):
        if member:
            _membership, created = PoolMembership.objects.get_or_create(category=category, user=user)
            if not created:
                raise ActionError(_("%(email)s is in this pool already.") % {"email": user.email})
        elif not PoolMembership.objects.filter(category=category, user=user).delete()[0]:
            raise ActionError(_("%(email)s is not in this pool.") % {"email": user.email})
        change = "pool_in" if member else "pool_out"
        with translation.override(settings.LANGUAGE_CODE):  # as the worker writes the rest of the e-mail
            label = str(Category(category).label)
        queue_settings_notice(facts=[(change, {"email": user.email, "category": label})], acting_user=acting_user)
        log.record_system(
            EventType.POOL_CHANGED,
            actor_id=acting_user.pk if acting_user is not None else None,
            category=category,
            user=user.pk,
            member=member,
        )
    # A pool decides which handlers see the category's unassigned cases (its first member
    # takes them away from every other handler), so every handler's grants follow.
    for handler in routing.assignable_handlers():
        keyring.resync_user(handler)


def release_assignments(*, user: User) -> int:
    """Unassign every open case of a person who leaves; each case shows "nobody" until reassigned."""
    now = timezone.now()
    released = 0
    for case_id in Case.objects.filter(assignee=user).exclude(status=Status.CLOSED).values_list("pk", flat=True):
        with transaction.atomic(durable=True):
            case = Case.objects.select_for_update().get(pk=case_id)
            case.assignee = None
            case.save(update_fields=["assignee"])
            system_record(EventType.CASE_ASSIGNED, case=case, at=now, assignee=None, previous=user.pk)
            keyring.sync_grants(case, None, now=now)
            released += 1
    return released
