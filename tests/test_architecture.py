"""The layers of docs/architecture.md hold: every module imports only downward, and nothing hides
a cycle behind an import inside a function. Read from the source, so a new module is checked as
soon as it exists."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from samverkan.organisations import policy

ROOT = Path(__file__).resolve().parent.parent / "samverkan"

# Bottom first. An app may import the foundation and the apps before it (and itself).
APPS = [
    "audit",
    "organisations",
    "accounts",
    "capacity",
    "flow",
    "placements",
    "followup",
    "forecasting",
    "resources",
    "situation",
    "meetings",
    "review",
    "portal",
    "demo",
]
# Project modules that import no app: anyone may use them.
FOUNDATION = {
    "env", "requestcontext", "charts", "tables", "clientip", "middleware", "adminapps", "settings", "limits", "apischema",
    "principals", "modelbase",
}  # fmt: skip
# Project modules that wire the apps together: only they (and tests) may import every app.
WIRING = {"api", "apiauth", "adminsite", "errors", "urls", "wsgi", "testing"}
# An app's AppConfig.ready() connects its signal receivers; that import is the one Django expects there.
READY_IMPORTS = {("placements", "apps.py"), ("followup", "apps.py")}


def _modules() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if "migrations" not in path.parts and "tests" not in path.parts and path != ROOT / "__init__.py"
    ]


def _owner(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return parts[0] if len(parts) > 1 else path.stem


def _imported(node: ast.AST) -> list[str]:
    """The samverkan modules an import statement names, as the first part after `samverkan.`."""
    if isinstance(node, ast.ImportFrom) and node.module:
        if node.module == "samverkan":
            return [alias.name for alias in node.names]
        if node.module.startswith("samverkan."):
            return [node.module.split(".")[1]]
    if isinstance(node, ast.Import):
        return [a.name.split(".")[1] for a in node.names if a.name.startswith("samverkan.")]
    return []


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(module-level, function-level) samverkan imports of a file."""
    tree = ast.parse(path.read_text())
    inner: set[str] = set()
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                inner.update(_imported(node))
    top = {name for node in ast.walk(tree) for name in _imported(node)} - inner
    return top, inner


def _allowed(owner: str) -> set[str]:
    if owner in WIRING:
        return set(APPS) | FOUNDATION | WIRING
    if owner in FOUNDATION:
        return set(FOUNDATION)
    return set(APPS[: APPS.index(owner) + 1]) | FOUNDATION


def test_every_module_has_a_layer():
    owners = {_owner(path) for path in _modules()} - {"__init__"}
    assert owners <= set(APPS) | FOUNDATION | WIRING, owners - (set(APPS) | FOUNDATION | WIRING)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_downward_only(path):
    top, _inner = _imports(path)
    owner = _owner(path)
    upward = top - _allowed(owner) - {"__init__"}
    assert not upward, f"{owner} imports {sorted(upward)}, above it"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_import_hides_inside_a_function(path):
    _top, inner = _imports(path)
    if (_owner(path), path.name) in READY_IMPORTS:
        return
    assert not inner, f"{path.relative_to(ROOT)} imports {sorted(inner)} inside a function"


def test_the_policy_imports_only_the_roles_and_the_principals():
    top, inner = _imports(ROOT / "organisations" / "policy.py")
    assert top | inner == {"organisations", "principals"}
    source = (ROOT / "organisations" / "policy.py").read_text()
    assert "samverkan.organisations.models" not in source


def test_every_rule_names_relations_its_models_have():
    for action, rule in policy.RULES.items():
        for relations in rule.roles.values():
            for name in relations:
                for model in rule.on:
                    assert name in policy.RELATIONS[model], f"{action}: {model} has no relation {name!r}"
                if not rule.on:
                    assert name in policy.PLACE_RELATIONS, f"{action}: a place has no relation {name!r}"
