"""Link staff accounts to their directory records, so conflicts reach their logins."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.directory.models import Person


def link_staff_by_email() -> int:
    """Give every staff user without a directory record the one person with the same e-mail.

    Each link is an audit event: it decides which cases that person is kept out of.
    An address that several directory records have links none: otherwise a decoy record
    with the accused's address, imported beside his own, could take his account, and his
    own record's conflicts would never reach it. Returns the number of links made.
    """
    linked = 0
    with transaction.atomic(durable=True):
        for user in User.objects.filter(person__isnull=True).exclude(email=""):
            same = list(Person.objects.filter(email__iexact=user.email)[:2])
            person = same[0] if len(same) == 1 and same[0].user_id is None else None
            if person is not None:
                person.user = user
                person.save(update_fields=["user"])
                log.record_system(EventType.STAFF_LINKED, user=user.pk, person=person.pk)
                linked += 1
    return linked
