"""What the reporter is told of protective measures and of the decision, in plain words.

She sees the measures that protect her, each as a sentence for its kind ("The person
concerned has been told not to contact you"), never a measure that does not protect
her and never who is restricted beyond what the sentence says. Once the decisions
about the accused are final, she is told the case is decided and, per person, what the
organisation's policy lets her be told: its own wording or the defaults here, and the
sanctions only when the organisation allows it (OutcomePolicy.tell_sanctions, off by
default). Rehire eligibility is never told to her.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ombuds.cases.models import Case, InvolvedPerson, Status
from ombuds.outcomes.models import AccusedOutcome, Measure, MeasureKind, OutcomePolicy, OutcomeState, Sanction

# The sentences an organisation may word itself (`ombuds organisation set --reporter-wording`).
DEFAULT_WORDING: dict[str, Promise] = {
    "decided": _("Your case has been decided."),
    "action_taken": _("The organisation has taken action about the conduct you reported."),
    "no_action": _("The organisation decided not to take disciplinary action."),
    "sanctions_private": _(
        "Under the organisation's policy, you are not told which action was taken about another person, "
        "to protect the privacy of everyone involved."
    ),
}
WORDING_KEYS = tuple(DEFAULT_WORDING)

# Decisions she is told about; one that waits for approval or was rejected is not a decision yet.
TOLD_STATES = frozenset({OutcomeState.FINAL})


def policy() -> OutcomePolicy:
    """The organisation's policy, or the defaults while it has set none."""
    return OutcomePolicy.objects.filter(pk=1).first() or OutcomePolicy()


def wording(key: str, current: OutcomePolicy | None = None) -> str:
    """The organisation's text for `key` in the active language, else the default in that language."""
    current = current or policy()
    own = current.wording.get(key, {}).get(translation.get_language() or "")
    return own or str(DEFAULT_WORDING[key])


def _protection_text(kind: str, restricted: int) -> str:
    n = max(restricted, 1)
    match kind:
        case MeasureKind.NO_CONTACT:
            return ngettext(
                "The person concerned has been told not to contact you.",
                "The people concerned have been told not to contact you.",
                n,
            )
        case MeasureKind.SEPARATION:
            return ngettext(
                "You and the person concerned have been separated at work: another team, place or manager.",
                "You and the people concerned have been separated at work: another team, place or manager.",
                n,
            )
        case MeasureKind.SUSPENSION:
            return ngettext(
                "The person concerned has been suspended from work while your report is looked into.",
                "The people concerned have been suspended from work while your report is looked into.",
                n,
            )
        case MeasureKind.TRAVEL_SAFETY:
            return ngettext(
                "You will not be asked to travel with the person concerned or to share a room with them, "
                "and nobody may expect you to drink at work events.",
                "You will not be asked to travel with the people concerned or to share a room with them, "
                "and nobody may expect you to drink at work events.",
                n,
            )
        case MeasureKind.REPORTER_SUPPORT:
            return str(_("Leave or support has been arranged for you. Your case handler can tell you more."))
    return str(_("Another measure protects you. Your case handler can tell you more."))


@dataclass(frozen=True)
class Protection:
    kind: str
    text: str
    starts_on: date
    ends_on: date | None  # None: until further notice
    ended_on: date | None  # set when it was ended early
    in_force: bool


def protections(case: Case, *, today: date | None = None) -> list[Protection]:
    """The measures of her case that protect her (the reporter), in plain words; nothing else."""
    today = today or timezone.localdate()
    measures = (
        Measure.objects.filter(case=case, protects_reporter=True)
        .annotate(restricted=Count("restricts"))
        .order_by("starts_on", "recorded_at", "kind", "pk")
    )
    return [
        Protection(
            kind=m.kind,
            text=_protection_text(m.kind, m.restricted),
            starts_on=m.starts_on,
            ends_on=m.ends_on,
            ended_on=timezone.localdate(m.ended_at) if m.ended_at else None,
            in_force=m.is_in_force(today),
        )
        for m in measures
    ]


@dataclass(frozen=True)
class ToldOutcome:
    person: str  # the name she gave
    text: str
    sanctions: list[str]  # labels; empty unless the organisation tells sanctions


@dataclass(frozen=True)
class ToldDecision:
    headline: str
    outcomes: list[ToldOutcome]
    note: str  # why sanctions are not told, when they are not and action was taken


Opener = Callable[[str, type[InvolvedPerson], str], str]


def decision(case: Case, opened_name: Opener) -> ToldDecision | None:
    """What she is told of the decision, once the case is decided and no decision waits for approval."""
    if case.status not in (Status.DECIDED, Status.CLOSED):
        return None
    outcomes = list(
        AccusedOutcome.objects.filter(case=case, state__in=[*TOLD_STATES, OutcomeState.PENDING])
        .select_related("person")
        .order_by("person__position", "proposed_at")
    )
    if not outcomes or any(o.state == OutcomeState.PENDING for o in outcomes):
        return None
    current = policy()
    told = []
    for outcome in outcomes:
        labels = [str(Sanction(s).label) for s in outcome.sanctions if s != Sanction.NONE]
        told.append(
            ToldOutcome(
                person=opened_name(outcome.person.name, InvolvedPerson, "name"),
                text=wording("action_taken" if outcome.takes_action else "no_action", current),
                sanctions=labels if current.tell_sanctions else [],
            )
        )
    private = not current.tell_sanctions and any(o.takes_action for o in outcomes)
    return ToldDecision(
        headline=wording("decided", current),
        outcomes=told,
        note=wording("sanctions_private", current) if private else "",
    )
