"""The questionnaire's admin pages (/staff/admin/questionnaire/) and the `ombuds questionnaire` command.

An administrator edits a category's draft with plain forms, previews it and publishes it
as a new version; each change is an audit event. Everyone else gets 404 on every route.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from ombuds.audit.models import ActorKind, AuditEvent, EventType
from ombuds.questionnaire import selectors
from ombuds.questionnaire.models import Version
from tests.support import CaseIds, paths_for, staff_routes

pytestmark = pytest.mark.django_db

BASE = "/staff/admin/questionnaire/"
CATEGORY_PAGE = BASE + "sexual_harassment/"

NEW_QUESTION = {
    "key": "who_else_knows",
    "kind": "several_choices",
    "text_en": "Who else knows about it?",
    "help_en": "Only if you want to say.",
    "choices_en": "A friend or family member\nA colleague\nNobody yet",
    "text_zh-hans": "还有谁知道这件事？",
    "help_zh-hans": "您愿意的话再说。",
    "choices_zh-hans": "朋友或家人\n同事\n还没有人",
    "choice_keys": "friend\ncolleague\nnobody",
}


def questionnaire_paths() -> list[str]:
    ids = CaseIds("C-0000000", 1, 1)
    routes = [route for route in staff_routes() if route.route.startswith("staff/admin/questionnaire/")]
    return [path for route in routes for path in paths_for(route, ids)]


def _events(event_type: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("seq"))


def test_the_walk_finds_every_questionnaire_route() -> None:
    paths = questionnaire_paths()
    assert BASE in paths
    assert f"{CATEGORY_PAGE}draft/publish/" in paths
    assert f"{CATEGORY_PAGE}draft/questions/1/move/" in paths
    assert f"{CATEGORY_PAGE}versions/1/" in paths
    assert len(paths) == 11


@pytest.mark.parametrize("persona", ["handler", "lead", "oversight", "auditor", "outsider"])
def test_everyone_but_an_administrator_gets_404_on_every_route(staff, persona) -> None:
    client = staff.client_for(getattr(staff, persona))
    draft_question = _draft_with_question(staff)
    paths = [*questionnaire_paths(), f"{CATEGORY_PAGE}draft/questions/{draft_question}/"]
    for path in paths:
        assert client.get(path).status_code == 404, path
        assert client.post(path, {**NEW_QUESTION, "direction": "up", "note": "x"}).status_code == 404, path
    # Nothing they sent changed anything.
    assert Version.objects.filter(number__isnull=True).get().questions.count() == len(
        selectors.questions(selectors.current("sexual_harassment"))
    )
    assert not Version.objects.filter(number=2).exists()


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login(client) -> None:
    for path in questionnaire_paths():
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/staff/accounts/login/")


def test_the_administrator_still_reads_no_case(staff, file_report) -> None:
    filed = file_report(answers={"ongoing": "yes"})
    assert staff.client_for(staff.admin).get(f"/staff/cases/{filed.case.reference}/").status_code == 404


def _draft_with_question(staff) -> int:
    from ombuds.questionnaire import actions

    draft = actions.start_draft(category="sexual_harassment", acting_user=staff.admin)
    return draft.questions.get(key="ongoing").pk


def test_an_administrator_adds_changes_moves_removes_previews_and_publishes(staff, file_report) -> None:
    admin = staff.client_for(staff.admin)
    index = admin.get(BASE).content.decode()
    assert 'href="/staff/admin/questionnaire/sexual_harassment/"' in index
    assert "version 1" in index

    started = admin.post(CATEGORY_PAGE + "draft/")
    assert started.status_code == 302
    draft = selectors.draft("sexual_harassment")
    assert draft is not None

    form = admin.get(CATEGORY_PAGE + "draft/questions/new/").content.decode()
    assert 'name="text_zh-hans"' in form and 'name="choices_en"' in form
    added = admin.post(CATEGORY_PAGE + "draft/questions/new/", NEW_QUESTION)
    assert added.status_code == 302, added.content.decode()
    question = draft.questions.get(key="who_else_knows")
    assert question.choices[2] == {"key": "nobody", "text": {"en": "Nobody yet", "zh-hans": "还没有人"}}
    assert question.position == 7

    edit = admin.get(f"{CATEGORY_PAGE}draft/questions/{question.pk}/").content.decode()
    assert "Who else knows about it?" in edit and "friend\ncolleague\nnobody" in edit
    changed = admin.post(
        f"{CATEGORY_PAGE}draft/questions/{question.pk}/",
        {**NEW_QUESTION, "text_en": "Has anyone else been told?", "kind": "several_choices"},
    )
    assert changed.status_code == 302
    question.refresh_from_db()
    assert question.text["en"] == "Has anyone else been told?"

    assert admin.post(f"{CATEGORY_PAGE}draft/questions/{question.pk}/move/", {"direction": "up"}).status_code == 302
    question.refresh_from_db()
    assert question.position == 6
    ongoing = draft.questions.get(key="people_present")
    assert admin.post(f"{CATEGORY_PAGE}draft/questions/{ongoing.pk}/remove/").status_code == 302
    assert not draft.questions.filter(key="people_present").exists()

    page = admin.get(CATEGORY_PAGE).content.decode()
    assert re.search(r"New questions:\s*<code>who_else_knows</code>", page)
    assert re.search(r"Removed questions:\s*<code>people_present</code>", page)
    preview = admin.get(CATEGORY_PAGE + "draft/preview/", {"language": "zh-hans"}).content.decode()
    assert "还有谁知道这件事？" in preview and "朋友或家人" in preview
    assert "不作答" in preview  # the preview's own widgets speak the previewed language

    filed_before = file_report(answers={"people_present": "yes"})
    published = admin.post(CATEGORY_PAGE + "draft/publish/", {"note": "Ask who else knows."}, follow=True)
    assert "Version 2 published" in published.content.decode()
    version = selectors.current("sexual_harassment")
    assert version is not None and version.number == 2 and version.published_by == staff.admin
    assert [q.key for q in version.questions.all()] == [
        "setting",
        "work_trip_or_event",
        "relationship",
        "ongoing",
        "who_else_knows",
        "safe_now",
    ]
    publish_event = _events(EventType.QUESTIONNAIRE_PUBLISHED)[-1]
    assert publish_event.actor_id == staff.admin.pk and publish_event.detail["version"] == 2
    assert [e.detail["change"] for e in _events(EventType.QUESTIONNAIRE_DRAFT_CHANGED)] == [
        "draft_started",
        "question_added",
        "question_changed",
        "question_moved",
        "question_removed",
    ]
    history = admin.get(f"{CATEGORY_PAGE}versions/1/").content.decode()
    assert "Were managers or other people from work there when it happened?" in history
    assert filed_before.report.questionnaire.number == 1
    assert admin.get(f"{CATEGORY_PAGE}versions/3/").status_code == 404


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"text_zh-hans": ""}, "This field is required."),
        (
            {"choices_zh-hans": "朋友或家人\n同事"},
            "Give the same number of choices, in the same order, in every language.",
        ),
        ({"choice_keys": "friend\ncolleague"}, "Give one key per choice, or leave the keys empty."),
        ({"key": "Who Else"}, "Use small letters, digits and _"),
        ({"kind": "one_choice", "choices_en": "", "choices_zh-hans": "", "choice_keys": ""}, "at least two choices"),
        ({"help_zh-hans": ""}, "The help text is missing in: Simplified Chinese"),
        (
            {"required": "on", "text_en": "Attach photos that prove it.", "text_zh-hans": "请附上能证明的照片。"},
            "A report never needs evidence",
        ),
    ],
)
def test_a_question_that_is_not_complete_is_refused_and_explained(staff, change, problem) -> None:
    admin = staff.client_for(staff.admin)
    admin.post(CATEGORY_PAGE + "draft/")
    response = admin.post(CATEGORY_PAGE + "draft/questions/new/", {**NEW_QUESTION, **change})
    assert response.status_code == 400
    assert problem in response.content.decode()
    draft = selectors.draft("sexual_harassment")
    assert draft is not None
    assert not draft.questions.filter(key__in=["who_else_knows", "Who Else"]).exists()


def test_publishing_an_unchanged_draft_is_refused_and_discarding_leaves_the_version(staff) -> None:
    admin = staff.client_for(staff.admin)
    admin.post(CATEGORY_PAGE + "draft/")
    refused = admin.post(CATEGORY_PAGE + "draft/publish/", follow=True).content.decode()
    assert "The draft is the same as the published version: there is nothing to publish." in refused
    assert not _events(EventType.QUESTIONNAIRE_PUBLISHED)
    assert admin.post(CATEGORY_PAGE + "draft/discard/").status_code == 302
    assert selectors.draft("sexual_harassment") is None
    assert Version.objects.get(category="sexual_harassment").number == 1
    # Without a draft, nothing can be edited: the pages say to start one.
    assert admin.get(CATEGORY_PAGE + "draft/questions/new/").status_code == 302


def test_the_command_exports_imports_and_publishes_versioned_json(staff, tmp_path: Path) -> None:
    exported = tmp_path / "questionnaire.json"
    call_command("questionnaire", "export", "--category", "bullying", "--output", str(exported))
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert document["format"] == "ombuds-questionnaire/1"
    assert document["categories"][0]["version"] == 1
    document["categories"][0]["questions"][0]["text"]["en"] = "How long has this been going on?"
    exported.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    out = io.StringIO()
    call_command("questionnaire", "import", str(exported), "--publish", "--note", "reworded", stdout=out)
    assert out.getvalue() == "bullying: draft of 5 questions\nbullying: version 2 published\n"
    version = selectors.current("bullying")
    assert version is not None and version.note == "reworded"
    assert version.questions.get(key="how_long").text["en"] == "How long has this been going on?"
    event = _events(EventType.QUESTIONNAIRE_PUBLISHED)[-1]
    assert event.actor_kind == ActorKind.SYSTEM and event.actor_id is None

    # The draft became version 2: there is nothing left to publish.
    with pytest.raises(CommandError, match="There is no draft for this category"):
        call_command("questionnaire", "publish", "bullying")
    # The same document again makes a draft equal to version 2, which is not published twice.
    with pytest.raises(CommandError, match="nothing to publish"):
        call_command("questionnaire", "import", str(exported), "--publish", stdout=io.StringIO())
    assert selectors.current("bullying") == version


def test_the_command_refuses_a_broken_document_and_changes_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(
        json.dumps(
            {
                "format": "ombuds-questionnaire/1",
                "categories": [
                    {
                        "category": "bullying",
                        "questions": [{"key": "q", "kind": "yes_no", "text": {"en": "In English only?"}}],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="The question is missing in: Simplified Chinese"):
        call_command("questionnaire", "import", str(broken))
    assert selectors.draft("bullying") is None
    broken.write_text("{}", encoding="utf-8")
    with pytest.raises(CommandError, match="not a questionnaire document"):
        call_command("questionnaire", "import", str(broken))


def test_an_administrators_session_without_the_password_step_is_not_enough(client: Client) -> None:
    """Logged out: no page, no change (the login comes first)."""
    assert client.post(CATEGORY_PAGE + "draft/").status_code == 302
    assert selectors.draft("sexual_harassment") is None
