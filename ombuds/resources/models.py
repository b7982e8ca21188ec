"""Support resources (R11): helplines, police, legal and medical help, and authorities, per country.

The defaults ship with ombuds as data (defaults.json, each entry with its source and the
date it was checked). What an administrator changes is kept here: the organisation's
own entries (employee assistance, a doctor, the union) and her changes to a default,
which a newer defaults file never overwrites. Every change goes through
ombuds.resources.actions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ResourceKind(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency")
    POLICE = "police", _("Police")
    SEXUAL_VIOLENCE = "sexual_violence", _("Rape and sexual violence")
    DOMESTIC_ABUSE = "domestic_abuse", _("Domestic abuse")
    COUNSELLING = "counselling", _("Someone to talk to")
    MEDICAL = "medical", _("Medical help")
    LEGAL = "legal", _("Legal advice")
    AUTHORITY = "authority", _("Reporting outside the organisation")
    EMPLOYER = "employer", _("Support from your organisation")
    OTHER = "other", _("Other support")


class SupportResource(models.Model):
    """An entry of the organisation's own, for one country or ("" ) for every country."""

    country = models.CharField(max_length=2, blank=True, default="")
    kind = models.CharField(max_length=32, choices=ResourceKind.choices)
    phone = models.CharField(max_length=64, blank=True, default="")
    website = models.CharField(max_length=500, blank=True, default="")
    # {language code: {"name": ..., "description": ...}}
    texts = models.JSONField(default=dict)
    hidden = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"support resource {self.pk} ({self.country or 'all countries'})"


class DefaultOverride(models.Model):
    """An administrator's change to a shipped default, found by the default's key.

    A field left None keeps the shipped value, so a corrected number in a newer defaults
    file still reaches the page unless the administrator changed that very field.
    """

    key = models.CharField(max_length=64, unique=True)
    hidden = models.BooleanField(default=False)
    # None is "as shipped", which "" (no number, no website) is not.
    phone = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    website = models.CharField(max_length=500, null=True, blank=True)  # noqa: DJ001
    texts = models.JSONField(null=True, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"change to default {self.key}"


class SupportSettings(models.Model):
    """One row (pk 1), made on the first change: what the administrators chose over the settings' defaults."""

    # "" means OMBUDS_SUPPORT_COUNTRY.
    default_country = models.CharField(max_length=2, blank=True, default="")
    # "" means OMBUDS_QUICK_EXIT_URL.
    quick_exit_url = models.CharField(max_length=500, blank=True, default="")
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return "support settings"
