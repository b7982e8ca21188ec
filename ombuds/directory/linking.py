"""Link staff accounts to their directory records, so conflicts reach their logins."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.directory.models import Person


def link_staff_by_email() -> int:
    """Give every staff user without a directory record the person with the same e-mail.

    Each link is an audit event: it decides which cases that person is kept out of.
    Returns the number of links made.
    """
    linked = 0
    with transaction.atomic(durable=True):
        for user in User.objects.filter(person__isnull=True).exclude(email=""):
            person = Person.objects.filter(email__iexact=user.email, user__isnull=True).first()
            if person is not None:
                person.user = user
                person.save(update_fields=["user"])
                log.record_system(EventType.STAFF_LINKED, user=user.pk, person=person.pk)
                linked += 1
    return linked
