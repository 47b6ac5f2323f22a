"""Rebuild the passages' vector index for the table's current size (what the background task
does when the table has doubled); --force rebuilds even when it is not due."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from annotations.services.vector_index import index_state, rebuild


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="rebuild even if not due")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        report = rebuild(force=force)
        state = index_state()
        if report.rebuilt:
            self.stdout.write(
                f"Rebuilt with {report.lists} lists (was {report.lists_before}) for "
                f"{report.rows:,} passages in {report.seconds:.1f} s."
            )
        elif state is None:
            self.stderr.write("The passage vector index is missing: run `manage.py migrate`.")
        else:
            self.stdout.write(
                f"Not due: {state.lists} lists for {state.rows:,} passages; rebuilt when the "
                f"table has doubled (--force rebuilds now)."
            )
