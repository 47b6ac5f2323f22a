"""One direction of dependencies: the app that holds texts (projects, sources, articles,
passages, processing) knows nothing of claims, which sit above it. Migrations are history and
keep the dependencies they were written with, so they are not read."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ROOT / "annotations"
HIGHER = "claims"


def _modules() -> list[Path]:
    return sorted(p for p in TEXTS.rglob("*.py") if "migrations" not in p.relative_to(TEXTS).parts)


def _imports_of(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _named_in_strings(tree: ast.AST) -> list[str]:
    """String constants (task names, model labels, dotted paths) that name the higher app."""
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and f"{HIGHER}." in node.value
    ]


def test_the_texts_app_has_modules_to_check() -> None:
    assert len(_modules()) > 20


def test_the_texts_app_imports_nothing_of_claims() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in _modules()
        if (
            found := [
                name
                for name in _imports_of(ast.parse(path.read_text(), str(path)))
                if name == HIGHER or name.startswith(f"{HIGHER}.")
            ]
        )
    }
    assert offenders == {}


def test_the_texts_app_names_nothing_of_claims_in_strings() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in _modules()
        if (found := _named_in_strings(ast.parse(path.read_text(), str(path))))
    }
    assert offenders == {}


def test_the_checks_catch_an_import_and_a_task_name() -> None:
    # The rule must fail where it should, or a broken walk would pass for ever.
    tree = ast.parse('from claims.models import Claim\nimport claims\nT = "claims.match_article"')
    assert _imports_of(tree) == ["claims.models", "claims"]
    assert _named_in_strings(tree) == ["claims.match_article"]
