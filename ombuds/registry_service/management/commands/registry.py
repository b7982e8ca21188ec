"""`ombuds registry ...`: run and administer the shared rehire registry (its own settings and database)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ombuds.registry_service import protocol, service
from ombuds.registry_service import settings as registry_settings
from ombuds.registry_service.models import Member


class Command(BaseCommand):
    help = "Run and administer the shared rehire registry that member organisations ask (docs/registry.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        serve = sub.add_parser("serve", help="migrate the registry's database and serve it with gunicorn")
        serve.add_argument("--bind", default="127.0.0.1:8100")
        serve.add_argument("--workers", type=int, default=2)
        sub.add_parser("migrate", help="create or update the registry's own tables")
        sub.add_parser("keygen", help="create the registry's VOPRF key file (once) and print its public key")
        sub.add_parser("public-key", help="print the registry's VOPRF public key")
        add = sub.add_parser("add-member", help="register a member organisation")
        add.add_argument("--name", required=True)
        add.add_argument("--public-key", required=True, help="the member's Ed25519 public key, base64")
        add.add_argument("--oversight-contact", required=True, help="how to reach the member's oversight body")
        sub.add_parser("members", help="list the members")
        remove = sub.add_parser("remove-member", help="remove a member and withdraw its entries")
        remove.add_argument("member_id", type=int)
        sub.add_parser("purge", help="empty expired entries and erase old log lines (run it daily, e.g. from a timer)")
        log = sub.add_parser("log", help="print the registry's log of requests")
        log.add_argument("--limit", type=int, default=50)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            getattr(self, "do_" + action.replace("-", "_"))(options)
        except protocol.ProtocolError as exc:
            raise CommandError(str(exc)) from None

    def do_migrate(self, options: dict[str, Any]) -> None:
        registry_settings.OMBUDS_REGISTRY_SERVICE_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        call_command("migrate", "--no-input", verbosity=0)
        self.stdout.write("the registry's database is up to date")

    def do_serve(self, options: dict[str, Any]) -> None:
        self.do_migrate(options)
        service.server()  # refuse to start without the key file
        env = os.environ.copy()
        env["DJANGO_SETTINGS_MODULE"] = "ombuds.registry_service.settings"
        process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "ombuds.registry_service.wsgi:application",
                "--config", "python:ombuds.gunicorn_conf",
                "--bind", options["bind"],
                "--workers", str(options["workers"]),
            ],
            env=env,
        )  # fmt: skip
        self.stdout.write(f"the shared rehire registry is serving on http://{options['bind']}/")

        def stop(signum: int, frame: object) -> None:
            process.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if process.wait() not in (0, -signal.SIGTERM):
            raise SystemExit(1)

    def do_keygen(self, options: dict[str, Any]) -> None:
        try:
            service.create_key()
        except FileExistsError:
            raise CommandError(
                f"{registry_settings.OMBUDS_REGISTRY_SERVICE_KEY_FILE} exists; a registry's key is never replaced"
            ) from None
        self.stdout.write(f"key file: {registry_settings.OMBUDS_REGISTRY_SERVICE_KEY_FILE} (back it up)")
        self.stdout.write(f"public key: {service.public_key_text()}")

    def do_public_key(self, options: dict[str, Any]) -> None:
        self.stdout.write(service.public_key_text())

    def do_add_member(self, options: dict[str, Any]) -> None:
        member = service.add_member(
            name=options["name"], public_key=options["public_key"], oversight_contact=options["oversight_contact"]
        )
        self.stdout.write(f"member {member.pk} added: {member.name}")

    def do_members(self, options: dict[str, Any]) -> None:
        for member in Member.objects.order_by("pk"):
            state = "removed" if member.removed_at else "active"
            line = [str(member.pk), state, member.name, member.public_key, member.oversight_contact]
            self.stdout.write("\t".join(line))

    def do_remove_member(self, options: dict[str, Any]) -> None:
        member = Member.objects.filter(pk=options["member_id"], removed_at__isnull=True).first()
        if member is None:
            raise CommandError("no active member has this number")
        withdrawn = service.remove_member(member)
        self.stdout.write(f"member {member.pk} removed; {withdrawn} entries withdrawn")

    def do_purge(self, options: dict[str, Any]) -> None:
        emptied, erased = service.purge(timezone.now().date())
        days = registry_settings.OMBUDS_REGISTRY_SERVICE_LOG_DAYS
        self.stdout.write(f"{emptied} expired entries emptied, {erased} log lines older than {days} days erased")

    def do_log(self, options: dict[str, Any]) -> None:
        from ombuds.registry_service.models import LogEntry

        for line in LogEntry.objects.select_related("member").order_by("-at")[: options["limit"]]:
            member = line.member.name if line.member is not None else "-"
            self.stdout.write(
                json.dumps({"at": line.at.isoformat(), "kind": line.kind, "member": member, "count": line.count,
                            "hits": line.hits})
            )  # fmt: skip
