"""No header a client sends decides the path, script name or scheme the application sees.

gunicorn by default lets local peers set SCRIPT_NAME with a header and believes their
X-Forwarded-Proto; the production settings (ombuds/gunicorn_conf.py) do neither unless a
trusted proxy is configured. The last tests run the real gunicorn with those settings.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.realserver import PROJECT_ROOT, RealServer, running_server

PASSWORD = "a long and unusual passphrase"
MARKER = "proxymarker" + secrets.token_hex(6)
TIMEOUT = 30

_READ_GUNICORN_CONF = """
import importlib, json
from gunicorn.config import Config
config = Config()
for name, value in vars(importlib.import_module("ombuds.gunicorn_conf")).items():
    if name in config.settings:
        config.set(name, value)
print(json.dumps({
    "forwarded_allow_ips": config.forwarded_allow_ips,
    "forwarder_headers": config.forwarder_headers,
    "secure_scheme_headers": config.secure_scheme_headers,
    "accesslog": config.accesslog,
}))
"""

_READ_DJANGO_SETTINGS = """
import json
from django.conf import settings
import django
django.setup()
print(json.dumps({
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
    "USE_X_FORWARDED_HOST": settings.USE_X_FORWARDED_HOST,
    "USE_X_FORWARDED_PORT": settings.USE_X_FORWARDED_PORT,
}))
"""


def _run(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OMBUDS_") and k != "DATABASE_URL"}
    clean.update({"OMBUDS_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "ombuds.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def _gunicorn_settings(tmp_path: Path, **env: str) -> dict[str, object]:
    result = _run(_READ_GUNICORN_CONF, tmp_path, **env)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def test_by_default_gunicorn_believes_no_forwarding_header_from_anyone(tmp_path: Path) -> None:
    assert _gunicorn_settings(tmp_path) == {
        "forwarded_allow_ips": [],
        "forwarder_headers": [],
        "secure_scheme_headers": {},
        "accesslog": None,
    }


def test_a_configured_proxy_may_say_https_but_still_not_set_the_script_name(tmp_path: Path) -> None:
    found = _gunicorn_settings(tmp_path, OMBUDS_TRUSTED_PROXY_IPS="127.0.0.1, 10.1.0.0/16")
    assert found["forwarded_allow_ips"] == ["127.0.0.1", "10.1.0.0/16"]
    assert found["secure_scheme_headers"] == {"X-FORWARDED-PROTO": "https"}
    assert found["forwarder_headers"] == []


@pytest.mark.parametrize("value", ["*", "proxy.example.org", "10.0.0.1/8"])
def test_a_trusted_proxy_must_be_named_by_its_address(tmp_path: Path, value: str) -> None:
    result = _run(_READ_GUNICORN_CONF, tmp_path, OMBUDS_TRUSTED_PROXY_IPS=value)
    assert result.returncode != 0
    assert "OMBUDS_TRUSTED_PROXY_IPS" in result.stderr


def test_django_trusts_no_forwarded_scheme_host_or_port_even_in_production(tmp_path: Path) -> None:
    result = _run(
        _READ_DJANGO_SETTINGS,
        tmp_path,
        OMBUDS_PRODUCTION="true",
        OMBUDS_SECRET_KEY="s" * 50,
        OMBUDS_RECEIPT_KEY="r" * 50,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "SECURE_PROXY_SSL_HEADER": None,
        "USE_X_FORWARDED_HOST": False,
        "USE_X_FORWARDED_PORT": False,
    }


# --- the real server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with running_server(tmp_path_factory.mktemp("real-server")) as running:
        yield running


def _logged_in(server: RealServer, email: str) -> tuple[requests.Session, str]:
    """A browser session that typed the password, and nothing else; and its CSRF token."""
    http = requests.Session()
    http.get(f"{server.base_url}/staff/accounts/login/", timeout=TIMEOUT)
    csrf = http.cookies["csrftoken"]
    assert csrf
    response = http.post(
        f"{server.base_url}/staff/accounts/login/",
        data={"csrfmiddlewaretoken": csrf, "login": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, response.status_code
    return http, csrf


def _create_handler_without_totp(server: RealServer, email: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ombuds", "createstaff", email, "--role", "handler", "--role", "lead_handler"],
        cwd=PROJECT_ROOT,
        env={**server.environment(), "OMBUDS_NEW_PASSWORD": PASSWORD},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.server
def test_the_real_server_ignores_a_script_name_header(server: RealServer) -> None:
    plain = requests.get(f"{server.base_url}/staff/accounts/login/", timeout=TIMEOUT)
    assert plain.status_code == 200
    moved = requests.get(f"{server.base_url}/x/staff/accounts/login/", headers={"SCRIPT_NAME": "/x"}, timeout=TIMEOUT)
    assert moved.status_code == 404  # the path stays /x/staff/..., which is no page


@pytest.mark.server
def test_the_real_server_does_not_take_https_from_a_client(server: RealServer) -> None:
    """Believed, `X-Forwarded-Proto: https` would make the login form demand a Referer (a 403)."""
    http = requests.Session()
    http.get(f"{server.base_url}/staff/accounts/login/", timeout=TIMEOUT)
    response = http.post(
        f"{server.base_url}/staff/accounts/login/",
        data={"csrfmiddlewaretoken": http.cookies["csrftoken"], "login": "nobody@example.org", "password": "x"},
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 200  # the form again, with its error; not a CSRF refusal


@pytest.mark.server
def test_a_handler_with_only_a_password_gets_no_case_and_no_token_through_a_script_name(server: RealServer) -> None:
    email = f"handler-{secrets.token_hex(4)}@example.org"
    _create_handler_without_totp(server, email)
    filed = requests.post(
        f"{server.base_url}/api/v1/reports",
        json={"category": "other", "role": "witness", "narrative": f"The marker {MARKER}.", "anonymous": True},
        timeout=TIMEOUT,
    )
    assert filed.status_code == 201
    (reference,) = {row[0] for row in server.query("SELECT reference FROM cases_case")}
    http, csrf = _logged_in(server, email)
    answers = []
    for prefix, headers in [("/x", {"SCRIPT_NAME": "/x"}), ("", {})]:
        for path in [f"/staff/cases/{reference}/", f"/staff/cases/{reference}/export/", "/staff/"]:
            answers.append(
                http.get(f"{server.base_url}{prefix}{path}", headers=headers, allow_redirects=False, timeout=TIMEOUT)
            )
        answers.append(
            http.post(
                f"{server.base_url}{prefix}/staff/settings/",
                data={"csrfmiddlewaretoken": csrf, "name": "exfiltrate", "password": PASSWORD},
                headers=headers,
                allow_redirects=False,
                timeout=TIMEOUT,
            )
        )
        answers.append(
            http.post(
                f"{server.base_url}{prefix}/staff/accounts/email/",
                data={"csrfmiddlewaretoken": csrf, "email": "taken@elsewhere.example", "action_add": ""},
                headers=headers,
                allow_redirects=False,
                timeout=TIMEOUT,
            )
        )
    assert [a.status_code for a in answers if MARKER in a.text] == []
    assert not any(a.status_code == 200 and "omb_" in a.text for a in answers)
    assert server.query("SELECT count(*) FROM accounts_apitoken") == [(0,)]
    assert server.query("SELECT count(*) FROM audit_auditevent WHERE event_type IN (10, 11, 12)") == [(0,)]
    assert server.query("SELECT email FROM auth_user WHERE username = %s", [email]) == [(email,)]
    assert server.query("SELECT count(*) FROM account_emailaddress WHERE email LIKE %s", ["%elsewhere%"]) == [(0,)]
