"""`ombuds token create EMAIL` prints a personal API token; `list` and `revoke` manage them.

Making and revoking a token are recorded in the audit trail. `list` says of each token
whether it still works (a deactivated account's tokens never do); `revoke` refuses, and
exits non-zero, when there is no such active token.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.accounts import actions as account_actions
from ombuds.accounts import keys as staff_keys
from ombuds.accounts import tokens
from ombuds.accounts.models import ApiToken


class Command(BaseCommand):
    help = "Create, list or revoke personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="print a new token for a staff user")
        create.add_argument("email")
        create.add_argument("--name", default="command line")
        create.add_argument(
            "--with-key",
            action="store_true",
            help="ask for the owner's password (or read OMBUDS_OWNER_PASSWORD) so the token opens case content",
        )
        listing = sub.add_parser("list", help="list a user's tokens, and whether each still works")
        listing.add_argument("email")
        revoke = sub.add_parser("revoke", help="revoke a token by id, or every active token with --all")
        revoke.add_argument("email")
        revoke.add_argument("id", type=int, nargs="?")
        revoke.add_argument("--all", action="store_true", help="revoke every token of the account that is not revoked")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["email"].strip().lower()).first()
        if user is None:
            raise CommandError("no such staff user")
        if options["action"] == "create":
            key_pair = None
            if options["with_key"]:
                password = os.environ.get("OMBUDS_OWNER_PASSWORD") or getpass.getpass(f"Password of {user.email}: ")
                if not user.check_password(password) or not staff_keys.has_key_pair(user):
                    raise CommandError("wrong password, or the account has not logged in since keys exist")
                key_pair = staff_keys.unlock(user, password).key_pair
            try:
                _record, token = tokens.create_token(user=user, name=options["name"], via="command", key_pair=key_pair)
            except tokens.TokenError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(token)
            if key_pair is None:
                self.stderr.write(
                    "This token opens no case content; add --with-key to have it open what its owner may."
                )
        elif options["action"] == "list":
            for record in ApiToken.objects.filter(user=user).select_related("user"):
                state = tokens.token_state(record)
                shown = f"revoked {record.revoked_at:%Y-%m-%d}" if record.revoked_at else state.value
                self.stdout.write(f"{record.pk}\t{record.prefix}…\t{record.name}\t{shown}")
        else:
            if (options["id"] is None) == (not options["all"]):
                raise CommandError("give a token id, or --all")
            try:
                revoked = account_actions.revoke_tokens(user=user, token_id=options["id"], via="command")
            except account_actions.AccountError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"revoked {revoked} token(s)")
