"""Bulk import of tracked claims: a newsroom's earlier fact-checks as CSV or ClaimReview JSON-LD.

Re-importing the same file updates the claims it imported before (matched on `external_ref`:
the CSV's external_ref column, the ClaimReview's url) instead of duplicating them. Every new or
re-worded claim is queued for matching, so articles already loaded are searched for it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from annotations.models import Project, Role
from annotations.permissions import require_role
from claims.models import Claim, ClaimKind, ClaimOrigin, ClaimStatus
from claims.services.claims import claim_create, claim_update
from common.errors import ApplicationError

MSG_NO_STATEMENT_COLUMN = "The CSV file needs a “statement” column."
MSG_BAD_JSON = "The file is not valid JSON: {error}"
MSG_NO_CLAIMREVIEW = "No schema.org ClaimReview found in the file."
MSG_UNKNOWN_FORMAT = "Unknown import format “{fmt}” (use csv or claimreview)."

# ClaimReview ratings (reviewRating.alternateName, lower-cased) -> our verdicts. Ratings are
# free text in the wild; the common English wordings are listed, anything else stays unverified.
RATING_STATUS = {
    "true": ClaimStatus.TRUE,
    "correct": ClaimStatus.TRUE,
    "accurate": ClaimStatus.TRUE,
    "mostly true": ClaimStatus.MOSTLY_TRUE,
    "mostly correct": ClaimStatus.MOSTLY_TRUE,
    "half true": ClaimStatus.MISLEADING,
    "half-true": ClaimStatus.MISLEADING,
    "mixture": ClaimStatus.MISLEADING,
    "misleading": ClaimStatus.MISLEADING,
    "missing context": ClaimStatus.MISLEADING,
    "mostly false": ClaimStatus.MISLEADING,
    "false": ClaimStatus.FALSE,
    "fake": ClaimStatus.FALSE,
    "incorrect": ClaimStatus.FALSE,
    "pants on fire": ClaimStatus.FALSE,
    "pants on fire!": ClaimStatus.FALSE,
    "unproven": ClaimStatus.UNPROVEN,
    "unsupported": ClaimStatus.UNPROVEN,
    "unverified": ClaimStatus.UNVERIFIED,
}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ClaimRecord:
    statement: str
    kind: str = ClaimKind.FACT
    status: str = ClaimStatus.UNVERIFIED
    tags: tuple[str, ...] = ()
    external_ref: str = ""
    verdict_summary: str = ""


def _choice(value: str, choices: type[ClaimKind] | type[ClaimStatus], default: str) -> str:
    """Accept a value or a label in any case ("Mostly true", "mostly_true")."""
    wanted = value.strip().lower().replace(" ", "_")
    for choice_value, label in choices.choices:
        if wanted in {choice_value, label.lower().replace(" ", "_")}:
            return choice_value
    if wanted:
        raise ApplicationError(f"Unknown value “{value}”.")
    return default


def records_from_csv(text: str) -> list[ClaimRecord | str]:
    """Rows of a CSV with columns statement, kind?, status?, tags? (`;` or `,` separated in
    the cell), external_ref?. Bad rows come back as error strings, the rest are records."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {f.strip().lower() for f in reader.fieldnames or []}
    if "statement" not in fields:
        raise ApplicationError(MSG_NO_STATEMENT_COLUMN)
    out: list[ClaimRecord | str] = []
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not row.get("statement"):
            out.append(f"line {line}: empty statement")
            continue
        try:
            tags = tuple(
                t.strip() for t in row.get("tags", "").replace(";", ",").split(",") if t.strip()
            )
            out.append(
                ClaimRecord(
                    statement=row["statement"],
                    kind=_choice(row.get("kind", ""), ClaimKind, ClaimKind.FACT),
                    status=_choice(row.get("status", ""), ClaimStatus, ClaimStatus.UNVERIFIED),
                    tags=tags,
                    external_ref=row.get("external_ref", "")[:500],
                )
            )
        except ApplicationError as exc:
            out.append(f"line {line}: {exc.message}")
    return out


def _reviews(data: Any) -> list[dict[str, Any]]:
    """Every ClaimReview object in a document, list, or @graph."""
    if isinstance(data, list):
        return [r for item in data for r in _reviews(item)]
    if not isinstance(data, dict):
        return []
    kinds = data.get("@type", [])
    kinds = kinds if isinstance(kinds, list) else [kinds]
    found = [data] if "ClaimReview" in kinds else []
    return found + _reviews(data.get("@graph", []))


def records_from_claimreview(text: str) -> list[ClaimRecord | str]:
    """schema.org ClaimReview: claimReviewed -> statement, reviewRating.alternateName -> status,
    url -> external_ref."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApplicationError(MSG_BAD_JSON.format(error=exc)) from exc
    reviews = _reviews(data)
    if not reviews:
        raise ApplicationError(MSG_NO_CLAIMREVIEW)
    out: list[ClaimRecord | str] = []
    for index, review in enumerate(reviews, start=1):
        statement = str(review.get("claimReviewed") or "").strip()
        if not statement:
            out.append(f"review {index}: no claimReviewed")
            continue
        rating = review.get("reviewRating") or {}
        name = str(rating.get("alternateName") or "").strip() if isinstance(rating, dict) else ""
        out.append(
            ClaimRecord(
                statement=statement,
                status=RATING_STATUS.get(name.lower(), ClaimStatus.UNVERIFIED),
                external_ref=str(review.get("url") or "")[:500],
                verdict_summary=name,
            )
        )
    return out


def claims_import(
    *, project: Project, text: str, fmt: str, actor: User | None = None
) -> ImportReport:
    """Create or update tracked claims from a CSV or ClaimReview file's text."""
    if actor is not None:
        require_role(actor, project, Role.EDITOR)
    parsers = {"csv": records_from_csv, "claimreview": records_from_claimreview}
    if fmt not in parsers:
        raise ApplicationError(MSG_UNKNOWN_FORMAT.format(fmt=fmt))
    report = ImportReport()
    for record in parsers[fmt](text):
        if isinstance(record, str):
            report.errors.append(record)
            continue
        with transaction.atomic():
            _import_one(project, record, actor, report)
    return report


def _import_one(
    project: Project, record: ClaimRecord, actor: User | None, report: ImportReport
) -> None:
    existing = (
        Claim.objects.filter(project=project, external_ref=record.external_ref).first()
        if record.external_ref
        else None
    )
    if existing is None:
        claim_create(
            project=project,
            statement=record.statement,
            kind=record.kind,
            status=record.status,
            tags=list(record.tags),
            origin=ClaimOrigin.IMPORT,
            external_ref=record.external_ref,
            actor=actor,
        )
        report.created += 1
        return
    changes: dict[str, Any] = {
        "statement": " ".join(record.statement.split()),
        "kind": record.kind,
        "status": record.status,
        "tags": list(record.tags) or existing.tags,
    }
    if record.verdict_summary:
        changes["verdict_summary"] = record.verdict_summary
    if all(getattr(existing, k) == v for k, v in changes.items()):
        report.unchanged += 1
        return
    claim_update(claim=existing, actor=actor, **changes)
    report.updated += 1
