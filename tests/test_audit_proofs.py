"""Proofs for auditors and oversight, in the web pages and the API; 404 for everyone else and the conflicted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ombuds.accounts import tokens
from ombuds.audit import log, merkle, tree_heads
from ombuds.audit.models import AuditEvent, EventType, SignedTreeHead
from ombuds.cases import actions
from ombuds.directory.models import Person

pytestmark = pytest.mark.django_db

API_ROUTES = ["/api/v1/audit/sths", "/api/v1/audit/proofs/inclusion?index=0&tree_size=1"]


@pytest.fixture(autouse=True)
def _own_signing_key(settings, tmp_path: Path) -> None:
    settings.OMBUDS_AUDIT_SIGNING_KEY_FILE = tmp_path / "keys" / "audit_signing_key"


def _api(user) -> Client:
    _record, token = tokens.create_token(user=user, name="audit")
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def conflicted_case(staff, file_report):
    """A case naming the auditor as the accused, and one that does not; a tree head over both."""
    Person.objects.create(employee_id="A1", name="Audra Auditor", user=staff.auditor)
    theirs = file_report(people=[actions.NewPerson(name="Audra Auditor", role="accused", employee_id="A1")])
    other = file_report()
    tree_heads.sign_current()
    return theirs.case, other.case


def _filed(case) -> int:
    return AuditEvent.objects.get(case_id=case.pk, event_type=EventType.REPORT_FILED).seq


def test_an_auditor_sees_each_events_index_and_its_proof(staff, conflicted_case) -> None:
    _theirs, other = conflicted_case
    index = _filed(other)
    client = staff.client_for(staff.oversight)
    trail = client.get("/staff/audit/").content.decode()
    assert f'href="/staff/audit/proofs/{index}/"' in trail
    page = client.get(f"/staff/audit/proofs/{index}/").content.decode()
    event = AuditEvent.objects.get(seq=index)
    head = tree_heads.latest()
    assert head is not None
    _root, path = tree_heads.inclusion(index, head.tree_size)
    assert bytes(event.leaf_hash).hex() in page
    assert all(node.hex() in page for node in path)
    assert head.signature in page


def test_the_api_gives_tree_heads_and_proofs_that_verify(staff, conflicted_case) -> None:
    api = _api(staff.auditor)  # its creation is an event too
    tree_heads.sign_current()
    _theirs, other = conflicted_case
    listing = api.get("/api/v1/audit/sths").json()
    newest = listing["results"][0]
    assert newest["tree_size"] == listing["log_size"] == tree_heads.log_size()
    index = _filed(other)
    proof = api.get(f"/api/v1/audit/proofs/inclusion?index={index}&tree_size={newest['tree_size']}").json()
    assert proof["tree_head"] == newest
    assert merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        index,
        newest["tree_size"],
        [bytes.fromhex(node) for node in proof["audit_path"]],
        bytes.fromhex(newest["root_hash"]),
    )
    assert merkle.leaf_hash(proof["leaf"].encode()) == bytes.fromhex(proof["leaf_hash"])


@pytest.mark.parametrize("persona", ["outsider", "handler", "lead", "admin"])
def test_people_who_do_not_read_the_trail_get_404_on_proof_pages_and_routes(staff, conflicted_case, persona) -> None:
    user = getattr(staff, persona)
    index = _filed(conflicted_case[1])
    assert staff.client_for(user).get(f"/staff/audit/proofs/{index}/").status_code == 404
    api = _api(user)
    for route in [*API_ROUTES, "/api/v1/audit/proofs/consistency?first=1&second=2"]:
        assert api.get(route).status_code == 404, route


def test_a_conflicted_auditor_gets_404_for_the_events_of_her_case_and_proofs_of_the_rest(
    staff, conflicted_case
) -> None:
    theirs, other = conflicted_case
    hidden, shown = _filed(theirs), _filed(other)
    size = tree_heads.log_size()
    page = staff.client_for(staff.auditor)
    api = _api(staff.auditor)
    assert page.get(f"/staff/audit/proofs/{hidden}/").status_code == 404
    assert f'href="/staff/audit/proofs/{hidden}/"' not in page.get("/staff/audit/").content.decode()
    assert api.get(f"/api/v1/audit/proofs/inclusion?index={hidden}&tree_size={size}").status_code == 404
    assert page.get(f"/staff/audit/proofs/{shown}/").status_code == 200
    assert api.get(f"/api/v1/audit/proofs/inclusion?index={shown}&tree_size={size}").status_code == 200
    # Oversight, not conflicted, gets the one she may not.
    assert (
        _api(staff.oversight).get(f"/api/v1/audit/proofs/inclusion?index={hidden}&tree_size={size}").status_code == 200
    )


def test_sizes_beyond_the_log_are_404_and_bad_numbers_are_422(staff, conflicted_case) -> None:
    api = _api(staff.auditor)
    size = tree_heads.log_size()
    assert api.get(f"/api/v1/audit/proofs/inclusion?index=0&tree_size={size + 1}").status_code == 404
    assert api.get("/api/v1/audit/proofs/inclusion?index=3&tree_size=3").status_code == 404
    assert api.get(f"/api/v1/audit/proofs/consistency?first=2&second={size + 1}").status_code == 404
    assert api.get("/api/v1/audit/proofs/inclusion?index=-1&tree_size=3").status_code == 422
    assert api.get("/api/v1/audit/proofs/consistency?first=x&second=3").status_code == 422


def test_proofs_of_random_events_in_random_tree_heads_verify_against_the_signed_roots(staff) -> None:
    """Property: for any signed size N and any i < N, the API's inclusion proof leads to that tree head's root;
    for any M <= N, its consistency proof joins the two signed roots."""
    for _ in range(150):
        with transaction.atomic():
            log.record_system(EventType.ORGANISATION_CONFIGURED, changed=["name"])
        tree_heads.sign_current()
    signed = {head.tree_size: head for head in SignedTreeHead.objects.all()}
    sizes = sorted(signed)
    api = _api(staff.oversight)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        size = data.draw(st.sampled_from(sizes))
        index = data.draw(st.integers(min_value=0, max_value=size - 1))
        head = signed[size]
        proof = api.get(f"/api/v1/audit/proofs/inclusion?index={index}&tree_size={size}").json()
        assert proof["tree_head"]["signature"] == head.signature
        assert merkle.verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]),
            index,
            size,
            [bytes.fromhex(node) for node in proof["audit_path"]],
            bytes.fromhex(head.root_hash),
        )
        first = data.draw(st.sampled_from([s for s in sizes if s <= size]))
        joined = api.get(f"/api/v1/audit/proofs/consistency?first={first}&second={size}").json()
        assert merkle.verify_consistency(
            first,
            size,
            bytes.fromhex(signed[first].root_hash),
            bytes.fromhex(head.root_hash),
            [bytes.fromhex(node) for node in joined["proof"]],
        )

    check()


def test_the_trail_pages_through_every_event_without_counting_them(staff) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for number in range(230):
        with transaction.atomic():
            log.record_system(EventType.ORGANISATION_CONFIGURED, changed=[f"field {number}"])
    total = AuditEvent.objects.count()
    client = staff.client_for(staff.auditor)
    seen: list[int] = []
    page = 1
    while True:
        with CaptureQueriesContext(connection) as queries:
            body = client.get(f"/staff/audit/?page={page}").content.decode()
        assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)
        indexes = [int(i) for i in re.findall(r'href="/staff/audit/proofs/(\d+)/"', body)]
        assert len(indexes) <= 100
        seen += indexes
        assert ("page=" + str(page - 1) in body) == (page > 1)
        if f"page={page + 1}" not in body:
            break
        page += 1
    assert page == -(-total // 100)
    assert sorted(seen) == list(range(total))  # each event once, on one page
    assert client.get("/staff/audit/?page=x").status_code == 200
    assert "No events." in client.get("/staff/audit/?page=99999999999999999999999").content.decode()
