"""Every environment variable that settings read is documented, and bad values are refused.

The settings module and the gunicorn settings are parsed, not imported: the test must
see every variable, including those read only in production or only with PostgreSQL.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ombuds.lib.env import env_bool, env_choice, env_int, env_list, env_secret

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "ombuds" / "settings.py"
# gunicorn_conf.py reads the trusted proxies through the same helpers.
READERS = [SETTINGS, ROOT / "ombuds" / "gunicorn_conf.py"]
CONFIGURATION = ROOT / "docs" / "configuration.md"

HELPERS = {
    "env_str",
    "env_bool",
    "env_int",
    "env_list",
    "env_choice",
    "env_optional",
    "env_secret",
    "env_duration",
    "env_networks",
    "_required_secret",
}
SECRET_HELPERS = {"env_secret", "_required_secret"}


class _SettingsReads(ast.NodeVisitor):
    """Collects the variable names passed to the env helpers, and calls whose name is not a literal."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.secrets: set[str] = set()
        self.unreadable: list[int] = []
        self._function_depth = 0

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        # Inside a helper such as _required_secret the name is a parameter; its
        # callers pass the literal, and those calls are collected instead.
        self._function_depth += 1
        self.generic_visit(node)
        self._function_depth -= 1

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in HELPERS:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                self.names.add(first.value)
                if node.func.id in SECRET_HELPERS:
                    self.secrets.add(first.value)
            elif self._function_depth == 0:
                self.unreadable.append(node.lineno)
        self.generic_visit(node)


def _settings_reads() -> _SettingsReads:
    reads = _SettingsReads()
    for path in READERS:
        reads.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return reads


def test_it_finds_the_variables_settings_read() -> None:
    reads = _settings_reads()
    assert reads.names, "no env helper calls found in ombuds/settings.py"
    assert {"DATABASE_URL", "OMBUDS_SECRET_KEY", "OMBUDS_RECEIPT_KEY", "OMBUDS_TRUSTED_PROXY_IPS"} <= reads.names
    assert {"OMBUDS_SECRET_KEY", "OMBUDS_RECEIPT_KEY"} <= reads.secrets


def test_it_reads_every_variable_by_a_literal_name() -> None:
    # A computed name could not be checked against the documentation below.
    assert _settings_reads().unreadable == [], "env helper called without a literal name on these lines"


def test_it_documents_every_setting() -> None:
    documentation = CONFIGURATION.read_text(encoding="utf-8")
    missing = sorted(name for name in _settings_reads().names if f"`{name}`" not in documentation)
    assert missing == [], f"not documented in docs/configuration.md: {', '.join(missing)}"


def test_it_documents_every_setting_of_the_registry_service() -> None:
    """The shared registry's own settings module, documented in docs/registry.md."""
    reads = _SettingsReads()
    path = ROOT / "ombuds" / "registry_service" / "settings.py"
    reads.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    assert "OMBUDS_REGISTRY_SERVICE_LOG_DAYS" in reads.names and reads.unreadable == []
    documentation = (ROOT / "docs" / "registry.md").read_text(encoding="utf-8")
    missing = sorted(name for name in reads.names if f"`{name}`" not in documentation)
    assert missing == [], f"not documented in docs/registry.md: {', '.join(missing)}"


def test_it_documents_the_file_form_of_every_secret() -> None:
    documentation = CONFIGURATION.read_text(encoding="utf-8")
    missing = sorted(name for name in _settings_reads().secrets if f"`{name}_FILE`" not in documentation)
    assert missing == [], f"*_FILE form not documented in docs/configuration.md: {', '.join(missing)}"


def test_it_refuses_a_number_that_is_not_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMBUDS_X", "abc")
    with pytest.raises(ImproperlyConfigured, match="OMBUDS_X"):
        env_int("OMBUDS_X", 1)


def test_it_refuses_a_number_out_of_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMBUDS_X", "0")
    with pytest.raises(ImproperlyConfigured, match="OMBUDS_X"):
        env_int("OMBUDS_X", 1, minimum=1)


def test_it_refuses_a_boolean_that_is_neither_true_nor_false(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMBUDS_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="OMBUDS_X"):
        env_bool("OMBUDS_X", False)


def test_it_refuses_a_list_with_an_empty_item(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMBUDS_X", "a,,b")
    with pytest.raises(ImproperlyConfigured, match="OMBUDS_X"):
        env_list("OMBUDS_X", [])


def test_it_refuses_a_choice_not_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMBUDS_X", "carrier-pigeon")
    with pytest.raises(ImproperlyConfigured, match="OMBUDS_X"):
        env_choice("OMBUDS_X", "smtp", {"smtp", "console"})


def test_it_refuses_a_secret_given_twice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-the-file", encoding="utf-8")
    monkeypatch.setenv("OMBUDS_X", "from-the-environment")
    monkeypatch.setenv("OMBUDS_X_FILE", str(secret_file))
    with pytest.raises(ImproperlyConfigured, match="OMBUDS_X"):
        env_secret("OMBUDS_X")


def test_it_refuses_a_secret_file_that_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OMBUDS_X", raising=False)
    monkeypatch.setenv("OMBUDS_X_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="OMBUDS_X"):
        env_secret("OMBUDS_X")


def test_it_refuses_a_secret_file_that_is_empty(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("\n", encoding="utf-8")
    monkeypatch.delenv("OMBUDS_X", raising=False)
    monkeypatch.setenv("OMBUDS_X_FILE", str(secret_file))
    with pytest.raises(ImproperlyConfigured, match="OMBUDS_X"):
        env_secret("OMBUDS_X")


def test_it_reads_a_secret_from_its_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-the-file\n", encoding="utf-8")
    monkeypatch.delenv("OMBUDS_X", raising=False)
    monkeypatch.setenv("OMBUDS_X_FILE", str(secret_file))
    assert env_secret("OMBUDS_X") == "from-the-file"
