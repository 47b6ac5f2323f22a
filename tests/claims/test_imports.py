"""Bulk import of tracked claims from CSV and ClaimReview JSON-LD, and re-import by external_ref."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from claims.models import Claim, ClaimKind, ClaimOrigin, ClaimStatus
from claims.services.imports import MSG_NO_STATEMENT_COLUMN, claims_import
from common.errors import ApplicationError, NotFound, PermissionDenied

CSV = (
    "statement,kind,status,tags,external_ref\n"
    "The Dunmore ferry strike lasted nine weeks,number,false,ferries;strikes,fc-1\n"
    '"The harbour levy rose by 4%, not 40%",fact,Mostly true,,fc-2\n'
    ",fact,true,,fc-3\n"
)


def claimreview(rating: str, statement: str = "The new pier cost 4 million euros") -> str:
    return json.dumps(
        {
            "@context": "https://schema.org",
            "@graph": [
                {
                    "@type": "ClaimReview",
                    "url": "https://factcheck.example.org/pier-cost",
                    "claimReviewed": statement,
                    "reviewRating": {"@type": "Rating", "alternateName": rating},
                },
                {"@type": "WebPage", "name": "not a review"},
            ],
        }
    )


def test_csv_import_creates_tracked_claims_and_reports_bad_rows(project) -> None:
    report = claims_import(project=project, text=CSV, fmt="csv")
    assert (report.created, report.updated, len(report.errors)) == (2, 0, 1)
    strike = Claim.objects.get(project=project, external_ref="fc-1")
    assert strike.kind == ClaimKind.NUMBER
    assert strike.status == ClaimStatus.FALSE
    assert strike.tags == ["ferries", "strikes"]
    assert strike.origin == ClaimOrigin.IMPORT
    assert Claim.objects.get(external_ref="fc-2").status == ClaimStatus.MOSTLY_TRUE


def test_csv_reimport_updates_by_external_ref_instead_of_duplicating(project) -> None:
    claims_import(project=project, text=CSV, fmt="csv")
    changed = CSV.replace("nine weeks,number,false", "ten weeks,number,true")
    report = claims_import(project=project, text=changed, fmt="csv")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Claim.objects.filter(project=project).count() == 2
    strike = Claim.objects.get(external_ref="fc-1")
    assert strike.statement == "The Dunmore ferry strike lasted ten weeks"
    assert strike.status == ClaimStatus.TRUE


def test_csv_without_statement_column_is_refused(project) -> None:
    with pytest.raises(ApplicationError) as exc:
        claims_import(project=project, text="claim,status\nx,true\n", fmt="csv")
    assert exc.value.message == MSG_NO_STATEMENT_COLUMN


def test_claimreview_maps_claim_rating_and_url_and_reimport_updates(project) -> None:
    claims_import(project=project, text=claimreview("False"), fmt="claimreview")
    claim = Claim.objects.get(project=project)
    assert claim.statement == "The new pier cost 4 million euros"
    assert claim.status == ClaimStatus.FALSE
    assert claim.external_ref == "https://factcheck.example.org/pier-cost"
    report = claims_import(project=project, text=claimreview("Mostly true"), fmt="claimreview")
    assert report.updated == 1
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.MOSTLY_TRUE
    assert Claim.objects.filter(project=project).count() == 1


def test_import_needs_an_editor(project, viewer, outsider) -> None:
    with pytest.raises(PermissionDenied):
        claims_import(project=project, text=CSV, fmt="csv", actor=viewer)
    with pytest.raises(NotFound):
        claims_import(project=project, text=CSV, fmt="csv", actor=outsider)


def test_import_claims_command_reads_the_file(project, tmp_path, capsys) -> None:
    path = tmp_path / "checks.csv"
    path.write_text(CSV, encoding="utf-8")
    call_command("import_claims", project.slug, str(path))
    assert "2 created" in capsys.readouterr().out
    assert Claim.objects.filter(project=project).count() == 2
