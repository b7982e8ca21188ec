"""Settings of the shared rehire registry (`ombuds registry ...`): a small service with its own database.

It shares no table, key or setting with an ombuds installation: another organisation
(an industry body, a union) runs it, usually on another machine. Its variables start
with OMBUDS_REGISTRY_SERVICE_ and are documented in docs/registry.md.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ombuds.lib.env import env_int, env_list, env_optional, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("OMBUDS_REGISTRY_SERVICE_VAR_DIR", str(BASE_DIR / "var" / "registry")))

# The VOPRF key of the registry, in a file outside the database: with the database alone
# no one can test a guess against the entries. Made by `ombuds registry keygen`.
OMBUDS_REGISTRY_SERVICE_KEY_FILE = Path(env_str("OMBUDS_REGISTRY_SERVICE_KEY_FILE", str(VAR_DIR / "voprf_key")))
# How long an entry may be kept at most, whatever the member asks (the default of members is 5 years).
OMBUDS_REGISTRY_SERVICE_MAX_YEARS = env_int("OMBUDS_REGISTRY_SERVICE_MAX_YEARS", 10, minimum=1, maximum=30)
# How long the registry keeps its log of requests and hits: `ombuds registry purge` erases older lines.
OMBUDS_REGISTRY_SERVICE_LOG_DAYS = env_int("OMBUDS_REGISTRY_SERVICE_LOG_DAYS", 730, minimum=30, maximum=3650)

# No sessions, cookies or signed values: members prove who they are by signing each request.
SECRET_KEY = secrets.token_urlsafe(48)
DEBUG = False
ALLOWED_HOSTS = env_list("OMBUDS_REGISTRY_SERVICE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = ["ombuds.registry_service"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
ROOT_URLCONF = "ombuds.registry_service.urls"
WSGI_APPLICATION = "ombuds.registry_service.wsgi.application"
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
TEMPLATES: list[dict[str, object]] = []

_database_url = env_optional("OMBUDS_REGISTRY_SERVICE_DATABASE_URL")
if _database_url is None:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "registry.sqlite3",
            # One connection per worker, kept: opening one (and its pragmas) would cost each request.
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                # synchronous=NORMAL under WAL: a commit survives a crash of the process; a power cut
                # may lose the last commits (docs/registry.md says to back up, and members can
                # resubmit). It spares two fsyncs per check.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    }
else:
    try:
        DATABASES = {"default": dict(dj_database_url.parse(_database_url, conn_max_age=60))}
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"OMBUDS_REGISTRY_SERVICE_DATABASE_URL is not a usable database URL: {exc}"
        ) from None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Only warnings: a request line names nothing, but nothing is needed either.
    "root": {"handlers": ["console"], "level": "WARNING"},
}
