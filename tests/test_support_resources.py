"""The support page: help lines for the country the reporter chooses, in her language, never guessed from her."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from ombuds.audit.models import AuditEvent, EventType
from ombuds.core.templatetags.reader_dates import written_date
from ombuds.resources import actions, catalogue
from ombuds.resources.models import DefaultOverride
from tests.support import client_for

pytestmark = pytest.mark.django_db

ZH = "zh-CN,zh;q=0.9"
ROOT = Path(settings.BASE_DIR)


def _page(client: Client, query: str = "", **headers: Any) -> str:
    response = client.get(f"/support/{query}", **headers)
    assert response.status_code == 200
    return response.content.decode()


def _phones(html: str) -> set[str]:
    return set(re.findall(r'<a href="tel:[^"]*">([^<]+)</a>', html))


# --- the shipped defaults ------------------------------------------------------------------


def test_every_shipped_entry_names_its_source_and_when_it_was_checked_and_speaks_both_languages() -> None:
    shipped = catalogue.defaults()
    assert set(shipped.countries) == {"CN", "GB", "US", "AU", "IE", "DE", "FR"}
    for entry in shipped.entries:
        assert entry.source_url.startswith("https://"), entry.key
        assert date(2026, 1, 1) <= entry.checked <= date(2030, 1, 1), entry.key
        assert entry.phone or entry.website, entry.key
        assert entry.website == "" or entry.website.startswith("https://"), entry.key
        assert set(entry.texts) == {"en", "zh-hans"}, entry.key
        assert all(text["name"] and text["description"] for text in entry.texts.values()), entry.key
    for country in shipped.countries:
        kinds = {entry.kind for entry in shipped.entries if entry.country == country}
        # Help in danger, specialist support and an authority outside the organisation, in every country.
        assert "emergency" in kinds, country
        assert "authority" in kinds, country
        # China has no national rape-crisis line; the women's federation's 12338 (an authority) takes those calls.
        assert kinds & {"sexual_violence", "domestic_abuse"} or country == "CN", country
        assert "legal" in kinds, country


def test_the_numbers_people_rely_on_are_the_ones_shipped() -> None:
    phones = {(entry.country, entry.phone) for entry in catalogue.defaults().entries}
    for expected in [
        ("CN", "110"),
        ("CN", "120"),
        ("CN", "12338"),
        ("CN", "12333"),
        ("GB", "999"),
        ("GB", "0808 500 2222"),
        ("GB", "0808 2000 247"),
        ("US", "911"),
        ("US", "800-656-4673"),
        ("US", "800-799-7233"),
        ("AU", "000"),
        ("AU", "1800 737 732"),
        ("IE", "112"),
        ("IE", "1800 77 8888"),
        ("IE", "1800 341 900"),
        ("DE", "110"),
        ("DE", "116 016"),
        ("FR", "17"),
        ("FR", "3919"),
    ]:
        assert expected in phones, expected


# --- the page ---------------------------------------------------------------------------------


def test_the_support_page_for_the_uk_in_english(client: Client) -> None:
    page = _page(client, "?country=GB")
    assert '<h2 class="country-name">United Kingdom</h2>' in page
    assert {"999", "0808 500 2222", "0808 2000 247", "116 123", "0300 123 1100"} <= _phones(page)
    assert '<a href="tel:08085002222">0808 500 2222</a>' in page
    assert "Rape Crisis 24/7 Support Line" in page
    assert "Reporting outside the organisation" in page
    assert "12338" not in _phones(page)


def test_the_support_page_for_china_in_chinese(client: Client) -> None:
    page = _page(client, "?country=CN", HTTP_ACCEPT_LANGUAGE=ZH)
    assert '<html lang="zh-hans">' in page
    assert "全国妇联12338妇女维权公益服务热线" in page
    assert "人力资源和社会保障12333咨询服务热线" in page
    assert {"110", "120", "12338", "12333", "12348"} <= _phones(page)
    assert "999" not in _phones(page)
    assert "Women's rights hotline" not in page


def test_the_support_page_for_the_uk_in_chinese_and_china_in_english(client: Client) -> None:
    uk = _page(client, "?country=GB", HTTP_ACCEPT_LANGUAGE=ZH)
    assert "强奸危机24小时支持热线" in uk and "0808 500 2222" in _phones(uk)
    china = _page(client, "?country=CN")
    assert "Women&#x27;s rights hotline of the All-China Women&#x27;s Federation" in china
    assert "12338" in _phones(china)


def test_each_shipped_entry_on_the_page_names_its_source_and_the_day_it_was_checked(client: Client) -> None:
    page = _page(client, "?country=GB")
    shipped = [entry for entry in catalogue.defaults().entries if entry.country == "GB"]
    for entry in shipped:
        line = (
            f'Checked on <span class="nowrap">{written_date(entry.checked)}</span> '
            f'against <a href="{entry.source_url}" rel="noopener noreferrer">'
            "its source</a>."
        )
        assert line in page, entry.key
    assert page.count('<p class="source help">') == len(shipped)


def test_an_entry_the_organisation_changed_no_longer_claims_the_shipped_source(staff, client: Client) -> None:
    shipped = catalogue.defaults().default("gb-rape-crisis")
    assert shipped is not None
    actions.change_default(
        key="gb-rape-crisis",
        phone="0808 500 2223",
        website=shipped.website,
        texts={code: (texts["name"], texts["description"]) for code, texts in shipped.texts.items()},
        hidden=False,
        actor=staff.admin,
    )
    page = _page(client, "?country=GB")
    changed = next(item for item in page.split('<li class="resource"')[1:] if "0808 500 2223" in item)
    assert 'class="source' not in changed
    others = sum(1 for entry in catalogue.defaults().entries if entry.country == "GB") - 1
    assert page.count('<p class="source help">') == others


def test_uk_is_understood_as_the_united_kingdom(client: Client) -> None:
    assert "0808 500 2222" in _phones(_page(client, "?country=uk"))


def test_the_chosen_country_is_kept_when_she_switches_language(client: Client) -> None:
    page = _page(client, "?country=GB")
    assert '<option value="GB" selected>' in page
    # The language switch returns to this very address, so the country stays chosen.
    assert 'name="next" value="/support/?country=GB"' in page
    switched = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/support/?country=GB"})
    assert switched["Location"] == "/support/?country=GB"
    after = client.get(switched["Location"]).content.decode()
    assert '<html lang="zh-hans">' in after
    assert '<option value="GB" selected>' in after
    assert "0808 500 2222" in _phones(after)


def test_the_country_is_pre_selected_from_the_organisation_setting(settings, client: Client) -> None:
    settings.OMBUDS_SUPPORT_COUNTRY = "AU"
    assert "1800 737 732" in _phones(_page(client))
    actions.configure_support(default_country="IE", quick_exit_url="", actor=None)
    page = _page(client)
    assert '<option value="IE" selected>' in page
    assert "1800 77 8888" in _phones(page)
    # Her own choice wins.
    assert "911" in _phones(_page(client, "?country=US"))


def test_without_a_setting_nothing_is_chosen_for_her(client: Client) -> None:
    page = _page(client)
    assert '<option value="" selected>' in page
    assert _phones(page) == set()
    assert "Choose your country" in page


FROM_CHINA = {
    "REMOTE_ADDR": "36.110.0.1",
    "HTTP_X_FORWARDED_FOR": "36.110.0.1",
    "HTTP_X_REAL_IP": "36.110.0.1",
    "HTTP_CF_IPCOUNTRY": "CN",
    "HTTP_X_COUNTRY_CODE": "CN",
    "HTTP_X_APPENGINE_COUNTRY": "CN",
    "HTTP_CLOUDFRONT_VIEWER_COUNTRY": "CN",
    "HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9",
}


def test_the_country_is_never_taken_from_her_address_or_headers(settings) -> None:
    settings.OMBUDS_SUPPORT_COUNTRY = "GB"
    plain = _without_csrf_token(_page(Client()))
    from_china = _without_csrf_token(_page(Client(), **FROM_CHINA))
    assert from_china == plain
    assert '<option value="GB" selected>' in from_china
    assert "12338" not in _phones(from_china)


def _without_csrf_token(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_no_module_of_the_support_or_policy_apps_reads_the_client_address() -> None:
    """What the page shows cannot depend on her address if the code never looks at it."""
    forbidden = {"REMOTE_ADDR", "HTTP_X_FORWARDED_FOR", "X-Forwarded-For", "get_client_ip", "META", "headers", "GeoIP"}
    offenders = []
    for app in ("resources", "policies"):
        for path in sorted((ROOT / "ombuds" / app).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                name = (
                    node.attr
                    if isinstance(node, ast.Attribute)
                    else node.value
                    if isinstance(node, ast.Constant)
                    else None
                )
                if isinstance(name, str) and any(word in name for word in forbidden):
                    offenders.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}: {name}")
    assert offenders == []


def test_the_support_page_works_without_javascript(client: Client) -> None:
    page = _page(client, "?country=FR")
    assert '<form method="get" class="country">' in page
    assert '<button class="button small" type="submit">' in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/ombuds/quick-exit.js" defer>']


# --- the administrators' changes ----------------------------------------------------------------


def _shipped_description(key: str, language: str) -> str:
    entry = catalogue.defaults().default(key)
    assert entry is not None
    return entry.texts[language]["description"]


def test_an_administrator_corrects_and_hides_a_default_and_each_change_is_audited(staff, client: Client) -> None:
    admin = client_for(staff.admin)
    form = {
        "phone": "0808 500 2223",
        "website": "https://rapecrisis.org.uk/",
        "name_en": "Rape Crisis (corrected)",
        "description_en": "Corrected description.",
        "name_zh-hans": "强奸危机24小时支持热线（英格兰和威尔士）",
        "description_zh-hans": _shipped_description("gb-rape-crisis", "zh-hans"),
    }
    assert admin.post("/staff/admin/resources/defaults/gb-rape-crisis/", form).status_code == 302
    page = _page(client, "?country=GB")
    assert "0808 500 2223" in _phones(page) and "Rape Crisis (corrected)" in page
    override = DefaultOverride.objects.get(key="gb-rape-crisis")
    assert override.texts is not None and override.phone == "0808 500 2223"
    # Unchanged in Chinese: still the shipped text, so a corrected file would reach it.
    assert "website" not in [f for f in ("website",) if override.website is not None]

    assert admin.post("/staff/admin/resources/defaults/gb-rape-crisis/", {**form, "hidden": "on"}).status_code == 302
    assert "Rape Crisis (corrected)" not in _page(client, "?country=GB")

    assert admin.post("/staff/admin/resources/defaults/gb-rape-crisis/reset/").status_code == 302
    page = _page(client, "?country=GB")
    assert "0808 500 2222" in _phones(page) and "Rape Crisis 24/7 Support Line" in page
    changes = AuditEvent.objects.filter(event_type=EventType.SUPPORT_RESOURCE_CHANGED, actor=staff.admin)
    assert [(event.detail["default"], event.detail["change"], event.detail["hidden"]) for event in changes] == [
        ("gb-rape-crisis", "changed", False),
        ("gb-rape-crisis", "changed", True),
        ("gb-rape-crisis", "reset", False),
    ]


def test_an_administrator_adds_the_organisations_own_support(staff, client: Client) -> None:
    admin = client_for(staff.admin)
    response = admin.post(
        "/staff/admin/resources/new/",
        {
            "country": "",
            "kind": "employer",
            "phone": "+44 20 7946 0000",
            "website": "https://eap.example.org/",
            "name_en": "Employee assistance programme",
            "description_en": "Free, confidential counselling, independent of your manager.",
            "name_zh-hans": "员工援助计划",
            "description_zh-hans": "免费、保密的心理咨询，与您的上级无关。",
            "position": "0",
        },
    )
    assert response.status_code == 302
    for country in ("GB", "CN"):
        page = _page(client, f"?country={country}")
        assert "Employee assistance programme" in page
        assert '<a href="tel:+442079460000">+44 20 7946 0000</a>' in page
    assert "员工援助计划" in _page(client, "?country=CN", HTTP_ACCEPT_LANGUAGE=ZH)
    event = AuditEvent.objects.get(event_type=EventType.SUPPORT_RESOURCE_CHANGED)
    assert event.actor_id == staff.admin.pk and event.detail["change"] == "added"


@pytest.mark.parametrize(
    ("field", "value"),
    [("website", "javascript:alert(1)"), ("website", "ftp://example.org/"), ("phone", "call me <b>now</b>")],
)
def test_it_refuses_a_link_or_number_that_is_not_one(staff, field: str, value: str) -> None:
    values = {"website": "", "phone": "", field: value}
    with pytest.raises(actions.ResourceError):
        actions.save_resource(
            resource=None,
            country="GB",
            kind="employer",
            texts={"en": ("Union", "")},
            hidden=False,
            position=0,
            actor=staff.admin,
            **values,
        )
    assert not AuditEvent.objects.filter(event_type=EventType.SUPPORT_RESOURCE_CHANGED).exists()


def test_the_settings_are_audited_and_a_bad_exit_address_is_refused(staff) -> None:
    admin = client_for(staff.admin)
    refused = admin.post(
        "/staff/admin/resources/settings/", {"default_country": "GB", "quick_exit_url": "javascript:alert(1)"}
    )
    assert refused.status_code == 400
    assert not AuditEvent.objects.filter(event_type=EventType.SUPPORT_SETTINGS_CHANGED).exists()
    saved = admin.post(
        "/staff/admin/resources/settings/", {"default_country": "GB", "quick_exit_url": "https://weather.example/"}
    )
    assert saved.status_code == 302
    assert catalogue.quick_exit_url() == "https://weather.example/"
    assert catalogue.organisation_country() == "GB"
    event = AuditEvent.objects.get(event_type=EventType.SUPPORT_SETTINGS_CHANGED)
    assert event.detail == {"default_country": "GB", "quick_exit_url_set": True}
