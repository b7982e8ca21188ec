"""A deployment check (`ombuds check --deploy`): the match key file is in place.

Production never creates the key by itself (ombuds.crypto.match_keys). Without this
check a missing or unreadable file would first show when a reporter names someone by
e-mail, and her report would be refused; the check says so before anyone reports.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from ombuds.crypto import match_keys


@register(Tags.security, deploy=True)
def match_key_in_place(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.PRODUCTION:
        return []  # development makes the key on first use
    try:
        match_keys.match_key_server()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="docs/deployment.md, step 2, makes the key", id="ombuds.linking.E001")]
    return []
