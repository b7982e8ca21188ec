"""`ombuds registry-member ...`: this organisation as a member of a shared rehire registry (docs/registry.md)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.outcomes import actions, registry_sync, shared_registry
from ombuds.outcomes.models import AccusedOutcome, RegistrySubmission
from ombuds.registry_service import protocol


class Command(BaseCommand):
    help = "Take part in a shared rehire registry: make the signing key, see submissions and hits, withdraw."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("keygen", help="create this organisation's signing key file (once); print its public key")
        sub.add_parser("public-key", help="print the public key to give the registry's operator")
        sub.add_parser("status", help="whether the registry is on, and every submission's state")
        sub.add_parser("retry", help="queue again the submissions and withdrawals that have not gone through")
        sub.add_parser("hits", help="the other members' queries that hit this organisation's entries")
        withdraw = sub.add_parser("withdraw", help="withdraw a decision's entries (for example after an appeal)")
        withdraw.add_argument("outcome_id", type=int)
        withdraw.add_argument("--as", dest="as_user", required=True, metavar="EMAIL", help="the oversight member")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            getattr(self, "do_" + action.replace("-", "_"))(options)
        except shared_registry.RegistryUnavailable as exc:
            raise CommandError(str(exc)) from None

    def do_keygen(self, options: dict[str, Any]) -> None:
        try:
            key = shared_registry.create_signing_key()
        except FileExistsError:
            raise CommandError(f"{settings.OMBUDS_REGISTRY_SIGNING_KEY_FILE} exists; it is never replaced") from None
        self.stdout.write(f"key file: {settings.OMBUDS_REGISTRY_SIGNING_KEY_FILE} (back it up)")
        self.stdout.write(f"public key: {protocol.b64(bytes(key.verify_key))}")

    def do_public_key(self, options: dict[str, Any]) -> None:
        self.stdout.write(protocol.b64(bytes(shared_registry.signing_key().verify_key)))

    def do_status(self, options: dict[str, Any]) -> None:
        self.stdout.write(
            f"shared registry: {'on, ' + settings.OMBUDS_REGISTRY_URL if shared_registry.is_on() else 'off'}"
        )
        for row in RegistrySubmission.objects.order_by("created_at"):
            self.stdout.write(
                json.dumps(
                    {
                        "outcome": row.outcome_id,
                        "state": row.state,
                        "entries": row.entry_ids,
                        "expires_on": row.expires_on.isoformat() if row.expires_on else None,
                        "attempts": row.attempts,
                        "last_error": row.last_error,
                    }
                )
            )

    def do_retry(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"{registry_sync.retry_all()} queued")

    def do_hits(self, options: dict[str, Any]) -> None:
        found = shared_registry.hits()
        with transaction.atomic(durable=True):
            log.record_system(EventType.REGISTRY_HITS_VIEWED, hits=len(found))
        for hit in found:
            self.stdout.write(json.dumps(hit))

    def do_withdraw(self, options: dict[str, Any]) -> None:
        actor = User.objects.filter(email__iexact=options["as_user"].strip(), is_active=True).first()
        if actor is None:
            raise CommandError("no active staff member has this e-mail address")
        outcome = AccusedOutcome.objects.filter(pk=options["outcome_id"]).first()
        if outcome is None:
            raise CommandError("no decision has this number")
        try:
            actions.withdraw_from_shared_registry(outcome=outcome, actor=actor)
        except actions.ActionError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write("withdrawal queued")
