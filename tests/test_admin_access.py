"""Who reaches the administration pages: administrators with the second factor, nobody else.

Every route under /staff/admin/ comes from the URL configuration (tests/support.py), so
a page added later, by this app or another, is walked too. Everyone but an
administrator gets 404, GET or POST, as for a page that does not exist; an
administrator still gets 404 on every case route.
"""

from __future__ import annotations

import pytest
from django.test import Client

from ombuds.audit.models import AuditEvent
from ombuds.cases import actions
from ombuds.cases.models import Appeal, Attachment
from tests.support import CaseIds, case_routes, client_for, make_staff, password_only_client, paths_for, staff_routes

pytestmark = pytest.mark.django_db

ADMIN_PREFIX = "staff/admin/"
NOT_ADMINISTRATORS = ["handler", "lead", "oversight", "auditor", "outsider", "accused"]
# A body for every POST that an administrator's form would accept, so a refusal is the rule, not the form.
FORM = {
    "email": "walk@example.org",
    "name": "Walk",
    "roles": ["handler"],
    "confirm": "on",
    "token": "all",
    "category": "bullying",
    "op": "add",
    "digest": "0" * 64,
}


def admin_paths(namespace: str | None = None) -> list[str]:
    ids = CaseIds(reference="C-WALK", attachment_id=1, appeal_id=1)
    routes = [route for route in staff_routes() if route.route.startswith(ADMIN_PREFIX)]
    if namespace is not None:
        routes = [route for route in routes if route.name.startswith(f"{namespace}:")]
    return list(dict.fromkeys(path for route in routes for path in paths_for(route, ids)))


def test_the_walk_finds_every_administration_page() -> None:
    paths = admin_paths()
    for expected in [
        "/staff/admin/",
        "/staff/admin/staff/",
        "/staff/admin/staff/invite/",
        "/staff/admin/staff/1/roles/",
        "/staff/admin/staff/1/deactivate/",
        "/staff/admin/staff/1/reactivate/",
        "/staff/admin/staff/1/second-factor/",
        "/staff/admin/staff/1/tokens/revoke/",
        "/staff/admin/directory/",
        "/staff/admin/directory/upload/",
        "/staff/admin/directory/uploads/1/confirm/",
        "/staff/admin/organisation/",
        "/staff/admin/pools/",
    ]:
        assert expected in paths, expected


@pytest.mark.parametrize("persona", NOT_ADMINISTRATORS)
def test_everyone_but_an_administrator_gets_404_on_every_administration_route(staff, persona) -> None:
    client = client_for(getattr(staff, persona))
    events = AuditEvent.objects.count()
    for path in admin_paths():
        assert client.get(path).status_code == 404, path
        assert client.post(path, FORM).status_code == 404, path
    assert AuditEvent.objects.count() == events  # and nothing was done


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login(staff) -> None:
    for path in admin_paths():
        response = Client().get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/staff/accounts/login/"), path


def test_an_administrator_must_pass_the_second_factor_first(staff) -> None:
    client = password_only_client(staff.admin)
    for path in admin_paths():
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/staff/accounts/2fa/"), path
    newcomer = make_staff("new-admin@example.org", "administrator", totp=False)
    response = client_for(newcomer).get("/staff/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/accounts/2fa/totp/activate/"


def test_an_administrator_reaches_every_page(staff) -> None:
    client = client_for(staff.admin)
    # The pages of this app; the policies', resources' and questionnaire's pages under
    # /staff/admin/ need rows of their own and are walked by their tests.
    for path in admin_paths(namespace="administration"):
        # A staff account's pages about a real account (the walk's id 1 need not exist:
        # PostgreSQL does not start ids again at 1 for each test).
        path = path.replace("/staff/admin/staff/1/", f"/staff/admin/staff/{staff.handler.pk}/")
        status = client.get(path).status_code
        # Pages answer 200; action routes refuse GET (405); a directory file that does not exist is 404.
        assert status in (200, 405) or (status == 404 and "/uploads/" in path), (path, status)
    assert client.get("/staff/admin/").status_code == 200
    assert client.get(f"/staff/admin/staff/{staff.handler.pk}/").status_code == 200


def test_an_administrator_still_gets_404_on_every_case_route(staff, file_report) -> None:
    filed = file_report(attachments=[actions.NewAttachment(filename="a.txt", content_type="text/plain", data=b"x")])
    actions.file_appeal(report=filed.report, reason="Nobody answered.")
    client = client_for(staff.admin)
    for path in case_routes(filed.case.reference, Attachment.objects.get().pk, Appeal.objects.get().pk):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"body": "x", "reason": "x", "note": "x"}).status_code == 404, path


def test_the_staff_menu_shows_administration_to_administrators_only(staff) -> None:
    assert 'href="/staff/admin/"' in client_for(staff.admin).get("/staff/").content.decode()
    for persona in ["handler", "oversight", "auditor"]:
        assert 'href="/staff/admin/"' not in client_for(getattr(staff, persona)).get("/staff/").content.decode()


# English sentences of the administration pages; none may be left on a page shown in Chinese.
ENGLISH = [
    "Staff accounts",
    "Invite a staff member",
    "Directory person",
    "Second factor",
    "Last login",
    "Upload a directory file",
    "Last imports",
    "Name of the organisation",
    "Languages offered to reporters",
    "Add to the pool",
    "Save roles",
    "Deactivate the account",
    "Reset the second factor",
    "Not in the directory",
]


def test_every_administration_page_is_in_chinese_for_an_administrator_who_reads_chinese(staff) -> None:
    client = client_for(staff.admin)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/staff/admin/"})
    pages = {
        "/staff/admin/": "管理",
        "/staff/admin/staff/": "工作人员账户",
        "/staff/admin/staff/invite/": "邀请工作人员",
        f"/staff/admin/staff/{staff.handler.pk}/": "重置双重身份验证",
        "/staff/admin/directory/": "上传通讯录文件",
        "/staff/admin/organisation/": "向举报人提供的语言",
        "/staff/admin/pools/": "加入分配池",
    }
    for path, chinese in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert chinese in page, path
        left = [sentence for sentence in ENGLISH if sentence in page]
        assert left == [], (path, left)
