"""`ombuds policies list` and `ombuds policies send-acknowledgements SLUG [--unit PATH]`.

Sending is the same action as the button on /staff/admin/policies/<slug>/, audited as
the system's (a command run on the server). docs/policies.md describes both.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.directory.models import Unit
from ombuds.policies import actions, selectors
from ombuds.policies.models import Policy


class Command(BaseCommand):
    help = "List the policies, or ask employees to acknowledge a policy's current version."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="each policy, its current version, its draft and how many have acknowledged")
        send = sub.add_parser(
            "send-acknowledgements",
            help="e-mail a personal link to every active person (of a unit) who has not been asked yet",
        )
        send.add_argument("slug", help="the policy's address name, as in /policies/<slug>/")
        send.add_argument("--unit", default="", help="a unit's full path, e.g. Sales/EMEA; its sub-units are included")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list()
        else:
            self._send(options["slug"], options["unit"])

    def _list(self) -> None:
        policies = list(Policy.objects.prefetch_related("versions"))
        if not policies:
            self.stdout.write("no policies yet")
        for policy in policies:
            current = actions.current_version_of(policy)
            draft = policy.versions.filter(published_at__isnull=True).first()
            parts = [policy.slug]
            if current is not None:
                counts = selectors.requests_by_state(current)
                parts.append(
                    f"current v{current.number} ({current.published_at:%Y-%m-%d}): "
                    f"{counts.get(selectors.ACKNOWLEDGED, 0)} acknowledged, {counts.get(selectors.WAITING, 0)} waiting"
                )
            else:
                parts.append("not published")
            if draft is not None:
                parts.append(f"draft v{draft.number}")
            self.stdout.write("  ".join(parts))

    def _send(self, slug: str, unit_path: str) -> None:
        policy = Policy.objects.filter(slug=slug).first()
        if policy is None:
            raise CommandError(f"no policy {slug!r}; `ombuds policies list` shows them")
        version = actions.current_version_of(policy)
        if version is None:
            raise CommandError(f"{slug} has no published version to acknowledge; publish it first")
        unit = None
        if unit_path:
            unit = Unit.objects.filter(path=unit_path.strip().strip("/")).first()
            if unit is None:
                raise CommandError(f"no unit {unit_path!r} in the directory (give its full path, e.g. Sales/EMEA)")
        try:
            sent = actions.send_acknowledgement_requests(version=version, unit=unit, actor=None)
        except actions.PolicyError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{slug} v{version.number}{' to ' + unit.path if unit else ''}:")
        self.stdout.write(f"  asked now: {sent.asked} (the task worker sends their e-mails)")
        self.stdout.write(f"  asked before: {sent.already_asked}")
        self.stdout.write(f"  without an e-mail address: {sent.without_email}")
