"""`ombuds audit_keys create` makes the audit log's signing key; `show-public` prints its public key.

Production never creates the key by itself (ombuds/audit/signing_key.py), so this is
how an operator makes it, once, before the first start.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.audit import signing_key
from ombuds.audit.sth import public_key_text


class Command(BaseCommand):
    help = "Create the audit log's signing key, or print its public key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("create", help=f"create the key in {signing_key.SETTING} (never replaces one)")
        sub.add_parser("show-public", help="print the public key (base64), which verifiers need")

    def handle(self, *args: Any, **options: Any) -> None:
        path = signing_key.key_path()
        if options["action"] == "create":
            try:
                key = signing_key.create_key_file(path)
            except FileExistsError:
                raise CommandError(f"{path} already exists; an audit signing key is never replaced") from None
            except OSError as exc:
                raise CommandError(f"cannot create {path}: {exc.strerror}") from None
            self.stdout.write(f"Created the audit signing key in {path} (mode 0600). Back it up.")
            self.stdout.write(f"Public key: {public_key_text(key.verify_key)}")
            return
        if not path.exists():
            raise CommandError(f"{path} does not exist; create it with `ombuds audit_keys create`")
        try:
            key = signing_key.read_key_file(path)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(public_key_text(key.verify_key))
