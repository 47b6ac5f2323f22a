"""python manage.py import_claims PROJECT_SLUG FILE [--format csv|claimreview]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.models import Project
from claims.services.imports import claims_import
from common.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Import tracked claims into a project from a CSV file (columns statement, kind?, "
        "status?, tags?, external_ref?) or schema.org ClaimReview JSON-LD. Re-importing "
        "updates the claims with the same external_ref (CSV column / ClaimReview url)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", help="Project slug.")
        parser.add_argument("file", help="A .csv file or a .json/.jsonld ClaimReview file.")
        parser.add_argument(
            "--format", choices=["csv", "claimreview"], help="Default: from the file name."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with slug “{options['project']}”.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        fmt = options["format"] or ("csv" if path.suffix.lower() == ".csv" else "claimreview")
        try:
            report = claims_import(
                project=project, text=path.read_text(encoding="utf-8-sig"), fmt=fmt
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for error in report.errors:
            self.stderr.write(f"skipped {error}")
        self.stdout.write(
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.errors)} skipped."
        )
