"""Personal API tokens for scripts and integrations, and what ombuds keeps about second factors."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A token is shown once; only its SHA-256 digest is kept (it has 256 bits of entropy)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)  # shown in lists so a person can tell tokens apart
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A keyed fingerprint of the owner's password hash and second-factor generation when the
    # token was made (accounts/tokens.py). A new password or a second-factor reset changes
    # it, and the token stops working. Empty for tokens made before fingerprints existed.
    fingerprint = models.CharField(max_length=64, default="", blank=True)
    # The owner's private key, encrypted under a key derived from the token itself, so the
    # token opens exactly the cases its owner may open (ombuds.accounts.tokens). Empty for a
    # token made on the server without the owner's password: it then opens no content.
    key_wrap = models.BinaryField(null=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        """Not revoked. Whether it still opens the API is `tokens.token_state`."""
        return self.revoked_at is None


class MfaState(models.Model):
    """A staff member's second-factor history, beyond allauth's authenticators.

    No row means the account's second factor was never reset: it is set up at the first
    login, as for every new account.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="mfa_state"
    )
    # Counts the resets. Tokens made under an earlier generation no longer work.
    generation = models.PositiveIntegerField(default=0)
    # Set by a reset; while set, a new second factor can only be set up in a browser
    # session that has opened the administrator's one-time enrolment link.
    needs_enrolment_link = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"second factor of user {self.user_id}, generation {self.generation}"


class LinkPurpose(models.TextChoices):
    # After `ombuds staff reset-mfa`: opened by the logged-in person to set up a new factor.
    RESET = "reset"
    # An invitation to a new account: opened without logging in, to set the first password.
    INVITATION = "invitation"


class EnrolmentLink(models.Model):
    """A one-time link: the one an administrator hands over after a second-factor reset, or an invitation.

    Only a SHA-256 digest of the link's secret is kept (the secret has 256 bits of
    entropy). A link is good once, until `expires_at`, and only for its purpose.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_links")
    purpose = models.CharField(max_length=16, choices=LinkPurpose.choices, default=LinkPurpose.RESET)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"enrolment link {self.pk} for user {self.user_id}"


class StaffKey(models.Model):
    """A staff member's X25519 key pair; the private half is wrapped under a key from her password.

    It is unwrapped when she logs in and kept for her session only, encrypted under a
    key that lives in her browser's cookie (ombuds.accounts.keys). With it she opens
    the grants (sealed data keys) of the cases she may read.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_key")
    public_key = models.BinaryField()
    # Argon2id header (cost and salt) followed by the encrypted private key.
    wrapped_private = models.BinaryField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"key pair of user {self.user_id}"
