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
    contact: str = Field("", max_length=actions.MAX_SHORT, description="How to reach the reporter (optional)")
    name: str = Field("", max_length=actions.MAX_SHORT, description="The reporter's name; only when not anonymous")
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


class ReporterAnswerOut(Schema):
    key: str
    question: str = Field(description="The question as her version asked it")
    answer_text: str = Field(description="Her answer in words")


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
    answers: list[ReporterAnswerOut] = Field(description="Her answers to the extra questions she answered")


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
