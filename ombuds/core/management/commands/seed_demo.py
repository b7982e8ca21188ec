"""Seed a demo organisation. Safe to run again: it changes nothing that exists."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from ombuds.cases.models import Organisation

ROLES = ["handler", "lead_handler", "oversight", "administrator", "auditor"]
DEMO_STAFF = [
    ("handler@demo.example", "Hana Handler", ["handler"]),
    ("lead@demo.example", "Lee Lead", ["handler", "lead_handler"]),
    ("oversight@demo.example", "Olu Oversight", ["oversight"]),
    ("admin@demo.example", "Ada Admin", ["administrator"]),
    ("auditor@demo.example", "Aud Auditor", ["auditor"]),
]


class Command(BaseCommand):
    help = "Create the demo organisation and demo staff logins (idempotent) and print the logins."

    def handle(self, *args: Any, **options: Any) -> None:
        logins_file = settings.VAR_DIR / "demo-logins.txt"
        known = {}
        if logins_file.exists():
            for line in logins_file.read_text(encoding="utf-8").splitlines():
                email, _, password = line.partition(" ")
                known[email] = password
        User = get_user_model()
        with transaction.atomic():
            org = Organisation.objects.get(pk=1)
            if org.name == "Organisation":
                org.name = "Demo Organisation"
                org.oversight_name = "the Audit Committee"
                org.save(update_fields=["name", "oversight_name"])
            groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLES}
            for email, full_name, roles in DEMO_STAFF:
                user = User.objects.filter(username=email).first()
                if user is None or email not in known:
                    password = secrets.token_urlsafe(12)
                    if user is None:
                        first, _, last = full_name.partition(" ")
                        user = User.objects.create_user(
                            username=email, email=email, first_name=first, last_name=last, password=password
                        )
                    else:
                        user.set_password(password)
                        user.save(update_fields=["password"])
                    known[email] = password
                user.groups.add(*(groups[r] for r in roles))
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        logins_file.write_text("".join(f"{e} {p}\n" for e, p in known.items()), encoding="utf-8")
        logins_file.chmod(0o600)
        self.stdout.write(f"Demo organisation: {Organisation.objects.get(pk=1).name}")
        self.stdout.write("Demo staff logins (also in var/demo-logins.txt):")
        for email, _full_name, roles in DEMO_STAFF:
            self.stdout.write(f"  {email:<26} {known[email]:<18} {', '.join(roles)}")
