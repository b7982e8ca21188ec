"""Input and output types of the v1 API. The OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, StrictBool, field_validator

from ombuds.cases import actions

CategoryName = Literal["sexual_harassment", "sexual_assault", "discrimination", "bullying", "retaliation", "other"]
RoleName = Literal["affected", "witness", "bystander", "on_behalf"]
PersonRoleName = Literal["accused", "witness", "other", "keep_out"]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


class PersonIn(Schema):
    name: str = Field(min_length=1, max_length=actions.MAX_SHORT)
    role: PersonRoleName = "accused"
    employee_id: str = Field(
        "", max_length=64, description="The person's employee id, when known; links them to the directory"
    )
    # Only for finding other reports about the same accused person; never stored (docs/security.md).
    email: str = Field("", max_length=254, description="An accused person's e-mail address, when known")
    phone: str = Field("", max_length=32, description="An accused person's phone number with its country code (E.164)")
    employee_number: str = Field("", max_length=64, description="An accused person's employee number, when known")

    _name_not_blank = field_validator("name")(_not_blank)


class ReportIn(Schema):
    category: CategoryName
    role: RoleName
    narrative: str = Field(
        min_length=1,
        max_length=actions.MAX_NARRATIVE,
        description="What happened, in the reporter's words. No evidence is required.",
    )
    # Strict: "anonymous": 0 or "no" is refused rather than guessed at; her anonymity is not
    # decided by a coercion rule.
    anonymous: StrictBool = Field(description="true or false; nothing else is accepted")
    occurred: str = Field("", max_length=actions.MAX_SHORT, description="When, approximate allowed")
    location: str = Field("", max_length=actions.MAX_SHORT)
    people: list[PersonIn] = Field(default_factory=list, max_length=actions.MAX_PEOPLE)
    language: str | None = Field(None, max_length=16, description="Preferred language, e.g. en or zh-hans")
    contact: str = Field("", max_length=actions.MAX_SHORT, description="How to reach the reporter (optional)")
    name: str = Field("", max_length=actions.MAX_SHORT, description="The reporter's name; only when not anonymous")

    _narrative_not_blank = field_validator("narrative")(_not_blank)


class ReceiptOut(Schema):
    receipt: str


class SessionIn(Schema):
    receipt: str = Field(max_length=100)


class SessionOut(Schema):
    token: str
    expires_in: int = Field(description="Seconds the token stays valid from now")


class ErrorOut(Schema):
    detail: str


class DeadlinesOut(Schema):
    acknowledge_by: date
    feedback_by: date


class MessageOut(Schema):
    id: int
    sender: Literal["reporter", "staff"]
    body: str
    sent: datetime | date = Field(description="A date only for an anonymous reporter's own messages")
    read: bool
    attachments: list[str]


class AppealOut(Schema):
    filed_on: date
    resolved: bool


class EscalationOut(Schema):
    on: date
    text: str


class CaseOut(Schema):
    reference: str
    status: str
    status_label: str
    explanation: str
    next_step: str
    received_on: date
    acknowledged_on: date | None
    deadlines: DeadlinesOut
    oversight: str
    oversight_unavailable: bool = Field(
        description="Nobody on the oversight body can take this case without a conflict of interest"
    )
    fallback_contact: str = Field(description="Whom the organisation asks the reporter to turn to instead")
    messages: list[MessageOut]
    appeals: list[AppealOut]
    attachments: list[str]
    escalations: list[EscalationOut]


class MessageIn(Schema):
    body: str = Field(min_length=1, max_length=actions.MAX_NARRATIVE)

    _body_not_blank = field_validator("body")(_not_blank)


class CreatedOut(Schema):
    id: int


class AttachmentOut(Schema):
    id: int
    filename: str
    size: int


class AttachmentsOut(Schema):
    attachments: list[AttachmentOut]


class AppealIn(Schema):
    reason: str = Field(min_length=1, max_length=actions.MAX_NARRATIVE)

    _reason_not_blank = field_validator("reason")(_not_blank)


class SignedTreeHeadOut(Schema):
    tree_size: int
    root_hash: str
    timestamp: str
    signature: str


class FilingProofOut(Schema):
    """docs/audit-log.md §7: nothing in it names her or holds any part of the report."""

    format: Literal["ombuds-filing-proof-1"]
    commitment: str = Field(description="SHA-256 of the canonical JSON of her narrative and her random value, hex")
    leaf_index: int
    leaf: str = Field(description="The 'report filed' event's leaf bytes as a UTF-8 string")
    tree_head: SignedTreeHeadOut
    inclusion_proof: list[str]
    public_key: str


class ProofOut(Schema):
    ready: bool
    ready_after: datetime | None = Field(
        description="When not ready: when her report enters the audit log (null if it has no proof of filing)"
    )
    proof: FilingProofOut | None
    text: str | None = Field(description="The same proof as the downloadable text file, with its QR code")
    random_value: str | None = Field(
        description="Her random value (64 hex digits), held only by her: not part of the proof; keep it apart"
    )
