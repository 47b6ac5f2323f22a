"""python manage.py load_articles PATH... --project SLUG: bulk-load files, folders, JSONL/CSV/ZIP
files and URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotations.models import Project
from annotations.services import project_create
from annotations.services.bulk import (
    BULK_SUFFIXES,
    articles_load,
    items_from_manifest,
    items_from_paths,
    parse_date_option,
)
from annotations.services.bulk_articles import BulkReport
from common.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Load articles from .txt/.md/.html files, folders of them, JSONL/CSV/ZIP files, URLs or "
        "a JSON manifest into a project, in batches. Prints a progress bar and a summary: loaded, "
        "duplicates, failed and why."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", help="Files, folders or http(s) URLs.")
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--create-project", action="store_true", help="Create it if missing.")
        parser.add_argument("--manifest", help="JSON manifest with per-article metadata.")
        parser.add_argument("--outlet", default="", help="Outlet of every article loaded.")
        parser.add_argument("--title", default="")
        parser.add_argument("--byline", default="")
        parser.add_argument("--url", default="")
        parser.add_argument("--published-at", default=None, help="ISO date or datetime.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        project = self._project(options["project"], options["create_project"])
        meta = {
            key: value
            for key, value in {
                "outlet": options["outlet"],
                "title": options["title"],
                "byline": options["byline"],
                "url": options["url"],
                "published_at": parse_date_option(options["published_at"]),
            }.items()
            if value
        }
        try:
            items = list(items_from_paths(options["paths"], meta))
            if options["manifest"]:
                items += items_from_manifest(Path(options["manifest"]))
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if not items:
            raise CommandError("Nothing to load: give files, folders, URLs or --manifest.")
        # A .jsonl, .csv or .zip holds an unknown number of articles: the bar then counts only.
        many = any(Path(item.location).suffix.lower() in BULK_SUFFIXES for item in items)
        bar = tqdm(
            total=None if many else len(items),
            unit="article",
            disable=options["no_progress"],
            file=self.stderr,
        )
        report = articles_load(
            project=project, items=items, progress=lambda done: bar.update(done - bar.n)
        )
        bar.close()
        self._summary(report)
        if report.failed and not report.loaded and not report.duplicates:
            raise CommandError("No article could be loaded.")

    def _project(self, slug: str, create: bool) -> Project:
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            if not create:
                raise CommandError(f"No project “{slug}”; add --create-project to create it.")
            project = project_create(name=slug.replace("-", " ").capitalize(), slug=slug)
        return project

    def _summary(self, report: BulkReport) -> None:
        out = self.stdout
        out.write(
            f"Loaded {len(report.loaded)}, duplicates {len(report.duplicates)}, "
            f"failed {len(report.failed)}."
        )
        for location, article_id in report.loaded:
            out.write(f"  loaded     {location} (article {article_id})")
        for location, reason in report.duplicates:
            out.write(f"  duplicate  {location}: {reason}")
        for location, reason in report.failed:
            out.write(self.style.ERROR(f"  failed     {location}: {reason}"))
