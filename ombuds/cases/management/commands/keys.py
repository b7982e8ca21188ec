"""`ombuds keys`: the organisation's recovery key, and staff members' keys (rotate, retire, recover).

Every change is an audit event. Nothing here can read a case: the server holds no key
that opens one. Recovery needs the recovery key's private half, which only the people
who keep it offline have.
"""

from __future__ import annotations

import base64
import binascii
import sys
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.cases import keyring
from ombuds.cases.models import Case, CaseKeyGrant, GrantHolder, Organisation, PendingGrant
from ombuds.crypto import keys


def _staff(email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError("no such staff user")
    return user


def _grouped(secret: bytes) -> str:
    text = base64.b32encode(secret).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _read_recovery_key(text: str) -> keys.KeyPair:
    cleaned = "".join(text.split()).upper()
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except binascii.Error:
        raise CommandError("that is not a recovery key (letters A-Z and digits 2-7, in groups)") from None
    if len(raw) != 32:
        raise CommandError("that is not a recovery key (wrong length)")
    return keys.KeyPair.from_private_bytes(raw)


class Command(BaseCommand):
    help = "Manage the organisation's recovery key and staff members' keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recovery = sub.add_parser("recovery", help="make the organisation's recovery key and print it once")
        recovery.add_argument("--replace", action="store_true", help="replace an existing recovery key")
        recover = sub.add_parser(
            "recover",
            help="with the recovery key (read from standard input), give a staff member back the cases she may read",
        )
        recover.add_argument("email")
        rotate = sub.add_parser("rotate", help="throw away a staff member's key pair; a new one is made at her login")
        rotate.add_argument("email")
        retire = sub.add_parser("retire", help="remove every sealed key of a staff member who leaves")
        retire.add_argument("email")
        sub.add_parser("status", help="who has a key pair, how many grants wait, and the recovery key's coverage")
        sub.add_parser(
            "seal-existing",
            help="encrypt the cases stored before encryption at rest (their reporters lose sight of earlier content)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "recovery":
            try:
                pair = keyring.create_recovery_key(replace=options["replace"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write("The organisation's recovery key. It is shown this once and stored nowhere:")
            self.stdout.write("")
            self.stdout.write("  " + _grouped(pair.private_bytes()))
            self.stdout.write("")
            self.stdout.write(
                "Print it, split it between two people if you wish, and keep it offline (a safe). With it,\n"
                "`ombuds keys recover EMAIL` gives a staff member back every case she may read, when\n"
                "passwords were lost. See docs/security.md."
            )
        elif action == "recover":
            user = _staff(options["email"])
            self.stderr.write("Type or paste the recovery key, then press Enter:")
            pair = _read_recovery_key(sys.stdin.readline())
            try:
                granted, unopened = keyring.recover_access(pair, user)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"{user.email}: {granted} case(s) granted; {unopened} the recovery key does not open")
            if unopened and not granted:
                raise CommandError("the recovery key opened nothing: is it this organisation's current key?")
        elif action == "rotate":
            user = _staff(options["email"])
            removed = keyring.rotate(user)
            self.stdout.write(
                f"{user.email}: key pair thrown away, {removed} grant(s) removed; a new pair at her login"
            )
        elif action == "retire":
            user = _staff(options["email"])
            removed = keyring.retire(user)
            self.stdout.write(f"{user.email}: {removed} sealed key(s) and her key pair removed")
        elif action == "seal-existing":
            legacy = list(Case.objects.filter(sealed=False).values_list("pk", flat=True))
            for case_id in legacy:
                keyring.seal_legacy_case(Case.objects.get(pk=case_id))
            self.stdout.write(f"{len(legacy)} case(s) sealed")
        else:
            org = Organisation.objects.get(pk=1)
            with_keys = set(User.objects.filter(staff_key__isnull=False).values_list("email", flat=True))
            for user in User.objects.filter(is_active=True).order_by("email"):
                state = "key pair" if user.email in with_keys else "no key pair yet (made at the next login)"
                self.stdout.write(f"{user.email:<32} {state}")
            self.stdout.write(f"grants waiting for a reader: {PendingGrant.objects.count()}")
            if org.recovery_public_key is None:
                self.stdout.write("recovery key: none (`ombuds keys recovery` makes one)")
            else:
                covered = CaseKeyGrant.objects.filter(holder=GrantHolder.RECOVERY).count()
                self.stdout.write(f"recovery key: set; {covered} case(s) sealed to it")
