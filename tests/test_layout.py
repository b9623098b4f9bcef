"""The layout's rule, read from the imports: which folder may import which (README, Architecture).

Each rule names a folder and what its modules may not import. A module's imports are read
from its source (every `import` and `from ... import`, at any depth), nothing is run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# folder -> (forbidden import prefixes, exceptions allowed although they match)
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # Pure: a caller and inputs in, screens and effects out.
    "gateway/flows": (
        ("flask", "werkzeug", "sqlalchemy", "redis", "rq", "models", "workers", "config",
         "gateway"),
        ("gateway.flows", "config.conventions"),
    ),
    # Provider payloads in, Satja's types out; no business rule, no database.
    "gateway/edge": (
        ("sqlalchemy", "redis", "rq", "workers", "gateway"),
        ("gateway.edge", "gateway.flows"),
    ),
    # Thin: parse, one call to a service, answer. Never SQL (mapping a database error to
    # a status code is the route's, so sqlalchemy.exc may be named).
    "gateway/routes": (
        ("sqlalchemy", "models.ledger", "models.registry", "models.welfare", "models.reconcile",
         "models.outbox", "models.ussd", "models.users", "models.disputes", "models.funds",
         "gateway.commands"),
        ("sqlalchemy.exc",),
    ),
    # What a request does to the models; knows no HTTP and no command line.
    "gateway/services": (("flask", "werkzeug", "gateway.routes", "gateway.commands"), ()),
    # The data and its rules: nothing of the processes above it.
    "models": (("gateway", "workers", "flask", "rq"), ()),
    # Jobs: the models and the pure catalogue of texts, never the web app.
    "workers": (("flask", "gateway"), ("gateway.flows",)),
    "config": (("gateway", "workers", "models", "flask", "sqlalchemy", "redis"), ()),
}  # fmt: skip


def imports_of(path: Path) -> list[str]:
    """Every module a file imports, as dotted names."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def breaches(folder: str) -> list[str]:
    """The imports of a folder's modules that its rule forbids."""
    forbidden, allowed = RULES[folder]
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        if "migrations" in path.parts:
            continue  # Alembic's own env and frozen revisions
        for name in imports_of(path):
            if any(_matches(name, p) for p in forbidden) and not any(
                _matches(name, a) for a in allowed
            ):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return sorted(set(found))


@pytest.mark.parametrize("folder", sorted(RULES))
def test_each_folder_imports_only_what_its_role_allows(folder):
    assert breaches(folder) == []


def test_the_rule_catches_a_breach(tmp_path, monkeypatch):
    module = tmp_path / "gateway" / "flows" / "leak.py"
    module.parent.mkdir(parents=True)
    module.write_text("from sqlalchemy import select\nimport gateway.flows.money\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    leak = "gateway/flows/leak.py imports"
    assert breaches("gateway/flows") == [f"{leak} sqlalchemy", f"{leak} sqlalchemy.select"]
