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


class HeadCount(models.Model):
    """How many people a unit has (everyone not marked "left"), kept by the database's own triggers.

    Written only by the triggers of ombuds.directory.head_count, never by Python; `unit`
    is the unit's id, or head_count.NO_UNIT for the people placed in none. A unit whose
    people all went away keeps a row of nought.
    """

    unit = models.BigIntegerField(unique=True)
    people = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.unit}: {self.people}"


class UploadState(models.TextChoices):
    CHECKED = "checked", _("Checked, waiting to be imported")
    REFUSED = "refused", _("Has errors; nothing was imported")
    IMPORTED = "imported", _("Imported")
    DISCARDED = "discarded", _("Discarded")


class UploadSource(models.TextChoices):
    WEB = "web", _("Administration pages")
    COMMAND = "command", _("Command on the server")


class DirectoryUpload(models.Model):
    """A directory file: checked (the dry run), then imported or discarded; kept as the list of past imports.

    A file uploaded on the administration pages is kept in OMBUDS_DIRECTORY_UPLOAD_DIR
    between the dry run and the import, under its SHA-256 digest, so what is imported is
    byte for byte the file whose dry run was shown (ombuds.directory.uploads). It is
    deleted once imported, refused or discarded. Imports run with `ombuds directory
    import` are listed too, without a kept file.
    """

    name = models.CharField(max_length=200)
    digest = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    source = models.CharField(max_length=16, choices=UploadSource.choices)
    state = models.CharField(max_length=16, choices=UploadState.choices)
    uploaded_at = models.DateTimeField(db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The dry run: counts, the first errors and manager changes, hints about the file's format.
    summary = models.JSONField(default=dict)
    imported_at = models.DateTimeField(null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the import did, with the staff accounts linked and the cases whose conflicts changed.
    result = models.JSONField(default=dict)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"directory file {self.pk} ({self.state})"
