"""Seed a demo organisation. Safe to run again: it changes nothing that exists."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from ombuds.accounts import keys as staff_keys
from ombuds.cases.models import Organisation
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import Person, Unit

ROLES = ["handler", "lead_handler", "oversight", "administrator", "auditor", "hr", "investigator"]
DEMO_STAFF = [
    ("handler@demo.example", "Hana Handler", ["handler"]),
    ("lead@demo.example", "Lee Lead", ["handler", "lead_handler"]),
    ("oversight@demo.example", "Olu Oversight", ["oversight"]),
    ("admin@demo.example", "Ada Admin", ["administrator"]),
    ("auditor@demo.example", "Aud Auditor", ["auditor"]),
    ("hr@demo.example", "Harper Recruiter", ["hr"]),
    # Named per case: she sees a case only once a handler names her on its investigation.
    ("investigator@demo.example", "Ivy Investigator", ["investigator"]),
]


# A small company: the demo staff work in HR and on the board, away from the sales chain,
# so a report about the sales managers stays visible to them.
DEMO_PEOPLE = [
    # employee id, name, e-mail, unit path, manager id, job title
    ("D001", "Dana Chief", "ceo@demo.example", "Executive", None, "Chief Executive"),
    ("D002", "Sam Seller", "sales.director@demo.example", "Sales", "D001", "Sales Director"),
    ("D003", "Max Manager", "sales.manager@demo.example", "Sales/EMEA", "D002", "Sales Manager, EMEA"),
    ("D004", "Rita Rep", "rita.rep@demo.example", "Sales/EMEA", "D003", "Account Executive"),
    ("D005", "Leo Rep", "leo.rep@demo.example", "Sales/EMEA", "D003", "Account Executive"),
    ("D010", "Hana Handler", "handler@demo.example", "People/Employee Relations", "D011", "ER Investigator"),
    ("D011", "Lee Lead", "lead@demo.example", "People/Employee Relations", "D001", "Head of Employee Relations"),
    ("D012", "Ada Admin", "admin@demo.example", "People/Systems", "D011", "HR Systems Administrator"),
    ("D013", "Ivy Investigator", "investigator@demo.example", "People/Employee Relations", "D011", "Investigator"),
    ("D020", "Olu Oversight", "oversight@demo.example", "Board/Audit Committee", None, "Audit Committee Chair"),
    ("D021", "Aud Auditor", "auditor@demo.example", "Board/Audit Committee", "D020", "Internal Auditor"),
    ("D014", "Harper Recruiter", "hr@demo.example", "People/Recruiting", "D011", "Recruiter"),
]


def _seed_directory() -> None:
    for employee_id, name, email, path, _manager, title in DEMO_PEOPLE:
        unit = None
        parent = None
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            unit, _created = Unit.objects.get_or_create(
                path="/".join(parts[:depth]), defaults={"name": parts[depth - 1], "parent": parent}
            )
            parent = unit
        Person.objects.get_or_create(
            employee_id=employee_id, defaults={"name": name, "email": email, "unit": unit, "job_title": title}
        )
    for employee_id, _name, _email, _path, manager, _title in DEMO_PEOPLE:
        if manager:
            Person.objects.filter(employee_id=employee_id, manager__isnull=True).update(
                manager=Person.objects.get(employee_id=manager)
            )


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
            _seed_directory()
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
        # Each demo account gets its key pair now, as `ombuds createstaff` does, so the
        # reports filed before anyone logs in are sealed to them too.
        for email in known:
            user = User.objects.get(username=email)
            if not staff_keys.has_key_pair(user):
                staff_keys.unlock(user, known[email])
        link_staff_by_email()
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        logins_file.write_text("".join(f"{e} {p}\n" for e, p in known.items()), encoding="utf-8")
        logins_file.chmod(0o600)
        self.stdout.write(f"Demo organisation: {Organisation.objects.get(pk=1).name}")
        self.stdout.write(f"Demo staff logins (also in {logins_file}):")
        for email, _full_name, roles in DEMO_STAFF:
            self.stdout.write(f"  {email:<26} {known[email]:<18} {', '.join(roles)}")
        base = settings.OMBUDS_BASE_URL.rstrip("/")
        self.stdout.write(f"Staff log in at {base}/staff/ and set up two-factor authentication first.")
        self.stdout.write(f"Reporters start at {base}/")
