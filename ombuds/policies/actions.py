"""Every change to policies, their acknowledgements and training records.

Each action checks its input, runs in one durable transaction and writes its audit
event in that transaction (ids and counts, never a policy's words or a person's name).
The web pages and the `ombuds policies` and `ombuds training` commands call these;
nothing else writes the models of this app.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.accounts.mail import queue_settings_notice
from ombuds.audit import log
from ombuds.audit.models import ActorKind, EventType
from ombuds.directory.models import Person, PersonStatus, Unit
from ombuds.lib import languages
from ombuds.lib.durations import Duration
from ombuds.policies import links, mail
from ombuds.policies.models import (
    AcknowledgementRequest,
    Policy,
    PolicyKind,
    PolicyText,
    PolicyVersion,
)

MAX_TITLE = 200
MAX_BODY = 100_000
MAX_NOTE = 500
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Names of the administrators' pages next to /staff/admin/policies/<slug>/.
RESERVED = frozenset({"new", "acknowledgements"})
# Requests are created and their e-mails queued in batches of this many.
BATCH = 200


class PolicyError(ValueError):
    """The action was refused; the message is safe to show to the person who asked."""


# language code -> (title, Markdown body)
Texts = Mapping[str, tuple[str, str]]


def _actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None


def _record(event: EventType, actor: User | None, **detail: object) -> None:
    log.record_system(event, actor_id=_actor_id(actor), **detail)


def _clean(value: str, *, name: str, max_length: int, required: bool) -> str:
    text = value.replace("\r\n", "\n").strip()
    if required and not text:
        raise PolicyError(_("%(field)s must not be empty") % {"field": name})
    if len(text) > max_length:
        raise PolicyError(_("%(field)s is longer than %(max)d characters") % {"field": name, "max": max_length})
    if "\x00" in text:
        raise PolicyError(_("%(field)s contains a character that cannot be stored") % {"field": name})
    return text


def _clean_texts(texts: Texts) -> dict[str, tuple[str, str]]:
    """Each offered language's title and text, checked; languages left empty are dropped (a draft may lack some)."""
    offered = languages.codes()
    unknown = sorted(set(texts) - set(offered))
    if unknown:
        raise PolicyError(_("Unknown language: %(codes)s") % {"codes": ", ".join(unknown)})
    cleaned: dict[str, tuple[str, str]] = {}
    for code in offered:
        title, body = texts.get(code, ("", ""))
        # One line: the title is also an e-mail's subject.
        title = _clean(" ".join(title.split()), name=_("title"), max_length=MAX_TITLE, required=False)
        body = _clean(body, name=_("text"), max_length=MAX_BODY, required=False)
        if title or body:
            cleaned[code] = (title, body)
    if not cleaned:
        raise PolicyError(_("Write the policy's title and text in at least one language."))
    return cleaned


def _write_texts(version: PolicyVersion, texts: dict[str, tuple[str, str]]) -> None:
    version.texts.exclude(language__in=list(texts)).delete()
    for code, (title, body) in texts.items():
        PolicyText.objects.update_or_create(version=version, language=code, defaults={"title": title, "body": body})


def create_policy(*, slug: str, kind: str, texts: Texts, actor: User | None, position: int = 0) -> Policy:
    """A new policy, with its first version as a draft."""
    slug = slug.strip().lower()
    if not SLUG.fullmatch(slug) or len(slug) > 80 or slug in RESERVED:
        raise PolicyError(
            _(
                "The address name may only hold lower-case letters, digits and single dashes, at most 80 "
                "characters, and may not be “new” or “acknowledgements”."
            )
        )
    if kind not in PolicyKind.values:
        raise PolicyError(_("Unknown kind of policy."))
    cleaned = _clean_texts(texts)
    now = timezone.now()
    with transaction.atomic(durable=True):
        if Policy.objects.filter(slug=slug).exists():
            raise PolicyError(_("A policy with this address name exists already."))
        policy = Policy.objects.create(slug=slug, kind=kind, position=position, created_at=now)
        version = PolicyVersion.objects.create(policy=policy, number=1, created_at=now, created_by=actor)
        _write_texts(version, cleaned)
        _record(EventType.POLICY_CREATED, actor, policy=policy.pk, version=version.pk, kind=kind)
    return policy


def save_draft(*, policy: Policy, texts: Texts, note: str = "", actor: User | None) -> PolicyVersion:
    """Write the draft's texts; with no draft, start the next version from these texts."""
    cleaned = _clean_texts(texts)
    note = _clean(note, name=_("note"), max_length=MAX_NOTE, required=False)
    with transaction.atomic(durable=True):
        locked = Policy.objects.select_for_update().get(pk=policy.pk)
        draft = locked.versions.filter(published_at__isnull=True).first()
        created = draft is None
        if draft is None:
            last = locked.versions.order_by("-number").values_list("number", flat=True).first() or 0
            draft = PolicyVersion.objects.create(
                policy=locked, number=last + 1, created_at=timezone.now(), created_by=actor, note=note
            )
        else:
            draft.note = note
            draft.save(update_fields=["note"])
        _write_texts(draft, cleaned)
        _record(
            EventType.POLICY_DRAFT_SAVED,
            actor,
            policy=locked.pk,
            version=draft.pk,
            number=draft.number,
            new=created,
            languages=sorted(cleaned),
        )
    return draft


def start_next_version(*, policy: Policy, actor: User | None) -> PolicyVersion:
    """A draft of the next version, starting from the current version's texts (or the draft there is)."""
    with transaction.atomic(durable=True):
        locked = Policy.objects.select_for_update().get(pk=policy.pk)
        draft = locked.versions.filter(published_at__isnull=True).first()
        if draft is not None:
            return draft
        current = current_version_of(locked)
        if current is None:
            raise PolicyError(_("This policy has no version to start from."))
        draft = PolicyVersion.objects.create(
            policy=locked, number=current.number + 1, created_at=timezone.now(), created_by=actor
        )
        for text in current.texts.all():
            PolicyText.objects.create(version=draft, language=text.language, title=text.title, body=text.body)
        _record(
            EventType.POLICY_DRAFT_SAVED,
            actor,
            policy=locked.pk,
            version=draft.pk,
            number=draft.number,
            new=True,
            languages=sorted(draft.texts.values_list("language", flat=True)),
        )
    return draft


def missing_languages(version: PolicyVersion) -> list[str]:
    """Offered languages in which the version has no title or no text yet."""
    present = {text.language for text in version.texts.all() if text.title.strip() and text.body.strip()}
    return [code for code in languages.codes() if code not in present]


def publish(*, policy: Policy, actor: User | None) -> PolicyVersion:
    """Publish the policy's draft: it becomes the current version, public at /policies/<slug>/.

    Refused unless the draft has a title and a text in every offered language: a reader
    must find the organisation's promise in her own language. The version before it
    stays readable, marked as superseded, and no longer gets reminders.
    """
    now = timezone.now()
    with transaction.atomic(durable=True):
        locked = Policy.objects.select_for_update().get(pk=policy.pk)
        draft = locked.versions.filter(published_at__isnull=True).first()
        if draft is None:
            raise PolicyError(_("There is no draft to publish."))
        missing = missing_languages(draft)
        if missing:
            names = dict(languages.offered())
            raise PolicyError(
                _("Before publishing, give a title and a text in: %(languages)s")
                % {"languages": ", ".join(names[code] for code in missing)}
            )
        previous = current_version_of(locked)
        if previous is not None:
            previous.superseded_at = now
            previous.save(update_fields=["superseded_at"])
            # Nobody is reminded about a version that is no longer current.
            AcknowledgementRequest.objects.filter(version=previous, acknowledged_at__isnull=True).update(
                next_reminder_at=None
            )
        draft.published_at = now
        draft.published_by = actor
        draft.save(update_fields=["published_at", "published_by"])
        texts = {text.language: text.title for text in draft.texts.all()}
        code = languages.pick(texts, settings.LANGUAGE_CODE)
        title = texts[code] if code is not None else locked.slug
        address = settings.OMBUDS_BASE_URL.rstrip("/") + f"/policies/{locked.slug}/"
        queue_settings_notice(
            facts=[("policy_published", {"number": str(draft.number), "title": title, "address": address})],
            acting_user=actor,
        )
        _record(
            EventType.POLICY_PUBLISHED,
            actor,
            policy=locked.pk,
            version=draft.pk,
            number=draft.number,
            supersedes=previous.pk if previous is not None else None,
        )
    return draft


def current_version_of(policy: Policy) -> PolicyVersion | None:
    return policy.versions.filter(published_at__isnull=False, superseded_at__isnull=True).order_by("-number").first()


# --- acknowledgements ----------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """What a send did: people newly asked, people asked before, people without an e-mail address."""

    asked: int
    already_asked: int
    without_email: int


def unit_scope(unit: Unit) -> Q:
    """People of a unit and all its sub-units (units are identified by their full path)."""
    return Q(unit__path=unit.path) | Q(unit__path__startswith=unit.path + "/")


def reminder_period() -> Duration:
    return Duration.parse(settings.OMBUDS_POLICY_REMINDER_AFTER)


def reminder_due(requested_at: datetime, number: int) -> datetime:
    """When reminder `number` (1, 2, …) of a request made at `requested_at` is due: that many periods later."""
    period = reminder_period()
    return Duration(months=period.months * number, exact=period.exact * number).after(requested_at)


def _first_reminder(requested_at: datetime) -> datetime | None:
    return reminder_due(requested_at, 1) if settings.OMBUDS_POLICY_REMINDERS > 0 else None


def send_acknowledgement_requests(*, version: PolicyVersion, unit: Unit | None, actor: User | None) -> Sent:
    """Ask every active person (of `unit` and its sub-units, or of the whole directory) to acknowledge `version`.

    People already asked about this version are not asked again (their reminders follow
    the configured period); people without an e-mail address are counted, not asked.
    The e-mails are sent by the task worker, each with a new personal link.
    """
    now = timezone.now()
    with transaction.atomic(durable=True):
        version = PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version.pk)
        if version.published_at is None or version.superseded_at is not None:
            raise PolicyError(_("Only the current published version can be sent for acknowledgement."))
        people = Person.objects.filter(status=PersonStatus.ACTIVE)
        if unit is not None:
            people = people.filter(unit_scope(unit))
        without_email = people.filter(email="").count()
        candidates = set(people.exclude(email="").values_list("pk", flat=True))
        asked_before = set(
            AcknowledgementRequest.objects.filter(version=version, person_id__in=candidates).values_list(
                "person_id", flat=True
            )
        )
        new = sorted(candidates - asked_before)
        first_reminder = _first_reminder(now)
        created: list[int] = []
        for start in range(0, len(new), BATCH):
            rows = AcknowledgementRequest.objects.bulk_create(
                [
                    AcknowledgementRequest(
                        version=version,
                        person_id=person_id,
                        requested_at=now,
                        requested_by=actor,
                        next_reminder_at=first_reminder,
                    )
                    for person_id in new[start : start + BATCH]
                ]
            )
            created.extend(row.pk for row in rows if row.pk is not None)
        if len(created) != len(new):
            # bulk_create returns ids on SQLite 3.35+ and PostgreSQL; read them back otherwise.
            created = list(
                AcknowledgementRequest.objects.filter(version=version, person_id__in=new).values_list("pk", flat=True)
            )
        for start in range(0, len(created), BATCH):
            mail.send_requests.enqueue(request_ids=created[start : start + BATCH], reminder=False)
        _record(
            EventType.ACKNOWLEDGEMENTS_REQUESTED,
            actor,
            policy=version.policy_id,
            version=version.pk,
            unit=unit.pk if unit is not None else None,
            asked=len(created),
            already_asked=len(asked_before),
            without_email=without_email,
        )
    return Sent(asked=len(created), already_asked=len(asked_before), without_email=without_email)


@dataclass(frozen=True)
class Acknowledged:
    request: AcknowledgementRequest
    # False when the link had been used already: nothing was recorded this time.
    recorded: bool


def acknowledge(*, token: str) -> Acknowledged | None:
    """Record the acknowledgement a personal link stands for. None for a link that does not exist.

    A link is good once: when its request is acknowledged already (through this link or
    another of hers), nothing changes and `recorded` is False.
    """
    found = links.find(token)
    if found is None:
        return None
    now = timezone.now()
    with transaction.atomic(durable=True):
        request = AcknowledgementRequest.objects.select_for_update().get(pk=found.request_id)
        if request.acknowledged_at is not None:
            return Acknowledged(request, recorded=False)
        request.acknowledged_at = now
        request.via = "link"
        request.next_reminder_at = None
        request.save(update_fields=["acknowledged_at", "via", "next_reminder_at"])
        # Attributed to no staff member: the employee has no account, and the link is her proof.
        log.record(
            EventType.POLICY_ACKNOWLEDGED,
            at=now,
            case_id=None,
            actor_kind=ActorKind.SYSTEM,
            detail={"request": request.pk, "version": request.version_id, "person": request.person_id, "via": "link"},
        )
    return Acknowledged(request, recorded=True)


def queue_due_reminders(now: datetime) -> int:
    """Queue the reminders that are due; returns how many. Run by the sweeper.

    Each reminder is claimed with a conditional UPDATE on the request's count of
    reminders, so with several sweepers it is sent once. A reminder falls due one
    configured period (OMBUDS_POLICY_REMINDER_AFTER) after the request, the next one
    period after that, and so on, up to OMBUDS_POLICY_REMINDERS; a sweeper that was
    stopped for several periods sends one, not one per period missed.
    """
    limit = settings.OMBUDS_POLICY_REMINDERS
    due = list(
        AcknowledgementRequest.objects.filter(
            acknowledged_at__isnull=True,
            next_reminder_at__lte=now,
            version__superseded_at__isnull=True,
            person__status=PersonStatus.ACTIVE,
        )
        .order_by("next_reminder_at", "pk")
        .values_list("pk", "reminders_sent", "requested_at", "version_id")[:5000]
    )
    if not due:
        return 0
    claimed: list[int] = []
    versions: set[int] = set()
    with transaction.atomic(durable=True):
        for pk, sent, requested_at, version_id in due:
            count = sent + 1
            if count > limit:
                # The limit was lowered since this request was made.
                AcknowledgementRequest.objects.filter(pk=pk, reminders_sent=sent).update(next_reminder_at=None)
                continue
            following = count + 1
            while following <= limit and reminder_due(requested_at, following) <= now:
                following += 1
            next_at = reminder_due(requested_at, following) if following <= limit else None
            if AcknowledgementRequest.objects.filter(
                pk=pk, reminders_sent=sent, acknowledged_at__isnull=True, next_reminder_at__lte=now
            ).update(reminders_sent=count, next_reminder_at=next_at):
                claimed.append(pk)
                versions.add(version_id)
        for start in range(0, len(claimed), BATCH):
            mail.send_requests.enqueue(request_ids=claimed[start : start + BATCH], reminder=True)
        if claimed:
            log.record_system(EventType.ACKNOWLEDGEMENT_REMINDERS, reminders=len(claimed), versions=sorted(versions))
    return len(claimed)


def record_export(*, version: PolicyVersion, unit: Unit | None, rows: int, actor: User | None) -> None:
    """The acknowledgement report was exported as CSV (it lists people by name)."""
    with transaction.atomic(durable=True):
        _record(
            EventType.ACKNOWLEDGEMENTS_EXPORTED,
            actor,
            policy=version.policy_id,
            version=version.pk,
            unit=unit.pk if unit is not None else None,
            rows=rows,
        )
