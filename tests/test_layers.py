"""The layers hold: no module imports against the direction api → views → actions → {audit, accounts, directory, lib}.

The graph is read from the source with `ast`, so imports inside functions (lazy
imports) count like any other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ombuds"

# Lower numbers are lower layers; a module may import its own layer and those below.
LIB, CORE_DOMAIN, DOMAIN, CASES, VIEWS, API, TOP = 0, 1, 2, 3, 4, 5, 6

# Exceptions to the layer of a module's app: the web side of an app sits above its domain.
WEB_MODULES = {
    "ombuds.cases.views": VIEWS,
    "ombuds.cases.forms": VIEWS,
    "ombuds.cases.urls": VIEWS,
    "ombuds.audit.views": VIEWS,
    "ombuds.accounts.context": VIEWS,
    "ombuds.accounts.middleware": VIEWS,
    "ombuds.accounts.adapter": VIEWS,
    "ombuds.accounts.forms": VIEWS,
    "ombuds.accounts.views": VIEWS,
    "ombuds.accounts.urls": VIEWS,
    "ombuds.outcomes.views": VIEWS,
    "ombuds.outcomes.forms": VIEWS,
    "ombuds.outcomes.urls": VIEWS,
    "ombuds.outcomes.api": API,
    "ombuds.watch.views": VIEWS,
    "ombuds.watch.forms": VIEWS,
    "ombuds.watch.urls": VIEWS,
    "ombuds.watch.case_page": VIEWS,
    "ombuds.casefile.views": VIEWS,
    "ombuds.casefile.urls": VIEWS,
    "ombuds.policies.views": VIEWS,
    "ombuds.policies.admin_views": VIEWS,
    "ombuds.policies.forms": VIEWS,
    "ombuds.policies.urls": VIEWS,
    "ombuds.policies.admin_urls": VIEWS,
    "ombuds.resources.views": VIEWS,
    "ombuds.resources.admin_views": VIEWS,
    "ombuds.resources.forms": VIEWS,
    "ombuds.resources.urls": VIEWS,
    "ombuds.resources.admin_urls": VIEWS,
    "ombuds.investigations.views": VIEWS,
    "ombuds.investigations.forms": VIEWS,
    "ombuds.investigations.urls": VIEWS,
    "ombuds.investigations.api": API,
    "ombuds.questionnaire.views": VIEWS,
    "ombuds.questionnaire.forms": VIEWS,
    "ombuds.questionnaire.urls": VIEWS,
    "ombuds.linking.templatetags": VIEWS,
    "ombuds.retention.views": VIEWS,
    "ombuds.retention.forms": VIEWS,
    "ombuds.retention.urls": VIEWS,
    "ombuds.analytics.views": VIEWS,
    "ombuds.analytics.urls": VIEWS,
    "ombuds.analytics.api": API,
    # The administration navigation's list imports nothing of ombuds: any app's ready() adds its section.
    "ombuds.administration.nav": LIB,
    # What a member and the shared registry agree on (signatures, key files): both sides import it.
    "ombuds.registry_service.protocol": LIB,
}

APP_LAYERS = {
    "ombuds.lib": LIB,
    "ombuds.crypto": LIB,
    "ombuds.audit": CORE_DOMAIN,
    "ombuds.accounts": DOMAIN,
    "ombuds.directory": DOMAIN,
    "ombuds.policies": DOMAIN,
    "ombuds.resources": DOMAIN,
    "ombuds.cases": CASES,
    # Measures, outcomes and the rehire registry sit beside the cases they belong to.
    "ombuds.outcomes": CASES,
    "ombuds.watch": CASES,
    "ombuds.casefile": CASES,
    "ombuds.investigations": CASES,
    # The extra questions per category: cases file answers with it, and it names the categories.
    "ombuds.questionnaire": CASES,
    "ombuds.linking": CASES,
    # The shared rehire registry is another service: it may use lib and crypto, nothing of an ombuds installation.
    "ombuds.registry_service": LIB,
    # Retention deletes what every case app holds, so it sits beside them.
    "ombuds.retention": CASES,
    # Oversight analytics: counts over cases, measures, flags, alerts and policies.
    "ombuds.analytics": CASES,
    "ombuds.intake": VIEWS,
    # The administration pages, and what follows an account or directory change (it reaches cases).
    "ombuds.administration": VIEWS,
    "ombuds.api": API,
    "ombuds.core": TOP,
}

# Apps side by side on the same layer that must not reach into each other.
SIBLINGS_APART = [
    ("ombuds.accounts", "ombuds.directory"),
    ("ombuds.intake", "ombuds.cases.views"),
    ("ombuds.intake", "ombuds.administration"),
]


def layer_of(module: str) -> int:
    if module in ("ombuds.settings", "ombuds.urls", "ombuds.wsgi", "ombuds.__main__", "ombuds.gunicorn_conf"):
        return TOP
    if ".management.commands." in module or ".migrations." in module:
        return TOP  # commands coordinate several apps; migrations are frozen history
    for prefix, layer in WEB_MODULES.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    for prefix, layer in APP_LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    raise AssertionError(f"{module} belongs to no layer; add its app to tests/test_layers.py")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, module: str | None = None) -> set[str]:
    """Every ombuds module the file imports, at any depth of the code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = module or module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("ombuds"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.startswith("ombuds"):
                found.add(target)
                # `from ombuds.cases import actions` imports the module ombuds.cases.actions.
                found.update(f"{target}.{alias.name}" for alias in node.names if _is_module(f"{target}.{alias.name}"))
    return found


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (ROOT / relative).with_suffix(".py").exists() or (ROOT / relative / "__init__.py").exists()


def graph() -> dict[str, set[str]]:
    return {
        module_name(path): imports_of(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts or path.name != "__init__.py"
    }


def violations(edges: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in edges.items():
        for target in targets:
            if layer_of(target) > layer_of(module):
                found.append(f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})")
            if layer_of(module) == TOP:
                continue
            for left, right in SIBLINGS_APART:
                for a, b in ((left, right), (right, left)):
                    if (module == a or module.startswith(a + ".")) and (target == b or target.startswith(b + ".")):
                        found.append(f"{module} imports its sibling {target}")
    return sorted(found)


def test_no_module_imports_against_the_layers() -> None:
    assert violations(graph()) == []


def test_the_audit_app_imports_no_other_app() -> None:
    edges = graph()
    audit_domain = {m: t for m, t in edges.items() if m.startswith("ombuds.audit") and layer_of(m) == CORE_DOMAIN}
    assert audit_domain, "the audit modules were not found"
    reached = {t for targets in audit_domain.values() for t in targets}
    assert {t for t in reached if not t.startswith(("ombuds.audit", "ombuds.lib"))} == set()


def test_the_check_sees_a_lazy_import(tmp_path: Path) -> None:
    """A lazy import inside a function is an edge like any other (the check would be blind otherwise)."""
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from ombuds.cases import actions\n    return actions\n")
    edges = {"ombuds.audit.probe": imports_of(source, "ombuds.audit.probe")}
    assert violations(edges) == [
        "ombuds.audit.probe (layer 1) imports ombuds.cases (layer 3)",
        "ombuds.audit.probe (layer 1) imports ombuds.cases.actions (layer 3)",
    ]


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("ombuds.cases.actions.steps", CASES),
        ("ombuds.cases.views", VIEWS),
        ("ombuds.investigations.actions", CASES),
        ("ombuds.investigations.views", VIEWS),
        ("ombuds.investigations.api", API),
        ("ombuds.api.v1", API),
        ("ombuds.accounts.management.commands.staff", TOP),
        ("ombuds.administration.nav", LIB),
        ("ombuds.administration.views", VIEWS),
    ],
)
def test_modules_sit_on_their_layer(module: str, layer: int) -> None:
    assert layer_of(module) == layer


def test_no_test_imports_another_test_module() -> None:
    """Shared helpers live in tests/support.py, tests/browser.py and tests/realserver.py, never in a test module."""
    offenders = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for target in imports_of_tests(path):
            if target.startswith("tests.test_"):
                offenders.append(f"{path.name} imports {target}")
    assert offenders == []


def imports_of_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("tests"))
    return found
