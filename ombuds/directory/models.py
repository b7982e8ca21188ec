"""The organisation's structure: units (a tree) and people with their managers.

ombuds reads the management chain from here to keep everyone above an accused person
out of the case (see ombuds.cases.conflicts).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.Model):
    """A unit, identified by its full path ("Sales/EMEA/Berlin")."""

    path = models.CharField(max_length=500, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    def __str__(self) -> str:
        return self.path


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_LEAVE = "on_leave", _("On leave")
    SUSPENDED = "suspended", _("Suspended")
    LEFT = "left", _("Left")


class Person(models.Model):
    employee_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="people")
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    job_title = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True)
    status = models.CharField(max_length=16, choices=PersonStatus.choices, default=PersonStatus.ACTIVE)
    # The staff account of this person, if they have one.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )

    class Meta:
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_id})"
