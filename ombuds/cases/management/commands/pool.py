"""`ombuds pool list|add|remove`: which handlers receive new cases of a category."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.cases import actions
from ombuds.cases.models import Category, PoolMembership


class Command(BaseCommand):
    help = "Configure handler pools per category. A category with no members is handled by every handler."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="print every category's pool")
        for name in ("add", "remove"):
            command = sub.add_parser(name, help=f"{name} a handler")
            command.add_argument("category", choices=Category.values)
            command.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "list":
            user = User.objects.filter(email__iexact=options["email"], is_active=True).first()
            if user is None:
                raise CommandError("no such staff user")
            try:
                actions.set_pool_membership(category=options["category"], user=user, member=options["action"] == "add")
            except actions.ActionError as exc:
                raise CommandError(str(exc)) from None
        for category in Category:
            members = PoolMembership.objects.filter(category=category.value).select_related("user")
            names = ", ".join(m.user.email for m in members) or "(no pool: every handler)"
            self.stdout.write(f"{category.value:<18} {names}")
