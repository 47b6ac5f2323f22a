"""python manage.py rematch PROJECT_SLUG [--now]: re-run matching for a whole project."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotations.models import Project
from claims.matching import match_claims, matching_rerun_project
from claims.matching.engine import claims_index
from claims.matching.waiting import CLAIM_BATCH
from claims.models import Claim


class Command(BaseCommand):
    help = (
        "Re-run matching for every claim of a project. By default it is queued for the workers "
        "(as the admin action does); --now runs it here, with a progress bar."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", help="Project slug.")
        parser.add_argument("--now", action="store_true", help="Run in this process.")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with slug “{options['project']}”.")
        if not options["now"]:
            matching_rerun_project(project_id=project.pk)
            self.stdout.write(f"Matching queued for project “{project.slug}”.")
            return
        claim_ids = list(Claim.objects.filter(project=project).values_list("pk", flat=True))
        claims_index(claim_ids)
        batches = [claim_ids[i : i + CLAIM_BATCH] for i in range(0, len(claim_ids), CLAIM_BATCH)]
        written = sum(match_claims(claim_ids=ids) for ids in tqdm(batches, desc="batches"))
        self.stdout.write(f"{len(claim_ids)} claims matched, {written} candidates written.")
