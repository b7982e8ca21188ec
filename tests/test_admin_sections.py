"""The administration home and navigation list every section, this app's and the other apps' alike."""

from __future__ import annotations

import re

import pytest

from ombuds.administration import nav
from tests.support import client_for

pytestmark = pytest.mark.django_db

SECTIONS = {
    "administration:staff": "/staff/admin/staff/",
    "administration:directory": "/staff/admin/directory/",
    "administration:organisation": "/staff/admin/organisation/",
    "administration:pools": "/staff/admin/pools/",
    "policies_admin:index": "/staff/admin/policies/",
    "policies_admin:report": "/staff/admin/policies/acknowledgements/",
    "policies_admin:training": "/staff/admin/training/",
    "resources_admin:index": "/staff/admin/resources/",
    "questionnaire:index": "/staff/admin/questionnaire/",
    "retention:periods": "/staff/admin/retention/",
}


def admin_nav(page: str) -> str:
    found = re.search(r'<nav class="filters admin".*?</nav>', page, re.S)
    assert found is not None, "the page has no administration navigation"
    return found.group(0)


def test_every_section_is_registered() -> None:
    assert {section.url_name: section.url for section in nav.sections()} == SECTIONS


def test_the_home_links_every_section_and_each_answers_an_administrator(staff) -> None:
    admin = client_for(staff.admin)
    home = admin.get("/staff/admin/").content.decode()
    for path in SECTIONS.values():
        assert f'<dt><a href="{path}">' in home, path
        assert admin.get(path).status_code == 200, path


def test_each_section_shows_the_navigation_with_itself_as_the_current_page(staff) -> None:
    admin = client_for(staff.admin)
    for path in SECTIONS.values():
        links = admin_nav(admin.get(path).content.decode())
        for other in SECTIONS.values():
            assert f'href="{other}"' in links, (path, other)
        current = re.findall(r'href="([^"]+)" aria-current="page"', links)
        assert current == [path], path


def test_a_page_deeper_in_a_section_marks_that_section(staff) -> None:
    admin = client_for(staff.admin)
    links = admin_nav(admin.get("/staff/admin/questionnaire/sexual_harassment/").content.decode())
    assert re.findall(r'href="([^"]+)" aria-current="page"', links) == ["/staff/admin/questionnaire/"]
    links = admin_nav(admin.get("/staff/admin/policies/new/").content.decode())
    assert re.findall(r'href="([^"]+)" aria-current="page"', links) == ["/staff/admin/policies/"]
