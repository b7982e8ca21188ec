"""What the support page lists: the shipped defaults with the administrators' changes, and their own entries.

The country shown is the one the reporter chose on the page, else the organisation's
choice (SupportSettings, else OMBUDS_SUPPORT_COUNTRY). Nothing here looks at the
request: not her address, not her browser's language, not any header.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

from ombuds.lib import languages
from ombuds.resources.models import DefaultOverride, ResourceKind, SupportResource, SupportSettings

DEFAULTS_FILE = Path(__file__).resolve().parent / "defaults.json"

# The order of the sections on the page: help in danger first, the organisation's own last.
KIND_ORDER = [
    ResourceKind.EMERGENCY,
    ResourceKind.POLICE,
    ResourceKind.MEDICAL,
    ResourceKind.SEXUAL_VIOLENCE,
    ResourceKind.DOMESTIC_ABUSE,
    ResourceKind.COUNSELLING,
    ResourceKind.LEGAL,
    ResourceKind.AUTHORITY,
    ResourceKind.EMPLOYER,
    ResourceKind.OTHER,
]
# Spelled the way people say it; stored and shown as ISO 3166.
ALIASES = {"UK": "GB"}


@dataclass(frozen=True)
class Default:
    key: str
    country: str
    kind: str
    phone: str
    website: str
    texts: dict[str, dict[str, str]]  # {language: {"name": ..., "description": ...}}
    source_url: str
    checked: date


@dataclass(frozen=True)
class Catalogue:
    countries: dict[str, dict[str, str]]  # code -> {language: name}, in the file's order
    entries: list[Default]

    def default(self, key: str) -> Default | None:
        return next((entry for entry in self.entries if entry.key == key), None)


def _texts(entry: dict[str, Any]) -> dict[str, dict[str, str]]:
    names: dict[str, str] = entry["name"]
    descriptions: dict[str, str] = entry.get("description", {})
    return {code: {"name": name, "description": descriptions.get(code, "")} for code, name in names.items()}


@cache
def defaults() -> Catalogue:
    """The shipped defaults, read once per process."""
    data = json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    return Catalogue(
        countries={country["code"]: country["name"] for country in data["countries"]},
        entries=[
            Default(
                key=entry["key"],
                country=entry["country"],
                kind=entry["kind"],
                phone=entry.get("phone", ""),
                website=entry.get("website", ""),
                texts=_texts(entry),
                source_url=entry["source"]["url"],
                checked=date.fromisoformat(entry["source"]["checked"]),
            )
            for entry in data["entries"]
        ],
    )


def normalise_country(value: str | None) -> str | None:
    """A known country code from what the reporter chose, or None."""
    code = (value or "").strip().upper()
    code = ALIASES.get(code, code)
    return code if code in defaults().countries else None


def _settings() -> SupportSettings | None:
    return SupportSettings.objects.filter(pk=1).first()


def organisation_country() -> str:
    """The country pre-selected on the support page: the administrators' choice, else OMBUDS_SUPPORT_COUNTRY."""
    chosen = _settings()
    code = chosen.default_country if chosen is not None and chosen.default_country else settings.OMBUDS_SUPPORT_COUNTRY
    return normalise_country(code) or ""


def quick_exit_url() -> str:
    """Where "Leave this page quickly" goes: the administrators' choice, else OMBUDS_QUICK_EXIT_URL."""
    chosen = _settings()
    if chosen is not None and chosen.quick_exit_url:
        return chosen.quick_exit_url
    return str(settings.OMBUDS_QUICK_EXIT_URL)


def country_name(code: str, language: str) -> str:
    names = defaults().countries.get(code, {})
    picked = languages.pick(names, language)
    return names[picked] if picked else code


def countries(language: str) -> list[tuple[str, str]]:
    return [(code, country_name(code, language)) for code in defaults().countries]


@dataclass(frozen=True)
class Entry:
    """One line of the support page (or of the administrators' list)."""

    ref: str  # the default's key, or "org-<id>" for the organisation's own
    kind: str
    name: str
    description: str
    phone: str
    website: str
    language: str
    # Only for defaults: where the entry was checked, and when.
    source_url: str = ""
    checked: date | None = None
    own: bool = False
    changed: bool = False
    hidden: bool = False

    @property
    def tel(self) -> str:
        """The number for a tel: link: digits, and a leading + if there is one."""
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        return ("+" if self.phone.strip().startswith("+") else "") + digits


def _pick_texts(texts: dict[str, dict[str, str]], language: str) -> tuple[str, str, str]:
    code = languages.pick(texts, language)
    if code is None:
        return "", "", language
    return texts[code].get("name", ""), texts[code].get("description", ""), code


def _default_entry(entry: Default, override: DefaultOverride | None, language: str) -> Entry:
    texts = entry.texts
    if override is not None and override.texts:
        texts = {**texts, **override.texts}
    name, description, code = _pick_texts(texts, language)
    return Entry(
        ref=entry.key,
        kind=entry.kind,
        name=name,
        description=description,
        phone=override.phone if override is not None and override.phone is not None else entry.phone,
        website=override.website if override is not None and override.website is not None else entry.website,
        language=code,
        source_url=entry.source_url,
        checked=entry.checked,
        changed=override is not None and (override.phone, override.website, override.texts) != (None, None, None),
        hidden=override.hidden if override is not None else False,
    )


def _own_entry(resource: SupportResource, language: str) -> Entry:
    name, description, code = _pick_texts(resource.texts, language)
    return Entry(
        ref=f"org-{resource.pk}",
        kind=resource.kind,
        name=name,
        description=description,
        phone=resource.phone,
        website=resource.website,
        language=code,
        own=True,
        hidden=resource.hidden,
    )


def entries(country: str, language: str, *, include_hidden: bool = False) -> list[Entry]:
    """The entries for `country` ("" for none chosen: only those for every country), defaults first."""
    overrides = {override.key: override for override in DefaultOverride.objects.all()}
    found = [
        _default_entry(entry, overrides.get(entry.key), language)
        for entry in defaults().entries
        if country and entry.country == country
    ]
    own = (
        SupportResource.objects.filter(country__in=[country, ""])
        if country
        else SupportResource.objects.filter(country="")
    )
    found += [_own_entry(resource, language) for resource in own]
    return [entry for entry in found if include_hidden or not entry.hidden]


def sections(country: str, language: str) -> list[tuple[str, list[Entry]]]:
    """The page's sections: (heading, entries) in KIND_ORDER, empty ones left out."""
    listed = entries(country, language)
    return [
        (str(kind.label), [entry for entry in listed if entry.kind == kind])
        for kind in KIND_ORDER
        if any(entry.kind == kind for entry in listed)
    ]


def own_entries(language: str) -> list[tuple[SupportResource, Entry, str]]:
    """The organisation's own entries, hidden ones too, with the name of their country ("" for every country)."""
    return [
        (resource, _own_entry(resource, language), country_name(resource.country, language) if resource.country else "")
        for resource in SupportResource.objects.all()
    ]
