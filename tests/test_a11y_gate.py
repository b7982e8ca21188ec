"""The accessibility gate: axe-core and a 360 px phone on every page that exists.

Every reporter, staff and administration page is found from Django's URL resolver (as
tests/test_route_walk.py finds the staff routes), so a page added later is checked too.
Each is opened in headless Chromium, with the URL parameters filled from a seeded case
and as a person allowed to see it, in English and in Simplified Chinese, at 1280 px and
at 360 px. axe-core (the npm package pinned in package-lock.json, installed by
`make setup`) runs with the WCAG 2.0 A and AA, 2.1 AA, 2.2 AA and best-practice rules;
any violation fails, and so does a page that scrolls sideways at 360 px.

A failure names the rule, the page and the element's selector, never what the page says.
docs/accessibility.md describes the gate.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ombuds.cases import actions
from ombuds.cases.models import Appeal, Attachment
from ombuds.directory.models import Person
from ombuds.intake import access
from ombuds.intake.views import COOKIE as REPORTER_COOKIE
from ombuds.investigations import actions as investigation
from ombuds.investigations.helpers import NewAllegation
from ombuds.policies import actions as policies
from ombuds.policies.models import TrainingSession
from ombuds.resources import actions as resources
from tests.browser import SCREENSHOTS, TIMEOUT_MS, chromium
from tests.realserver import PROJECT_ROOT, running_server
from tests.support import (
    WALK_POLICY,
    CaseIds,
    Route,
    all_routes,
    client_for,
    make_staff,
    paths_for,
    release_audit_batch,
)

pytestmark = [pytest.mark.server, pytest.mark.browser]

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa", "best-practice"]
LANGUAGES = ("en", "zh-hans")
WIDE, PHONE = 1280, 360
HORIZONTAL_SCROLL = "horizontal-scroll-at-360px"

# Routes that are not pages: the language switch, the API, downloads and POST-only endpoints
# are recognised by their answer (not 200 text/html), so nothing needs to be listed here.
NOT_PAGES = ("i18n/", "api/")

# Staff and administration pages that still fail, as {route: {rule id, ...}}: fixed on the
# staff side of the same change. The gate reports them on every run and fails when an
# entry is no longer needed, so the list only shrinks; the merged gate has it empty.
KNOWN_STAFF_VIOLATIONS: dict[str, frozenset[str]] = {}


@dataclass
class Found:
    """What the gate saw: violations as (rule, path, target), and the pages it opened."""

    violations: set[tuple[str, str, str]] = field(default_factory=set)
    checked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Seeded:
    ids: CaseIds
    reporter_token: str
    staff: dict[str, Any]
    values: dict[str, object]


@dataclass(frozen=True)
class Site:
    """The seeded server: its pages as (area, route, path, persona), and each persona's cookies."""

    base: str
    pages: list[tuple[str, str, str, str]]
    cookies: dict[str, dict[str, str]]


def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(PROJECT_ROOT)} is missing: run `make setup` (it runs `npm ci`)")
    return AXE.read_text()


def _seed() -> Seeded:
    """A case with an attachment, an appeal, a keep-out request and an investigation, and the staff to see it."""
    lead = make_staff("gate-lead@example.org", "handler", "lead_handler")
    staff = {
        "lead": lead,
        "oversight": make_staff("gate-oversight@example.org", "oversight"),
        "admin": make_staff("gate-admin@example.org", "administrator"),
        "auditor": make_staff("gate-auditor@example.org", "auditor"),
        "hr": make_staff("gate-hr@example.org", "hr"),
    }
    filed = actions.file_report(
        category="sexual_harassment",
        role="affected",
        narrative="A seeded account for the accessibility gate.",
        anonymous=True,
        attachments=[actions.NewAttachment(filename="a.txt", content_type="text/plain", data=b"gate")],
    )
    release_audit_batch()
    token = access.open_session(filed.report, "web")
    actions.post_reporter_message(report=filed.report, body="A seeded message.")
    actions.file_appeal(report=filed.report, reason="A seeded appeal.")
    outsider = Person.objects.create(employee_id="G1", name="Gate Colleague")
    keep_out = actions.propose_keep_out(case=filed.case, actor=lead, person=outsider, note="A seeded request.")
    investigator = make_staff("gate-investigator@example.org", "investigator")
    actions.acknowledge_case(case=filed.case, actor=lead)
    actions.begin_assessment(case=filed.case, actor=lead)
    case = actions.open_investigation(
        case=filed.case,
        actor=lead,
        investigators=[investigator],
        allegations=[NewAllegation(conduct="Seeded conduct", name="Seeded name")],
    )
    task = investigation.add_task(
        case=case, actor=lead, title="Seeded task", owner=investigator, due_on=timezone.localdate()
    )
    interview = investigation.record_interview(
        case=case, actor=lead, interviewee="reporter", held_at=timezone.now(), present="Seeded", minutes="Seeded"
    )
    item = investigation.add_evidence(
        case=case,
        actor=lead,
        kind="file",
        description="Seeded evidence",
        source="Seeded source",
        file=actions.NewAttachment(filename="e.txt", content_type="text/plain", data=b"gate"),
    )
    policy = policies.create_policy(
        slug=WALK_POLICY,
        kind="other",
        texts={"en": ("Policy", "Words."), "zh-hans": ("政策", "文字。")},
        actor=staff["admin"],
    )
    policies.publish(policy=policy, actor=staff["admin"])
    policies.start_next_version(policy=policy, actor=staff["admin"])
    session = TrainingSession.objects.create(course="Gate course", held_on="2026-03-04")
    resource = resources.save_resource(
        resource=None,
        country="GB",
        kind="employer",
        phone="",
        website="",
        texts={"en": ("Union", "")},
        hidden=False,
        position=0,
        actor=staff["admin"],
    )
    values: dict[str, object] = {
        "session_id": session.pk,
        "resource_id": resource.pk,
        "user_id": staff["lead"].pk,
        "measure_id": 1,
        # An acknowledgement link nobody was sent: the page that says so.
        "token": "gate-link",
    }
    ids = CaseIds(
        filed.case.reference,
        Attachment.objects.filter(case=filed.case).first().pk,  # type: ignore[union-attr]
        Appeal.objects.get().pk,
        keep_out.pk,
        investigator_id=case.investigators.get().pk,
        allegation_id=case.allegations.get().pk,
        task_id=task.pk,
        interview_id=interview.pk,
        evidence_id=item.pk,
    )
    return Seeded(ids, token, staff, values)


def _is_page(client: Client, path: str) -> bool:
    response = client.get(path)
    return response.status_code == 200 and response.get("Content-Type", "").startswith("text/html")


def seed_and_discover() -> None:
    """Run in the server's environment (see `site`): seed, find every page and its persona, print them.

    Each page gets the first persona it answers 200 text/html to: staff in the order of
    `_seed`, then nobody logged in (the login pages); the reporter pages nobody first,
    then the reporter's session. A route no persona sees as a page (a POST-only step, a
    download, a row the seed lacks) is listed with no persona and reported as skipped.
    """
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    seeded = _seed()
    reporter = Client()
    reporter.cookies[REPORTER_COOKIE] = seeded.reporter_token
    staff = {name: client_for(user) for name, user in seeded.staff.items()}
    orders: dict[str, list[tuple[str, Client]]] = {
        "reporter": [("anonymous", Client()), ("reporter", reporter)],
        "staff": [*staff.items(), ("anonymous", Client())],
    }
    orders["admin"] = orders["staff"]
    pages = []
    for route in all_routes():
        if route.route.startswith(NOT_PAGES):
            continue
        area = _area(route)
        for path in paths_for(route, seeded.ids, seeded.values):
            persona = next((name for name, client in orders[area] if _is_page(client, path)), "")
            pages.append((area, route.route, path, persona))
    cookies = {name: {key: morsel.value for key, morsel in client.cookies.items()} for name, client in staff.items()}
    cookies["reporter"] = {REPORTER_COOKIE: seeded.reporter_token}
    cookies["anonymous"] = {}
    sys.stdout.write("GATE " + json.dumps({"pages": pages, "cookies": cookies}) + "\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One real server for the whole gate, seeded through the real actions in its own database."""
    with running_server(tmp_path_factory.mktemp("a11y-gate")) as server:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); import tests.test_a11y_gate as g; g.seed_and_discover()",
            ],
            cwd=PROJECT_ROOT,
            env=server.environment(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"seeding the gate's server failed:\n{result.stderr[-3000:]}"
        lines = [line for line in result.stdout.splitlines() if line.startswith("GATE ")]
        assert len(lines) == 1, "seeding printed no pages"
        data = json.loads(lines[0].removeprefix("GATE "))
        yield Site(server.base_url, [tuple(page) for page in data["pages"]], data["cookies"])


def _area(route: Route) -> str:
    if route.route.startswith("staff/admin/"):
        return "admin"
    if route.route.startswith("staff/"):
        return "staff"
    return "reporter"


def _cookies_for(persona: str, site: Site) -> list[dict[str, Any]]:
    return [{"name": name, "value": value, "url": site.base} for name, value in site.cookies[persona].items()]


RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => [v.id, v.nodes.map(n => n.target.join(" "))]);
}"""

SCROLLS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"


def _check(page: Any, path: str, found: Found, shot: str | None = None) -> None:
    """axe at 1280 px, then axe and the sideways scroll at 360 px, on the page as it is now."""
    for width in (WIDE, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(50)
        for rule, targets in page.evaluate(RUN_AXE, TAGS):
            for target in targets:
                found.violations.add((rule, path, target))
        if width == PHONE and page.evaluate(SCROLLS):
            found.violations.add((HORIZONTAL_SCROLL, path, "html"))
        if shot is not None:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{shot}-{width}.png"), full_page=True)


def _failed_submits(page: Any, base: str, found: Found, language: str) -> None:
    """The reporter forms after a failed submit: the error summary is a page state of its own."""
    for path, button in (("/report/", "form .actions button.primary"), ("/return/", "form .actions button.primary")):
        page.goto(base + path)
        with page.expect_navigation():
            page.locator(button).click()
        _check(page, path + " (after a failed submit)", found, shot=f"gate-{language}-{path.strip('/')}-error")


def _run_gate(area: str, site: Site) -> Found:
    found = Found()
    by_persona: dict[str, list[tuple[str, str]]] = {}
    for page_area, route, path, persona in site.pages:
        if page_area != area:
            continue
        if persona:
            by_persona.setdefault(persona, []).append((route, path))
        else:
            found.skipped.append(route)
    source = _axe_source()
    base = site.base
    with chromium() as browser:
        for language in LANGUAGES:
            for persona, paths in by_persona.items():
                context = browser.new_context(locale="en-GB" if language == "en" else "zh-CN")
                context.set_default_timeout(TIMEOUT_MS)
                # Init scripts are not subject to the page's CSP, and nothing the page runs changes.
                context.add_init_script(script=source)
                context.add_cookies(
                    [{"name": "django_language", "value": language, "url": base}, *_cookies_for(persona, site)]
                )
                page = context.new_page()
                for _route, path in paths:
                    response = page.goto(base + path)
                    assert response is not None and response.status == 200, f"{path} answered in the browser"
                    shot = f"gate-{language}-{area}-{path.strip('/').replace('/', '-') or 'start'}"
                    _check(page, path, found, shot=shot if area == "reporter" else None)
                    found.checked.append(f"{language} {path}")
                if persona == "anonymous" and area == "reporter":
                    _failed_submits(page, base, found, language)
                context.close()
    return found


def _route_of(path: str, pages: list[tuple[str, str, str, str]]) -> str:
    bare = path.split(" (")[0]
    return next((route for _area, route, p, _persona in pages if p == bare), bare)


def _report(area: str, found: Found, known: dict[str, frozenset[str]], pages: list[tuple[str, str, str, str]]) -> None:
    sys.stdout.write(f"\naxe gate, {area}: {len(found.checked)} page views checked at {WIDE} and {PHONE} px\n")
    if found.skipped:
        sys.stdout.write(f"  not pages for any persona (skipped): {', '.join(sorted(set(found.skipped)))}\n")
    tolerated = {
        (rule, path, target) for rule, path, target in found.violations if rule in known.get(_route_of(path, pages), ())
    }
    for rule, path, target in sorted(tolerated):
        # Shown in the warnings summary of every run, until the entry is gone.
        warnings.warn(f"KNOWN_STAFF_VIOLATIONS: {rule} on {path} at {target}", stacklevel=1)
    failing = sorted(found.violations - tolerated)
    seen = {(_route_of(path, pages), rule) for rule, path, _target in found.violations}
    checked_routes = {_route_of(entry.split(" ", 1)[1], pages) for entry in found.checked}
    stale = sorted(
        f"{route}: {rule}"
        for route, rules in known.items()
        for rule in rules
        if route in checked_routes and (route, rule) not in seen
    )
    lines = [f"{rule} on {path} at {target}" for rule, path, target in failing]
    lines += [f"no longer violated, remove from KNOWN_STAFF_VIOLATIONS: {entry}" for entry in stale]
    if failing:
        # What KNOWN_STAFF_VIOLATIONS would need, to compare with what it has.
        by_route: dict[str, set[str]] = {}
        for rule, path, _target in failing:
            by_route.setdefault(_route_of(path, pages), set()).add(rule)
        sys.stdout.write(
            "".join(f"    {route!r}: frozenset({sorted(rules)!r}),\n" for route, rules in by_route.items())
        )
    assert not lines, f"{len(lines)} accessibility problems:\n" + "\n".join(lines)


@pytest.mark.parametrize("area", ["reporter", "staff", "admin"])
def test_every_page_passes_axe_and_fits_a_phone(area: str, site: Site) -> None:
    found = _run_gate(area, site)
    assert found.checked, f"the gate found no {area} page to check"
    known = KNOWN_STAFF_VIOLATIONS if area != "reporter" else {}
    _report(area, found, known, site.pages)


def test_the_gate_sees_a_violation_and_a_sideways_scroll() -> None:
    """The gate can fail: an unlabelled input and a 600 px wide block are found, by rule and target."""
    found = Found()
    with chromium() as browser:
        page = browser.new_page()
        page.set_content(
            '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
            '<input id="unlabelled"><div style="width:600px">wide</div></main></body></html>'
        )
        page.add_script_tag(content=_axe_source())
        _check(page, "/probe/", found)
        page.close()
    rules = {(rule, target) for rule, _path, target in found.violations}
    assert ("label", "#unlabelled") in rules
    assert (HORIZONTAL_SCROLL, "html") in rules
