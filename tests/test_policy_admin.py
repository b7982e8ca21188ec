"""The administrators' pages for policies, training and support resources: 404 for everyone else, and the pages work.

The routes come from the URL resolver (tests/support.py), so a page added later under
/staff/admin/policies/, /staff/admin/training/ or /staff/admin/resources/ is walked too.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ombuds.audit.models import AuditEvent, EventType
from ombuds.policies import actions
from ombuds.policies.models import Policy, PolicyVersion, TrainingSession
from ombuds.resources import actions as resource_actions
from ombuds.resources.models import SupportResource
from tests.support import WALK_POLICY, client_for, password_only_client, staff_routes

pytestmark = pytest.mark.django_db

ADMIN_PREFIXES = ("staff/admin/policies/", "staff/admin/training/", "staff/admin/resources/")
OUR_EVENTS = [event for event in EventType if 170 <= event.value < 190]

TEXTS = {"en": ("Walk policy", "Words."), "zh-hans": ("巡查政策", "文字。")}

FORM = {
    "slug": "walked",
    "kind": "other",
    "position": "0",
    "title_en": "Walked",
    "body_en": "Walked.",
    "title_zh-hans": "走过",
    "body_zh-hans": "走过。",
    "unit": "",
    "country": "GB",
    "default_country": "GB",
    "quick_exit_url": "https://walk.example/",
    "name_en": "Walk",
    "phone": "123",
}


@pytest.fixture
def admin_paths(staff) -> list[str]:
    """Every administration path of these apps, each naming an object that exists."""
    policy = actions.create_policy(slug=WALK_POLICY, kind="other", texts=TEXTS, actor=staff.admin)
    actions.publish(policy=policy, actor=staff.admin)
    actions.start_next_version(policy=policy, actor=staff.admin)
    session = TrainingSession.objects.create(course="Walk course", held_on="2026-03-04")
    resource = resource_actions.save_resource(
        resource=None,
        country="GB",
        kind="employer",
        phone="",
        website="",
        texts={"en": ("Union", "")},
        hidden=False,
        position=0,
        actor=staff.admin,
    )
    values = {
        "slug": WALK_POLICY,
        "number": 1,
        "session_id": session.pk,
        "resource_id": resource.pk,
        "default_key": "gb-emergency",
    }
    paths = []
    for route in staff_routes():
        if route.route.startswith(ADMIN_PREFIXES):
            paths.append(reverse(route.name, kwargs={name: values[name] for name in route.parameters}))
    return paths


def test_the_walk_finds_every_kind_of_administration_page(admin_paths) -> None:
    for expected in [
        "/staff/admin/policies/",
        "/staff/admin/policies/new/",
        f"/staff/admin/policies/{WALK_POLICY}/publish/",
        "/staff/admin/policies/acknowledgements.csv",
        "/staff/admin/training/import/",
        "/staff/admin/resources/settings/",
        "/staff/admin/resources/defaults/gb-emergency/reset/",
    ]:
        assert expected in admin_paths
    assert len(admin_paths) >= 19


@pytest.mark.parametrize("who", ["handler", "lead", "oversight", "auditor", "outsider"])
def test_everyone_but_an_administrator_gets_404_on_every_administration_page(staff, admin_paths, who: str) -> None:
    person = getattr(staff, who)
    client = client_for(person)
    events_before = AuditEvent.objects.filter(event_type__in=OUR_EVENTS).count()
    drafts_before = list(PolicyVersion.objects.values_list("pk", "published_at"))
    answers = []
    for path in admin_paths:
        answers.append(("GET", path, client.get(path).status_code))
        answers.append(("POST", path, client.post(path, FORM).status_code))
    assert [answer for answer in answers if answer[2] != 404] == []
    # Nothing changed: no event, no publication, no entry.
    assert AuditEvent.objects.filter(event_type__in=OUR_EVENTS).count() == events_before
    assert list(PolicyVersion.objects.values_list("pk", "published_at")) == drafts_before
    assert not Policy.objects.filter(slug="walked").exists()
    assert SupportResource.objects.count() == 1


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login(admin_paths) -> None:
    for path in admin_paths:
        response = Client().get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/staff/accounts/login/"), path


def test_an_administrator_reaches_every_page(staff, admin_paths) -> None:
    admin = client_for(staff.admin)
    for path in admin_paths:
        status = admin.get(path).status_code
        assert status in (200, 405), (path, status)


def test_an_administrator_must_pass_the_second_factor_before_the_policy_pages(staff) -> None:
    """Administrators' pages follow the roles' second-factor rule, as every staff page does."""
    response = password_only_client(staff.admin).get("/staff/admin/policies/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/accounts/2fa/")


def test_an_administrator_writes_publishes_and_sends_a_policy_through_the_pages(staff) -> None:
    admin = client_for(staff.admin)
    created = admin.post("/staff/admin/policies/new/", {**FORM, "slug": "anti-harassment"})
    assert created.status_code == 302
    assert created["Location"] == "/staff/admin/policies/anti-harassment/"
    # Without Chinese, publishing is refused and says why.
    admin.post(
        "/staff/admin/policies/anti-harassment/draft/",
        {"title_en": "Anti-harassment", "body_en": "## Promise\n\nWords.", "note": "first"},
    )
    refused = admin.post("/staff/admin/policies/anti-harassment/publish/", follow=True)
    assert "Before publishing, give a title and a text in: Simplified Chinese" in refused.content.decode()
    admin.post(
        "/staff/admin/policies/anti-harassment/draft/",
        {"title_en": "Anti-harassment", "body_en": "Words.", "title_zh-hans": "反骚扰", "body_zh-hans": "文字。"},
    )
    published = admin.post("/staff/admin/policies/anti-harassment/publish/", follow=True)
    assert "Version 1 is published" in published.content.decode()
    event = AuditEvent.objects.get(event_type=EventType.POLICY_PUBLISHED)
    assert event.actor_id == staff.admin.pk
    sent = admin.post("/staff/admin/policies/anti-harassment/send/", {"unit": ""}, follow=True)
    assert "people will receive an e-mail" in sent.content.decode()
    assert AuditEvent.objects.filter(event_type=EventType.ACKNOWLEDGEMENTS_REQUESTED, actor=staff.admin).exists()
    assert Client().get("/policies/anti-harassment/").status_code == 200


def test_the_administration_pages_speak_chinese(staff, admin_paths) -> None:
    admin = client_for(staff.admin)
    english = ["Acknowledgements and training", "New policy", "Support resources", "Training records", "Ask employees"]
    for path in admin_paths:
        response = admin.get(path, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        page = response.content.decode()
        assert '<html lang="zh-hans">' in page, path
        assert "支持资源" in page, path  # the links of these pages
        assert [phrase for phrase in english if phrase in page] == [], path
