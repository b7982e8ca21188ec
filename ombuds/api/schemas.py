"""Input and output types of the v1 API. The OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, StrictBool, StrictStr, field_validator

from ombuds.cases import actions
from ombuds.questionnaire import validation as questionnaire
from ombuds.questionnaire.answers import MAX_LONG_ANSWER

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


QuestionKey = Annotated[str, Field(max_length=40)]
AnswerIn = (
    Annotated[StrictStr, Field(max_length=MAX_LONG_ANSWER)]
    | StrictBool
    | Annotated[list[Annotated[StrictStr, Field(max_length=40)]], Field(max_length=questionnaire.MAX_CHOICES)]
    | None
)


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
    contact: str = Field(
        "",
        max_length=actions.MAX_SHORT,
        description="How to reach the reporter (optional); refused on an anonymous report, since it identifies her",
    )
    name: str = Field("", max_length=actions.MAX_SHORT, description="The reporter's name; only when not anonymous")
    escrow: StrictBool = Field(
        False,
        description=(
            "Hold the report until another, independent report names a person it names as accused; nobody on "
            "the staff can read it until then. Needs an e-mail, phone, employee number or directory entry of an "
            "accused person (400 otherwise)."
        ),
    )
    answers: dict[QuestionKey, AnswerIn] = Field(
        default_factory=dict,
        max_length=questionnaire.MAX_QUESTIONS,
        description=(
            "Answers to the category's extra questions (GET /questionnaire), keyed by question key: text for "
            "short_text and long_text, a choice key for one_choice, a list of choice keys for several_choices, "
            "YYYY-MM-DD for date, true or false for yes_no; null or absent for no answer. Only required "
            "questions must be answered; an unknown key or a value of the wrong kind is refused (422)."
        ),
    )
    questionnaire_version: int | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description="The questionnaire version the answers were given to (its number); the current one when absent",
    )

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


class ProtectionOut(Schema):
    text: str = Field(description="The measure in plain words")
    starts_on: date
    ends_on: date | None = Field(description="Null: until further notice")
    ended_on: date | None = Field(description="Set when it was ended early")
    in_force: bool


class ToldOutcomeOut(Schema):
    person: str = Field(description="The person as the reporter named them")
    text: str
    sanctions: list[str] = Field(description="Only when the organisation tells reporters the sanctions")


class DecisionOut(Schema):
    headline: str
    outcomes: list[ToldOutcomeOut]
    note: str


class MinutesAnswerOut(Schema):
    version: int = Field(description="The version of the minutes she answered")
    agreed: bool
    corrections: str
    answered: datetime | date = Field(description="A date only for an anonymous reporter")


class InterviewOut(Schema):
    id: int
    held_at: datetime
    minutes: str
    version: int = Field(description="The minutes' version: 1, and one more each time they are revised")
    revised: bool
    awaiting_answer: bool = Field(description="The current version waits for her answer")
    answers: list[MinutesAnswerOut]


class MinutesAnswerIn(Schema):
    """Her answer to the minutes of her interview: agree, or ask for corrections in her own words."""

    answer: Literal["agree", "correct"]
    corrections: str = Field("", max_length=actions.MAX_NARRATIVE, description="Required to ask for corrections")


class ReporterAnswerOut(Schema):
    key: str
    question: str = Field(description="The question as her version asked it")
    answer_text: str = Field(description="Her answer in words")


class EscrowOut(Schema):
    state: str = Field(
        description="held, released_by_match, released_by_reporter, withdrawn or expired (then nothing is left)"
    )
    held_since: date
    deleted_unless_matched_by: date | None = Field(description="While held: when it is deleted if nobody else reports")
    ended_on: date | None


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
    protections: list[ProtectionOut] = Field(description="The protective measures that protect the reporter")
    decision: DecisionOut | None = Field(description="Once the decisions about the people accused are final")
    interviews: list[InterviewOut] = Field(
        description="The minutes of her own interviews, for her to agree with or correct; never anyone else's"
    )
    answers: list[ReporterAnswerOut] = Field(description="Her answers to the extra questions she answered")
    escrow: EscrowOut | None = Field(None, description="Only for a report she asked to hold in escrow")
    content_deleted_on: date | None = Field(
        None,
        description="The day the case's content was deleted at the end of its retention period; "
        "then nothing but its dates and status is left",
    )


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


class ChoiceOut(Schema):
    key: str
    text: str


class QuestionOut(Schema):
    key: str = Field(description="The key to answer it under, in the answers of POST /reports")
    kind: Literal["short_text", "long_text", "one_choice", "several_choices", "date", "yes_no"]
    required: bool
    text: str
    help: str
    choices: list[ChoiceOut] = Field(description="For one_choice and several_choices; empty otherwise")


class QuestionnaireOut(Schema):
    category: CategoryName
    version: int | None = Field(description="Send it back as questionnaire_version with the answers")
    language: str
    questions: list[QuestionOut]
