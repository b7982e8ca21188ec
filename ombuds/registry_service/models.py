"""The shared registry's tables: members, entries and its log. No identifier, in any form, is stored.

An entry holds SHA-256 of an OPRF output under the registry's key (protocol.entry_key):
without the key file nobody can compute the entry of a guessed e-mail address, and the
registry itself only ever sees blinded elements, never the identifier.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.db import models


class Member(models.Model):
    # Declared: the app is not among ombuds' own, so the type checker does not add it.
    objects: ClassVar[models.Manager[Member]] = models.Manager()
    name = models.CharField(max_length=200)
    # Ed25519 public key, base64: every request of the member is signed with its private key.
    public_key = models.CharField(max_length=64, unique=True)
    # How a new employer reaches the member's oversight body (an address, a phone line).
    oversight_contact = models.CharField(max_length=300)
    added_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Entry(models.Model):
    # Declared: the app is not among ombuds' own, so the type checker does not add it.
    objects: ClassVar[models.Manager[Entry]] = models.Manager()
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="entries")
    member_id: int
    # entry_key of the OPRF output; emptied when the entry is withdrawn or expires.
    key = models.CharField(max_length=64, db_index=True)
    created_on = models.DateField()
    expires_on = models.DateField(db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"entry {self.pk} of member {self.member_id}"

    def is_live(self, today: date) -> bool:
        return self.withdrawn_at is None and self.expires_on > today and bool(self.key)


class LogKind(models.TextChoices):
    EVALUATE = "evaluate"
    SUBMIT = "submit"
    LOOKUP = "lookup"
    WITHDRAW = "withdraw"
    PURGE = "purge"
    REFUSED = "refused"


class LogEntry(models.Model):
    """One request of a member (or one refused request): who, when, what kind, how many keys, how many hits."""

    # Declared: the app is not among ombuds' own, so the type checker does not add it.
    objects: ClassVar[models.Manager[LogEntry]] = models.Manager()
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=16, choices=LogKind.choices)
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField(default=0)
    hits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class Hit(models.Model):
    """A lookup that found a live entry: the member that asked, and the entry (so its holder can see it)."""

    # Declared: the app is not among ombuds' own, so the type checker does not add it.
    objects: ClassVar[models.Manager[Hit]] = models.Manager()
    log = models.ForeignKey(LogEntry, on_delete=models.CASCADE, related_name="found")
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="hits")
    entry_id: int

    def __str__(self) -> str:
        return f"hit on entry {self.entry_id}"
