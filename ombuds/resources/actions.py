"""Every change to the support resources and the support settings, each audited in its transaction."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ombuds.accounts.mail import queue_settings_notice
from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.lib import languages
from ombuds.resources import catalogue
from ombuds.resources.models import DefaultOverride, ResourceKind, SupportResource, SupportSettings

MAX_NAME = 200
MAX_DESCRIPTION = 1000
PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{0,40}$")
_URL = URLValidator(schemes=["https", "http"])

# language code -> (name, description)
Texts = Mapping[str, tuple[str, str]]


class ResourceError(ValueError):
    """The change was refused; the message is safe to show to the person who asked."""


def _record(event: EventType, actor: User | None, **detail: object) -> None:
    log.record_system(event, actor_id=actor.pk if actor is not None else None, **detail)


def _tell_oversight(change: str, name: str, phone: str, website: str, hidden: bool, actor: User | None) -> None:
    """The oversight body hears of every change to where a reporter is sent for help (a helpline can be faked)."""
    with translation.override(settings.LANGUAGE_CODE):  # as the worker writes the rest of the e-mail
        values = {
            "change": {"added": _("added"), "changed": _("changed"), "reset": _("reset to what ombuds ships")}[change],
            "name": name,
            "phone": phone or "—",
            "website": website or "—",
            "shown": _("hidden from reporters") if hidden else _("shown to reporters"),
        }
    queue_settings_notice(facts=[("support_entry", values)], acting_user=actor)


def _name_of(texts: Mapping[str, Mapping[str, str]]) -> str:
    code = languages.pick(texts, settings.LANGUAGE_CODE)
    return texts[code].get("name", "") if code is not None else ""


def clean_website(value: str) -> str:
    website = value.strip()
    if not website:
        return ""
    try:
        _URL(website)
    except ValidationError:
        raise ResourceError(_("The website must be a full address starting with https://")) from None
    if len(website) > 500:
        raise ResourceError(_("The website address is longer than 500 characters."))
    return website


def clean_phone(value: str) -> str:
    phone = " ".join(value.split())
    if phone and not PHONE.fullmatch(phone):
        raise ResourceError(_("A phone number may hold digits, spaces, dashes and a leading +."))
    return phone


def _clean_texts(texts: Texts) -> dict[str, dict[str, str]]:
    cleaned: dict[str, dict[str, str]] = {}
    for code in languages.codes():
        name, description = texts.get(code, ("", ""))
        name, description = " ".join(name.split()), description.strip()
        if len(name) > MAX_NAME or len(description) > MAX_DESCRIPTION:
            raise ResourceError(_("A name may have 200 characters and a description 1,000."))
        if "\x00" in name + description:
            raise ResourceError(_("The text contains a character that cannot be stored."))
        if name or description:
            if not name:
                raise ResourceError(_("Each language with a description needs a name too."))
            cleaned[code] = {"name": name, "description": description}
    if not cleaned:
        raise ResourceError(_("Give the entry a name in at least one language."))
    return cleaned


def save_resource(
    *,
    resource: SupportResource | None,
    country: str,
    kind: str,
    phone: str,
    website: str,
    texts: Texts,
    hidden: bool,
    position: int,
    actor: User | None,
) -> SupportResource:
    """Add one of the organisation's own entries, or change one (`resource`)."""
    if country and catalogue.normalise_country(country) is None:
        raise ResourceError(_("Unknown country."))
    if kind not in ResourceKind.values:
        raise ResourceError(_("Unknown kind of support."))
    if not 0 <= position <= 999:
        raise ResourceError(_("The place on the list must be between 0 and 999."))
    values = {
        "country": catalogue.normalise_country(country) or "",
        "kind": kind,
        "phone": clean_phone(phone),
        "website": clean_website(website),
        "texts": _clean_texts(texts),
        "hidden": hidden,
        "position": position,
        "updated_at": timezone.now(),
        "updated_by": actor,
    }
    with transaction.atomic(durable=True):
        if resource is None:
            resource = SupportResource.objects.create(**values)
            change = "added"
        else:
            SupportResource.objects.filter(pk=resource.pk).update(**values)
            resource.refresh_from_db()
            change = "changed"
        _tell_oversight(change, _name_of(resource.texts), resource.phone, resource.website, hidden, actor)
        _record(
            EventType.SUPPORT_RESOURCE_CHANGED,
            actor,
            resource=resource.pk,
            change=change,
            country=resource.country,
            hidden=hidden,
        )
    return resource


def change_default(
    *, key: str, phone: str, website: str, texts: Texts, hidden: bool, actor: User | None
) -> DefaultOverride:
    """Change or hide a shipped default. Fields equal to the shipped value keep following the shipped file."""
    entry = catalogue.defaults().default(key)
    if entry is None:
        raise ResourceError(_("Unknown entry."))
    phone = clean_phone(phone)
    website = clean_website(website)
    cleaned = _clean_texts(texts)
    shipped = {code: entry.texts[code] for code in cleaned if code in entry.texts}
    with transaction.atomic(durable=True):
        override, _created = DefaultOverride.objects.update_or_create(
            key=key,
            defaults={
                "hidden": hidden,
                "phone": None if phone == entry.phone else phone,
                "website": None if website == entry.website else website,
                "texts": None if cleaned == shipped else cleaned,
                "updated_at": timezone.now(),
                "updated_by": actor,
            },
        )
        _tell_oversight("changed", _name_of(cleaned or entry.texts), phone, website, hidden, actor)
        _record(
            EventType.SUPPORT_RESOURCE_CHANGED,
            actor,
            default=key,
            change="changed",
            hidden=hidden,
            phone_changed=override.phone is not None,
            website_changed=override.website is not None,
            texts_changed=override.texts is not None,
        )
    return override


def reset_default(*, key: str, actor: User | None) -> None:
    """Undo every change to a shipped default: it is shown as shipped again."""
    entry = catalogue.defaults().default(key)
    if entry is None:
        raise ResourceError(_("Unknown entry."))
    with transaction.atomic(durable=True):
        DefaultOverride.objects.filter(key=key).delete()
        _tell_oversight("reset", _name_of(entry.texts), entry.phone, entry.website, False, actor)
        _record(EventType.SUPPORT_RESOURCE_CHANGED, actor, default=key, change="reset", hidden=False)


def configure_support(*, default_country: str, quick_exit_url: str, actor: User | None) -> SupportSettings:
    """The country the support page shows first, and the site "Leave this page quickly" opens.

    "" for either keeps the installation's setting (OMBUDS_SUPPORT_COUNTRY, OMBUDS_QUICK_EXIT_URL).
    """
    country = catalogue.normalise_country(default_country) if default_country else ""
    if country is None:
        raise ResourceError(_("Unknown country."))
    url = clean_website(quick_exit_url)
    with transaction.atomic(durable=True):
        chosen, _created = SupportSettings.objects.update_or_create(
            pk=1, defaults={"default_country": country, "quick_exit_url": url, "updated_at": timezone.now()}
        )
        with translation.override(settings.LANGUAGE_CODE):
            facts = [("support_settings", {"url": url or _("the installation's default"), "country": country or "—"})]
        queue_settings_notice(facts=facts, acting_user=actor)
        _record(
            EventType.SUPPORT_SETTINGS_CHANGED,
            actor,
            default_country=country,
            quick_exit_url_set=bool(url),
        )
    return chosen
