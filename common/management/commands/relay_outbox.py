"""python manage.py relay_outbox [--loop]: send queued tasks the broker could not take earlier."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import OperationalError, close_old_connections

from common.outbox import relay_unsent


class Command(BaseCommand):
    help = (
        "Publish outbox messages that are not yet sent (the broker was down); --loop keeps going."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Run until stopped.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between passes.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            try:
                sent = relay_unsent()
                if sent:
                    self.stdout.write(f"Relayed {sent} message(s).")
            except OperationalError as exc:  # database restarting: try again next pass
                self.stderr.write(f"Database unavailable: {exc}")
                close_old_connections()
            if not options["loop"]:
                return
            time.sleep(options["interval"])
