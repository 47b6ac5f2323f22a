"""python manage.py prune [--outbox-days N] [--history-days M] [--dry-run]: delete sent outbox
rows and superseded history rows past their keeping time (common.housekeeping says which)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.housekeeping import prune


class Command(BaseCommand):
    help = (
        "Delete outbox rows sent more than N days ago and history rows older than M days "
        "(the latest row of each object is kept). Unsent outbox rows are never deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--outbox-days",
            type=int,
            default=settings.CLAIMTRACK_PRUNE_OUTBOX_DAYS,
            help="Keep sent outbox rows this many days (default: %(default)s; 0 keeps all).",
        )
        parser.add_argument(
            "--history-days",
            type=int,
            default=settings.CLAIMTRACK_PRUNE_HISTORY_DAYS,
            help="Keep history rows this many days (default: %(default)s; 0 keeps all).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["outbox_days"] < 0 or options["history_days"] < 0:
            raise CommandError("Days must be 0 (keep all) or more.")
        result = prune(
            outbox_days=options["outbox_days"],
            history_days=options["history_days"],
            dry_run=options["dry_run"],
        )
        verb = "Would delete" if result.dry_run else "Deleted"
        self.stdout.write(f"{verb} {result.outbox} sent outbox row(s).")
        self.stdout.write(f"{verb} {result.heartbeats} heartbeat(s) of workers long gone.")
        self.stdout.write(f"{verb} {result.history_total} history row(s).")
        for label, count in result.history.items():
            if count:
                self.stdout.write(f"  {label}: {count}")
