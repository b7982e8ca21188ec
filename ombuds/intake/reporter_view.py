"""What a reporter sees of her case, in plain words. Shared by the web pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ombuds.cases import content, keyring, routing
from ombuds.cases.models import (
    Appeal,
    Attachment,
    Case,
    Deadline,
    Escalation,
    LadderStep,
    Message,
    Report,
    Sender,
    Status,
)
from ombuds.cases.selectors import current_organisation
from ombuds.crypto import keys
from ombuds.investigations.view import OwnInterview, own_interviews
from ombuds.outcomes import telling
from ombuds.questionnaire import answers as questionnaire_answers
from ombuds.questionnaire import selectors as questionnaire


@dataclass(frozen=True)
class ThreadMessage:
    id: int
    sender: str
    body: str
    sent: datetime | date  # a date only, for an anonymous reporter's own messages
    read: bool
    attachments: list[str]


@dataclass(frozen=True)
class AppealView:
    filed_on: date
    resolved: bool


@dataclass(frozen=True)
class EscalationView:
    on: date
    text: str


@dataclass(frozen=True)
class ReporterView:
    reference: str
    status: str
    status_label: str
    explanation: str
    next_step: str
    received_on: date
    acknowledge_by: date
    acknowledged_on: date | None
    feedback_by: date
    oversight_name: str
    # Set when nobody on the oversight body can take her case without a conflict: whom
    # the organisation asks her to turn to instead (empty when it has named nobody).
    oversight_unavailable: bool
    fallback_contact: str
    messages: list[ThreadMessage]
    appeals: list[AppealView]
    attachments: list[str]
    escalations: list[EscalationView]
    # The measures that protect her and, once final, what she is told of the decision (ombuds.outcomes).
    protections: list[telling.Protection]
    decision: telling.ToldDecision | None
    # The minutes of her own interviews (Directive art. 18(4)); never anyone else's.
    interviews: list[OwnInterview]
    # Her answers to the extra questions, with the questions of the version she answered.
    answers: list[questionnaire_answers.AnsweredQuestion]


def _explain(case: Case, oversight: str) -> tuple[str, str]:
    ack_by = timezone.localdate(case.ack_due_at)
    feedback_by = timezone.localdate(case.feedback_due_at)
    match case.status:
        case Status.RECEIVED:
            return (
                _("Your report has been stored safely. Nobody has confirmed reading it yet."),
                _("A case handler must confirm to you that your report was received by %(date)s.")
                % {"date": ack_by.isoformat()},
            )
        case Status.ACKNOWLEDGED | Status.ASSESSMENT:
            return (
                _("A case handler has confirmed your report and is deciding what to do next."),
                _("You will be told what is being done by %(date)s at the latest.") % {"date": feedback_by.isoformat()},
            )
        case Status.INVESTIGATION:
            return (
                _("Your report is being investigated."),
                _("You will be told what is being done by %(date)s at the latest.") % {"date": feedback_by.isoformat()},
            )
        case Status.DECIDED:
            return (
                _("The investigation has reached a decision."),
                _("You will receive the outcome here. If you disagree, you can appeal to %(body)s.")
                % {"body": oversight},
            )
        case _:
            return (
                _("This case is closed."),
                _("If you disagree with how it was handled, you can appeal to %(body)s.") % {"body": oversight},
            )


def _message(message: Message, anonymous: bool, txt: _Opener) -> ThreadMessage:
    own = message.sender == Sender.REPORTER
    sent: datetime | date = timezone.localdate(message.sent_at) if (own and anonymous) else message.sent_at
    return ThreadMessage(
        id=message.pk,
        sender=message.sender,
        body=txt(message.body, Message, "body"),
        sent=sent,
        read=message.read_at is not None,
        attachments=[txt(a.filename, Attachment, "filename") for a in message.attachments.all()],
    )


def _escalation_text(escalation: Escalation, oversight: str) -> str:
    missed = Deadline(escalation.deadline).label
    if escalation.step == LadderStep.LEAD and not escalation.to_oversight:
        return _("The deadline for %(what)s passed, so your case was escalated to a senior case handler.") % {
            "what": missed
        }
    return _("The deadline for %(what)s was still not met, so your case was escalated to %(body)s.") % {
        "what": missed,
        "body": oversight,
    }


@dataclass(frozen=True)
class _Opener:
    """Opens her case's content with the key her session carries (ombuds.cases.content is the only way)."""

    case: Case
    key: keys.DataKey | None

    def __call__(self, value: str, model: type[models.Model], field: str) -> str:
        return content.open(value, key=self.key, case=self.case, model=model, field=field)


def for_reporter(report: Report) -> ReporterView:
    """Her case as she may see it. Her session carries the key; without it (it cannot be) nothing opens."""
    case = report.case
    txt = _Opener(case, keyring.reporter_data_key(report))
    org = current_organisation()
    # The oversight body's name as she reads it (the organisation may give it per language).
    oversight_name = org.oversight_name_in(get_language() or settings.LANGUAGE_CODE)
    explanation, next_step = _explain(case, oversight_name)
    messages = case.messages.prefetch_related("attachments").all()
    appeals: list[Appeal] = list(case.appeals.order_by("position"))
    return ReporterView(
        reference=case.reference,
        status=case.status,
        status_label=str(Status(case.status).label),
        explanation=explanation,
        next_step=next_step,
        received_on=timezone.localdate(case.received_at),
        acknowledge_by=timezone.localdate(case.ack_due_at),
        acknowledged_on=timezone.localdate(case.acknowledged_at) if case.acknowledged_at else None,
        feedback_by=timezone.localdate(case.feedback_due_at),
        oversight_name=oversight_name,
        oversight_unavailable=routing.oversight_conflicted(case),
        fallback_contact=org.fallback_contact,
        messages=[_message(m, case.anonymous, txt) for m in messages],
        appeals=[
            AppealView(filed_on=timezone.localdate(a.filed_at), resolved=a.resolved_at is not None) for a in appeals
        ],
        attachments=[
            txt(a.filename, Attachment, "filename")
            for a in report.attachments.filter(message__isnull=True).order_by("position")
        ],
        escalations=[
            EscalationView(on=timezone.localdate(e.at), text=_escalation_text(e, oversight_name))
            for e in case.escalations.exclude(step=LadderStep.REMINDER).filter(item="")
        ],
        protections=telling.protections(case),
        decision=telling.decision(case, txt),
        interviews=own_interviews(report),
        answers=questionnaire_answers.describe(
            questionnaire.questions(report.questionnaire),
            questionnaire_answers.loads(txt(report.answers, Report, "answers")),
            get_language() or settings.LANGUAGE_CODE,
            unanswered=False,
        ),
    )


def file_names(report: Report, attachments: list[Attachment]) -> list[str]:
    """The names of files she just added, as she typed them (opened with her session's key)."""
    txt = _Opener(report.case, keyring.reporter_data_key(report))
    return [txt(a.filename, Attachment, "filename") for a in attachments]
