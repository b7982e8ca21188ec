"""The one settings module. Everything configurable comes from environment variables.

Each variable is documented in docs/configuration.md; tests/test_settings_documented.py
fails when one is not.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ombuds.lib.env import (
    env_bool,
    env_choice,
    env_duration,
    env_int,
    env_list,
    env_optional,
    env_secret,
    env_str,
)
from ombuds.lib.keys import dev_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("OMBUDS_VAR_DIR", str(BASE_DIR / "var")))

PRODUCTION = env_bool("OMBUDS_PRODUCTION", False)
DEBUG = env_bool("OMBUDS_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("OMBUDS_DEBUG must be off when OMBUDS_PRODUCTION is on")


def _required_secret(name: str, dev_file: str) -> str:
    value = env_secret(name)
    if value is not None:
        if len(value) < 32:
            raise ImproperlyConfigured(f"{name} must be at least 32 characters long")
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set when OMBUDS_PRODUCTION is on")
    return dev_key(VAR_DIR / "keys", dev_file)


SECRET_KEY = _required_secret("OMBUDS_SECRET_KEY", "secret_key")
# Keys the receipt digests. Kept apart from SECRET_KEY so rotating the session
# secret never locks reporters out of their cases.
OMBUDS_RECEIPT_KEY = _required_secret("OMBUDS_RECEIPT_KEY", "receipt_key")

ALLOWED_HOSTS = env_list("OMBUDS_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("OMBUDS_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's security-key list uses it
    "django_tasks_db",
    # Before allauth, so our templates (allauth/layouts/base.html) override its plain ones.
    "ombuds.core",
    "ombuds.accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "ombuds.directory",
    "ombuds.audit",
    "ombuds.cases",
    "ombuds.outcomes",
    "ombuds.investigations",
    "ombuds.questionnaire",
    "ombuds.intake",
    "ombuds.watch",
    "ombuds.casefile",
    "ombuds.policies",
    "ombuds.resources",
    "ombuds.api",
    "ombuds.linking",
    "ombuds.administration",
    "ombuds.retention",
    "ombuds.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ombuds.core.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # The organisation's time zone, and the languages it offers reporters.
    "ombuds.core.organisation.OrganisationMiddleware",
    "django.middleware.common.CommonMiddleware",
    "ombuds.core.csrf.CsrfMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "ombuds.accounts.middleware.RequireMFAMiddleware",
    "ombuds.accounts.middleware.StaffKeyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ombuds.core.middleware.ReporterPrivacyMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ombuds.urls"
WSGI_APPLICATION = "ombuds.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ombuds.accounts.context.staff",
                "ombuds.core.organisation.offered_languages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
# Without DATABASE_URL ombuds runs on an embedded SQLite file under var/.
_database_url = env_optional("DATABASE_URL")
if _database_url is None:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "ombuds.sqlite3",
            "OPTIONS": {
                # WAL lets the web and worker processes read while one writes;
                # synchronous=FULL makes a commit survive power loss, because a
                # receipt is only shown once the report is on disk.
                "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"),
                # IMMEDIATE takes the write lock at BEGIN so concurrent writers wait
                # for the busy timeout instead of failing mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": env_int("OMBUDS_SQLITE_TIMEOUT", 30, minimum=1),
            },
            "TEST": {"NAME": VAR_DIR / "test.sqlite3"},
        }
    }
else:
    try:
        _db = dj_database_url.parse(_database_url, conn_max_age=env_int("OMBUDS_DB_CONN_MAX_AGE", 60, minimum=0))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {exc}") from None
    DATABASES = {"default": dict(_db)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work ------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Shared cache ---------------------------------------------------------------
# In the database, so every web process sees the same used TOTP codes and throttles.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "ombuds_cache"}}

# --- Staff login ------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "/staff/accounts/login/"
LOGIN_REDIRECT_URL = "/staff/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/staff/accounts/login/"
ACCOUNT_ADAPTER = "ombuds.accounts.adapter.StaffAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# allauth's limit on failed logins also counts per e-mail address, from anywhere, and then
# refuses even the right password: a stranger could lock a staff member out. Password logins
# use this per-address limit instead, with the per-account slow-down of accounts/throttle.py
# (StaffAccountAdapter.pre_authenticate). allauth's "login_failed" still limits wrong
# second-factor codes per account, which only someone who knows the password can give.
ACCOUNT_RATE_LIMITS = {"login_failed_address": "10/m/ip"}
# Staff e-mail addresses are the directory's (accounts/adapter.py).
ACCOUNT_FORMS = {
    "add_email": "ombuds.accounts.forms.NoEmailChangeForm",
    # The login unlocks the staff member's private key; a password change re-wraps it.
    "login": "ombuds.accounts.forms.StaffLoginForm",
    "change_password": "ombuds.accounts.forms.StaffChangePasswordForm",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "ombuds"
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
SESSION_COOKIE_AGE = env_int("OMBUDS_STAFF_SESSION_SECONDS", 8 * 3600, minimum=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Failed staff logins: locked for a while after this many tries for one account from one address.
AXES_FAILURE_LIMIT = env_int("OMBUDS_LOGIN_ATTEMPTS", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("OMBUDS_LOGIN_LOCKOUT_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Per account from anywhere: after this many failures within the lockout window, each further
# attempt waits 1, 2, 4, ... seconds, at most the maximum (accounts/throttle.py). Never a lock.
OMBUDS_LOGIN_SLOWDOWN_AFTER = env_int("OMBUDS_LOGIN_SLOWDOWN_AFTER", 10, minimum=1)
OMBUDS_LOGIN_SLOWDOWN_MAX_SECONDS = env_int("OMBUDS_LOGIN_SLOWDOWN_MAX_SECONDS", 30, minimum=1, maximum=300)
# axes keeps each staff login and failed attempt with its address and browser; the sweeper
# deletes those records after this many days (accounts/sweep.py).
OMBUDS_LOGIN_RECORD_RETENTION_DAYS = env_int("OMBUDS_LOGIN_RECORD_RETENTION_DAYS", 30, minimum=1)
# How long the one-time link printed by `ombuds staff reset-mfa` works.
OMBUDS_ENROLMENT_LINK_HOURS = env_int("OMBUDS_ENROLMENT_LINK_HOURS", 24, minimum=1, maximum=168)
# How long the link in an invitation to a new staff account works (accounts/enrolment.py).
OMBUDS_INVITATION_HOURS = env_int("OMBUDS_INVITATION_HOURS", 72, minimum=1, maximum=336)

# --- Passwords --------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages and time -----------------------------------------------------------
LANGUAGE_CODE = "en"
_LANGUAGE_NAMES = {"en": _("English"), "zh-hans": _("Simplified Chinese")}
LANGUAGES = [
    (code, _LANGUAGE_NAMES[code]) for code in env_list("OMBUDS_LANGUAGES", ["en", "zh-hans"]) if code in _LANGUAGE_NAMES
]
if len(LANGUAGES) != len(env_list("OMBUDS_LANGUAGES", ["en", "zh-hans"])):
    raise ImproperlyConfigured(f"OMBUDS_LANGUAGES may only contain {', '.join(_LANGUAGE_NAMES)}")
LOCALE_PATHS = [BASE_DIR / "ombuds" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("OMBUDS_TIME_ZONE", "UTC")
try:
    import zoneinfo

    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"OMBUDS_TIME_ZONE is not a known time zone: {TIME_ZONE!r}") from None

# --- Static files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at every start without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Uploads ------------------------------------------------------------------------
OMBUDS_MAX_ATTACHMENT_BYTES = env_int("OMBUDS_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024, minimum=1)
OMBUDS_MAX_ATTACHMENTS = env_int("OMBUDS_MAX_ATTACHMENTS", 5, minimum=0, maximum=50)
# Attachments are kept in memory while a request is handled; keep the whole body bounded.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("OMBUDS_MAX_TEXT_BYTES", 256 * 1024, minimum=1024)
# A file up to this size is held in memory while its request is handled (photos and
# documents lose their hidden metadata there); a larger one is encrypted into the file
# store as it arrives (intake/uploads.py), in constant memory. Never on disk in clear.
OMBUDS_UPLOAD_MEMORY_BYTES = env_int("OMBUDS_UPLOAD_MEMORY_BYTES", 16 * 1024 * 1024, minimum=64 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = OMBUDS_UPLOAD_MEMORY_BYTES
FILE_UPLOAD_HANDLERS = ["ombuds.intake.uploads.EncryptingUploadHandler"]
# A little above the real limit, so a few files too many get our clear error rather than Django's bare 400.
DATA_UPLOAD_MAX_NUMBER_FILES = OMBUDS_MAX_ATTACHMENTS + 20
OMBUDS_MAX_REQUEST_BYTES = OMBUDS_MAX_ATTACHMENT_BYTES * max(OMBUDS_MAX_ATTACHMENTS, 1) + DATA_UPLOAD_MAX_MEMORY_SIZE

# --- Encryption at rest -------------------------------------------------------------
# Argon2id cost of turning a staff password or a reporter's receipt into a key
# (ombuds/crypto/kdf.py). Every wrap records the parameters it was made with, so these
# can be raised later without locking anyone out. The ceilings match kdf.MAX_OPSLIMIT
# and kdf.MAX_MEMLIMIT_KIB. Several web workers may derive at once: each derivation
# holds OMBUDS_KDF_MEMLIMIT_MIB of memory while it runs.
OMBUDS_KDF_OPSLIMIT = env_int("OMBUDS_KDF_OPSLIMIT", 4, minimum=1, maximum=32)
OMBUDS_KDF_MEMLIMIT_MIB = env_int("OMBUDS_KDF_MEMLIMIT_MIB", 64, minimum=8, maximum=1024)
# Encrypted attachment files (ombuds/crypto/filestore.py). Created on first use.
OMBUDS_FILE_STORE_DIR = Path(env_str("OMBUDS_FILE_STORE_DIR", str(VAR_DIR / "files")))
# Directory files uploaded on the administration pages, kept between the dry run and the
# confirmed import (ombuds/directory/uploads.py). Created on first use.
OMBUDS_DIRECTORY_UPLOAD_DIR = Path(env_str("OMBUDS_DIRECTORY_UPLOAD_DIR", str(VAR_DIR / "directory-uploads")))
# --- Limits on filing ------------------------------------------------------------------
# Rates for all reporters together, counted in each web process's memory (intake/flood.py):
# they slow a flood without keeping anything about who sends it.
OMBUDS_NEW_REPORTS_PER_MINUTE = env_int("OMBUDS_NEW_REPORTS_PER_MINUTE", 10, minimum=1)
# At least one request's worth of files, or the largest upload could never pass.
OMBUDS_UPLOAD_BYTES_PER_MINUTE = env_int(
    "OMBUDS_UPLOAD_BYTES_PER_MINUTE",
    max(100 * 1024 * 1024, OMBUDS_MAX_ATTACHMENT_BYTES * max(OMBUDS_MAX_ATTACHMENTS, 1)),
    minimum=OMBUDS_MAX_ATTACHMENT_BYTES * max(OMBUDS_MAX_ATTACHMENTS, 1),
)
# Storage for files, checked before anything is stored (cases/quota.py).
OMBUDS_CASE_ATTACHMENT_BYTES = env_int("OMBUDS_CASE_ATTACHMENT_BYTES", 100 * 1024 * 1024, minimum=1)
OMBUDS_TOTAL_ATTACHMENT_BYTES = env_int("OMBUDS_TOTAL_ATTACHMENT_BYTES", 10 * 1024 * 1024 * 1024, minimum=1)
# Someone due more new-case e-mails than this in one sweep gets one digest listing them instead.
OMBUDS_NEW_CASE_DIGEST_AFTER = env_int("OMBUDS_NEW_CASE_DIGEST_AFTER", 5, minimum=1)

# --- Reporter access --------------------------------------------------------------
# How long a reporter's web session stays valid after her last page, and how long an API token lives.
OMBUDS_REPORTER_SESSION_SECONDS = env_int("OMBUDS_REPORTER_SESSION_SECONDS", 900, minimum=60)
# Wrong receipts allowed per client within the window below, counted in each web process's memory
# (intake/throttle.py); a correct receipt is never refused.
OMBUDS_RECEIPT_ATTEMPTS = env_int("OMBUDS_RECEIPT_ATTEMPTS", 10, minimum=1)
OMBUDS_RECEIPT_WINDOW_SECONDS = env_int("OMBUDS_RECEIPT_WINDOW_SECONDS", 900, minimum=1)
# Number of reverse proxies in front of ombuds whose X-Forwarded-For is trusted.
OMBUDS_TRUSTED_PROXIES = env_int("OMBUDS_TRUSTED_PROXIES", 0, minimum=0, maximum=5)
# Staff login throttling (django-axes, and allauth's per-address limit) counts the same hops.
if OMBUDS_TRUSTED_PROXIES:
    AXES_IPWARE_PROXY_COUNT = OMBUDS_TRUSTED_PROXIES
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
ALLAUTH_TRUSTED_PROXY_COUNT = OMBUDS_TRUSTED_PROXIES

# --- Deadlines (defaults for a new organisation; changed per organisation later) ------
# At most what the organisation's page allows (ombuds.cases.actions.organisation.LONGEST_DEADLINES).
OMBUDS_ACK_DEADLINE = env_duration("OMBUDS_ACK_DEADLINE", "P7D", longest="P7D")
OMBUDS_FEEDBACK_DEADLINE = env_duration("OMBUDS_FEEDBACK_DEADLINE", "P3M", longest="P3M")
OMBUDS_ASSAULT_FIRST_ACTION_DEADLINE = env_duration("OMBUDS_ASSAULT_FIRST_ACTION_DEADLINE", "PT24H", longest="P7D")
# The retaliation watch: how long after a case was filed a change to the directory record
# of its named reporter or a witness raises a flag for oversight (ombuds.watch).
OMBUDS_RETALIATION_WINDOW = env_duration("OMBUDS_RETALIATION_WINDOW", "P24M")

# --- Background worker ----------------------------------------------------------
# How often the worker looks for due deadlines and notices.
OMBUDS_SWEEP_SECONDS = env_int("OMBUDS_SWEEP_SECONDS", 30, minimum=1)
# Staff e-mails caused by an anonymous reporter wait for the next boundary of this window,
# so their arrival does not reveal when she acted. Shorter is faster, longer is more private.
OMBUDS_ANONYMOUS_NOTICE_BATCH_SECONDS = env_int("OMBUDS_ANONYMOUS_NOTICE_BATCH_SECONDS", 3600, minimum=1)
# The escalation ladder: a reminder this long before a deadline, oversight this long after it.
OMBUDS_REMINDER_BEFORE = env_duration("OMBUDS_REMINDER_BEFORE", "PT48H", exact=True)
OMBUDS_OVERSIGHT_GRACE = env_duration("OMBUDS_OVERSIGHT_GRACE", "PT48H", exact=True)

# --- Policies and support ------------------------------------------------------------
# Employees who have not acknowledged a policy are reminded this long after they were asked,
# again after as long, and so on, at most OMBUDS_POLICY_REMINDERS times (ombuds/policies/actions.py).
OMBUDS_POLICY_REMINDER_AFTER = env_duration("OMBUDS_POLICY_REMINDER_AFTER", "P14D")
OMBUDS_POLICY_REMINDERS = env_int("OMBUDS_POLICY_REMINDERS", 3, minimum=0, maximum=12)
# Where "Leave this page quickly" takes a reporter, unless an administrator set another site.
OMBUDS_QUICK_EXIT_URL = env_str("OMBUDS_QUICK_EXIT_URL", "https://www.bbc.com/weather")
if not OMBUDS_QUICK_EXIT_URL.startswith(("https://", "http://")) or any(c.isspace() for c in OMBUDS_QUICK_EXIT_URL):
    raise ImproperlyConfigured(
        f"OMBUDS_QUICK_EXIT_URL must be a web address (https://…), not {OMBUDS_QUICK_EXIT_URL!r}"
    )
# The country whose support resources the support page shows first, unless an administrator
# chose another: a two-letter code (GB, US, CN, ...) or empty for none. Never the reporter's address.
OMBUDS_SUPPORT_COUNTRY = env_str("OMBUDS_SUPPORT_COUNTRY", "").upper()
if OMBUDS_SUPPORT_COUNTRY == "UK":
    OMBUDS_SUPPORT_COUNTRY = "GB"
if OMBUDS_SUPPORT_COUNTRY and not (
    len(OMBUDS_SUPPORT_COUNTRY) == 2 and OMBUDS_SUPPORT_COUNTRY.isascii() and OMBUDS_SUPPORT_COUNTRY.isalpha()
):
    raise ImproperlyConfigured(
        f"OMBUDS_SUPPORT_COUNTRY must be a two-letter country code such as GB, not {OMBUDS_SUPPORT_COUNTRY!r}"
    )

# --- E-mail -------------------------------------------------------------------------
_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}
_email_backend = env_choice("OMBUDS_EMAIL_BACKEND", "smtp", set(_EMAIL_BACKENDS))
_email_options: dict[str, object] = {}
if _email_backend == "smtp":
    _email_options = {
        "host": env_str("OMBUDS_EMAIL_HOST", "127.0.0.1"),
        "port": env_int("OMBUDS_EMAIL_PORT", 25, minimum=1, maximum=65535),
        "username": env_str("OMBUDS_EMAIL_USER", ""),
        "password": env_secret("OMBUDS_EMAIL_PASSWORD") or "",
        "use_tls": env_bool("OMBUDS_EMAIL_STARTTLS", False),
        "timeout": 10,
    }
MAILERS = {"default": {"BACKEND": _EMAIL_BACKENDS[_email_backend], "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env_str("OMBUDS_EMAIL_FROM", "ombuds@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
OMBUDS_BASE_URL = env_str("OMBUDS_BASE_URL", "http://127.0.0.1:8000")

# --- Security headers -----------------------------------------------------------------
SECURE_CSP = {
    "default-src": ["'none'"],
    "style-src": ["'self'"],
    # data: for the TOTP set-up QR code, which allauth renders inline.
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "script-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
}
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"
# A year-long cookie on a shared device would show that, and roughly when, the reporting site was used.
CSRF_COOKIE_AGE = None
LANGUAGE_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SECURE = PRODUCTION
if PRODUCTION:
    SECURE_HSTS_SECONDS = env_int("OMBUDS_HSTS_SECONDS", 31536000, minimum=0)
# No header a client can send decides the scheme, host or path. gunicorn sets the scheme
# from X-Forwarded-Proto only for a proxy listed in OMBUDS_TRUSTED_PROXY_IPS
# (gunicorn_conf.py), and Django takes it from there: SECURE_PROXY_SSL_HEADER stays unset,
# because Django cannot tell who sent the header. Host and port come from the request.
USE_X_FORWARDED_HOST = False
USE_X_FORWARDED_PORT = False

# --- Audit log ------------------------------------------------------------------------
# The Ed25519 key that signs the audit log's tree heads, in a file outside the database
# (ombuds/audit/signing_key.py; created on first use in development only).
OMBUDS_AUDIT_SIGNING_KEY_FILE = Path(
    env_str("OMBUDS_AUDIT_SIGNING_KEY_FILE", str(VAR_DIR / "keys" / "audit_signing_key"))
)
# Witnesses outside the organisation who receive the latest signed tree head by e-mail
# (ombuds/audit/witness.py): none by default; how often, as an ISO 8601 duration.
OMBUDS_AUDIT_WITNESS_EMAILS = env_list("OMBUDS_AUDIT_WITNESS_EMAILS", [])
OMBUDS_AUDIT_WITNESS_INTERVAL = env_duration("OMBUDS_AUDIT_WITNESS_INTERVAL", "P1D", exact=True)

# --- Rehire registry --------------------------------------------------------------
# The key of the rehire registry's digests (ombuds/outcomes/registry.py), in a file outside
# the database: without it a copy of the database cannot test a name against the registry,
# and with it lost the registry cannot be searched any more. Made on first use while the
# registry is empty; back it up with the database.
OMBUDS_REHIRE_KEY_FILE = Path(env_str("OMBUDS_REHIRE_KEY_FILE", str(VAR_DIR / "keys" / "rehire_registry_key")))
# --- Shared rehire registry (docs/registry.md) -------------------------------------
# Off until both the registry's address and its VOPRF public key are set.
OMBUDS_REGISTRY_URL = env_str("OMBUDS_REGISTRY_URL", "")
OMBUDS_REGISTRY_PUBLIC_KEY = env_str("OMBUDS_REGISTRY_PUBLIC_KEY", "")
# This organisation's Ed25519 key that signs its requests (`ombuds registry-member keygen`).
OMBUDS_REGISTRY_SIGNING_KEY_FILE = Path(
    env_str("OMBUDS_REGISTRY_SIGNING_KEY_FILE", str(VAR_DIR / "keys" / "registry_signing_key"))
)
# How long an entry stays in the shared registry before it expires on its own.
OMBUDS_REGISTRY_ENTRY_YEARS = env_int("OMBUDS_REGISTRY_ENTRY_YEARS", 5, minimum=1, maximum=10)
# How long an entry stays in the rehire registry before the sweeper lifts it and deletes its
# digests (ombuds/retention/actions.py; docs/retention.md). Five years by default.
OMBUDS_REHIRE_RETENTION = env_duration("OMBUDS_REHIRE_RETENTION", "P5Y")
# --- Match keys -----------------------------------------------------------------------
# The seed of the OPRF key that turns the identifiers of accused people into match keys,
# in a file outside the database (ombuds/crypto/match_keys.py; created on first use in
# development only).
OMBUDS_MATCH_KEY_FILE = Path(env_str("OMBUDS_MATCH_KEY_FILE", str(VAR_DIR / "keys" / "match_key")))
# How many independent reports naming the same person raise a repeat-offender alert
# (ombuds/linking/matching.py). One report is never a pattern, so at least 2.
OMBUDS_REPEAT_OFFENDER_THRESHOLD = env_int("OMBUDS_REPEAT_OFFENDER_THRESHOLD", 2, minimum=2, maximum=100)
# How long a report held in escrow waits for another report naming the same person before
# the sweeper deletes it (ombuds/linking/escrow.py). Two years by default.
OMBUDS_ESCROW_DAYS = env_int("OMBUDS_ESCROW_DAYS", 730, minimum=1, maximum=3650)

# --- Logging ----------------------------------------------------------------------------
# No handler here ever receives a request object: Django's request loggers are
# reduced to the message (method and path), so no client address, user agent or
# report content reaches a log. Records about a reporter's request (every django.*
# logger that passes the request: csrf, security.*, request) are dropped before
# that, except server errors, which lose their path and keep only the day
# (ombuds/core/logging.py). The filters sit on the handler, so they also see
# records propagated from child loggers; their order matters.
LOG_LEVEL = env_choice("OMBUDS_LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "hide_reporter_requests": {"()": "ombuds.core.logging.HideReporterRequests"},
        "strip_request": {"()": "ombuds.core.logging.StripRequest"},
    },
    "formatters": {
        "plain": {"class": "ombuds.core.logging.Formatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["hide_reporter_requests", "strip_request"],
        },
        "discard": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": [], "level": "ERROR", "propagate": False},
        # 4xx warnings would log, to the second, when someone used the reporter pages
        # (a wrong receipt, a rejected form). Server errors are still logged.
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        # The image and PDF parsers warn about odd files while a reporter's upload is cleaned
        # (ombuds/lib/metadata.py); such a line would time her upload. A file they cannot read is
        # stored as it came, so nothing is lost by not hearing about it.
        "PIL": {"handlers": ["discard"], "propagate": False},
        "pypdf": {"handlers": ["discard"], "propagate": False},
        # WeasyPrint logs each step of laying out a case file, and fontTools each font it subsets,
        # at INFO; producing a case file is in the audit trail. Their warnings still show.
        "weasyprint": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "fontTools": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        # axes logs every staff login at INFO; failures and lockouts still show as warnings.
        "axes": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}

# Oversight analytics (ombuds.analytics): a count below this is shown as "fewer than N", and
# a unit with fewer employees is merged into its parent. Never below 3: smaller groups
# single people out.
OMBUDS_ANALYTICS_THRESHOLD = env_int("OMBUDS_ANALYTICS_THRESHOLD", 5, minimum=3, maximum=100)
