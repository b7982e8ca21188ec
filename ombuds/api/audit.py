"""Audit routes of the v1 API: signed tree heads and proofs, for auditors and the oversight body.

Everyone else (and a session without the second factor) gets 404, as for a case. An
inclusion proof is refused, with the same 404, to someone conflicted on the case the
event belongs to: the trail does not show them that event either.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from ombuds.accounts.roles import AUDIT_READERS, roles_of
from ombuds.api import errors as answers
from ombuds.api.staff import StaffToken
from ombuds.audit import sth, tree_heads
from ombuds.audit.models import SignedTreeHead
from ombuds.audit.signing_key import signing_key
from ombuds.cases import access

router = Router(auth=StaffToken(), tags=["audit"])

MAX_SIZE = 2**53 - 1
PAGE_SIZE = 100


def _auditor(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    if not roles_of(user) & AUDIT_READERS:
        raise Http404("no such page")
    return user


class TreeHeadOut(Schema):
    tree_size: int
    root_hash: str = Field(description="64 lower-case hexadecimal digits")
    timestamp: str = Field(description="UTC, written YYYY-MM-DDTHH:MM:SSZ")
    signature: str = Field(description="Ed25519 signature over the canonical JSON of the other three keys, base64")


class TreeHeadList(Schema):
    public_key: str = Field(description="The Ed25519 public key the tree heads are signed with, base64")
    log_size: int = Field(description="Events in the log now (the newest may not be signed yet)")
    count: int
    page: int
    results: list[TreeHeadOut] = Field(description="Newest first")


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=100_000)


class InclusionQuery(Schema):
    index: int = Field(ge=0, le=MAX_SIZE)
    tree_size: int = Field(ge=1, le=MAX_SIZE)


class InclusionOut(Schema):
    index: int
    tree_size: int
    leaf: str = Field(description="The event's leaf bytes as a UTF-8 string (its canonical JSON)")
    leaf_hash: str
    root_hash: str = Field(description="The root of the first tree_size events")
    audit_path: list[str] = Field(description="RFC 9162 inclusion proof, lowest sibling first, hex")
    tree_head: TreeHeadOut | None = Field(description="The signed tree head of this size, if one was signed")


class ConsistencyQuery(Schema):
    first: int = Field(ge=0, le=MAX_SIZE)
    second: int = Field(ge=0, le=MAX_SIZE)


class ConsistencyOut(Schema):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str] = Field(description="RFC 9162 consistency proof, hex")
    first_tree_head: TreeHeadOut | None
    second_tree_head: TreeHeadOut | None


def _head_out(head: SignedTreeHead | None) -> TreeHeadOut | None:
    return None if head is None else TreeHeadOut(**head.as_json())  # type: ignore[arg-type]


def _signed(size: int) -> SignedTreeHead | None:
    return SignedTreeHead.objects.filter(tree_size=size).first()


@router.get(
    "/audit/sths",
    response={200: TreeHeadList, **answers.QUERY, **answers.AUTH, **answers.CASE},
    summary="The signed tree heads of the audit log, newest first",
)
def list_tree_heads(request: HttpRequest, query: Query[PageQuery]) -> TreeHeadList:
    _auditor(request)
    heads = SignedTreeHead.objects.order_by("-tree_size")
    start = (query.page - 1) * PAGE_SIZE
    return TreeHeadList(
        public_key=sth.public_key_text(signing_key().verify_key),
        log_size=tree_heads.log_size(),
        count=heads.count(),
        page=query.page,
        results=[TreeHeadOut(**head.as_json()) for head in heads[start : start + PAGE_SIZE]],  # type: ignore[arg-type]
    )


@router.get(
    "/audit/proofs/inclusion",
    response={200: InclusionOut, **answers.QUERY, **answers.AUTH, **answers.CASE},
    summary="Inclusion proof of event `index` in the tree of the first `tree_size` events",
)
def inclusion_proof(request: HttpRequest, query: Query[InclusionQuery]) -> InclusionOut:
    user = _auditor(request)
    if query.index >= query.tree_size or query.tree_size > tree_heads.log_size():
        raise Http404("no such event in a tree of that size")
    event = access.visible_audit_events(user).filter(seq=query.index).first()
    if event is None:
        raise Http404("no such event in a tree of that size")
    root, path = tree_heads.inclusion(query.index, query.tree_size)
    return InclusionOut(
        index=query.index,
        tree_size=query.tree_size,
        leaf=event.leaf,
        leaf_hash=bytes(event.leaf_hash).hex(),
        root_hash=root.hex(),
        audit_path=[node.hex() for node in path],
        tree_head=_head_out(_signed(query.tree_size)),
    )


@router.get(
    "/audit/proofs/consistency",
    response={200: ConsistencyOut, **answers.QUERY, **answers.AUTH, **answers.CASE},
    summary="Consistency proof that the tree of `first` events is a prefix of the tree of `second`",
)
def consistency_proof(request: HttpRequest, query: Query[ConsistencyQuery]) -> ConsistencyOut:
    _auditor(request)
    if query.first > query.second or query.second > tree_heads.log_size():
        raise Http404("no trees of those sizes")
    first_root, second_root, proof = tree_heads.consistency(query.first, query.second)
    return ConsistencyOut(
        first=query.first,
        second=query.second,
        first_root=first_root.hex(),
        second_root=second_root.hex(),
        proof=[node.hex() for node in proof],
        first_tree_head=_head_out(_signed(query.first)),
        second_tree_head=_head_out(_signed(query.second)),
    )
