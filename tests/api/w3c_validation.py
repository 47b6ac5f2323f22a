"""Evaluate W3C Web Annotation conformance tests (web-platform-tests JSONtest `.test` files)
against a JSON-LD document, in Python with jsonschema's Draft-4 validator.

Semantics (from the suite's README and scripts/JSONtest.js): a `.test` lists assertions; an
entry is a file path (no "/": beside the .test; with "/": from the suite root), an object with
`assertionFile` (loaded, then overridden by the object's other keys), an inline schema, a
nested list (a group), or a condition object with `assertions` combined by `compareWith`
(and / or). A sub-test passes when the validator's verdict equals `expectedResult` (default
"valid"); the test passes when every `must` sub-test passes.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SUITE = Path(__file__).parent / "w3c" / "annotation-model"
EXAMPLES = Path(__file__).parent / "w3c" / "examples"
# Ajv's "fast" uri check: a scheme, a colon, no whitespace.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")

FORMATS = FormatChecker(formats=())


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


@FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(_DATE_TIME.match(value))


def _ajv4(node: Any) -> Any:
    """Ajv 4 applied keywords written beside a $ref; Draft 4 ignores them. Emulate Ajv 4 by
    moving the $ref into an allOf next to its siblings."""
    if isinstance(node, list):
        return [_ajv4(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _ajv4(value) for key, value in node.items()}
    if "$ref" in node and len(node) > 1:
        ref = node.pop("$ref")
        node["allOf"] = [{"$ref": ref}, *node.get("allOf", [])]
    return node


def _load(path: Path, ajv4: bool) -> dict[str, Any]:
    schema = json.loads(path.read_text(encoding="utf-8"))
    return _ajv4(schema) if ajv4 else schema


@cache
def registry(ajv4: bool) -> Registry:
    """Every definitions/*.json under its bare file name (= its Draft-4 id)."""
    resources = [
        (path.name, Resource.from_contents(_load(path, ajv4), default_specification=DRAFT4))
        for path in sorted((SUITE / "definitions").glob("*.json"))
    ]
    return Registry().with_resources(resources)


def _resolve(entry: str, test_dir: Path) -> Path:
    if entry.startswith("/") or "://" in entry:
        raise ValueError(f"absolute assertion paths are not supported: {entry}")
    return test_dir / entry if "/" not in entry else SUITE / entry


Result = tuple[str, bool, str]  # (assertion, passed, assertionType)


def _run(entry: Any, document: Any, test_dir: Path, ajv4: bool, results: list[Result]) -> bool:
    """Evaluate one assertion entry; append one result per sub-test."""
    if isinstance(entry, list):
        return all([_run(item, document, test_dir, ajv4, results) for item in entry])
    if isinstance(entry, dict) and "assertions" in entry:
        outcomes = [_run(item, document, test_dir, ajv4, []) for item in entry["assertions"]]
        passed = any(outcomes) if entry.get("compareWith") == "or" else all(outcomes)
        results.append(
            (entry.get("title", "condition"), passed, entry.get("assertionType", "must"))
        )
        return passed
    if isinstance(entry, str):
        path = _resolve(entry, test_dir)
        if not path.exists():
            results.append((entry, True, "missing"))
            return True
        schema, name = _load(path, ajv4), entry
    elif isinstance(entry, dict) and "assertionFile" in entry:
        base = _load(_resolve(entry["assertionFile"], test_dir), ajv4)
        schema = {**base, **{k: v for k, v in entry.items() if k != "assertionFile"}}
        name = entry["assertionFile"]
    else:
        schema, name = copy.deepcopy(entry), entry.get("title", "inline")
    validator = Draft4Validator(schema, registry=registry(ajv4), format_checker=FORMATS)
    valid = validator.is_valid(document)
    passed = valid == (schema.get("expectedResult", "valid") == "valid")
    results.append((name, passed, schema.get("assertionType", "must")))
    return passed


def evaluate(test_file: str, document: Any, *, ajv4: bool = False) -> list[Result]:
    """One result per sub-test of `test_file` (relative to the suite root) on `document`."""
    path = SUITE / test_file
    test = json.loads(path.read_text(encoding="utf-8"))
    results: list[Result] = []
    for entry in test["assertions"]:
        _run(entry, document, path.parent, ajv4, results)
    return results


def must_failures(test_file: str, document: Any, *, ajv4: bool = False) -> list[str]:
    """Names of the MUST assertions the document fails (empty: the document conforms)."""
    return [
        name
        for name, passed, kind in evaluate(test_file, document, ajv4=ajv4)
        if not passed and kind not in ("should", "may", "missing")
    ]


def missing_assertions(test_file: str) -> list[str]:
    return [name for name, _, kind in evaluate(test_file, {}) if kind == "missing"]


def definition_errors(reference: str, document: Any, *, ajv4: bool = False) -> list[str]:
    """Errors of `document` against one definition, e.g. "collections.json#/definitions/x"."""
    validator = Draft4Validator(
        {"$ref": reference}, registry=registry(ajv4), format_checker=FORMATS
    )
    return [error.message for error in validator.iter_errors(document)]
