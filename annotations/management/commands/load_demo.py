"""python manage.py load_demo: the demo project, its four articles and a demo login (idempotent)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from annotations.models import Project, Role
from annotations.services import membership_set, project_create
from annotations.services.bulk import articles_load, items_from_manifest

MANIFEST = Path(settings.BASE_DIR) / "fixtures" / "demo" / "manifest.json"
DEMO_USERNAME = "demo"


class Command(BaseCommand):
    help = "Create the demo project with the four demo articles and a demo login; safe to re-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=os.environ.get("CLAIMTRACK_DEMO_PASSWORD", ""))

    def handle(self, *args: Any, **options: Any) -> None:
        spec = json.loads(MANIFEST.read_text(encoding="utf-8"))["project"]
        project = Project.objects.filter(slug=spec["slug"]).first() or project_create(
            name=spec["name"], slug=spec["slug"], description=spec["description"]
        )
        report = articles_load(project=project, items=items_from_manifest(MANIFEST))
        self.stdout.write(
            f"Demo project “{project.name}”: {len(report.loaded)} article(s) loaded, "
            f"{len(report.duplicates)} already there, {len(report.failed)} failed."
        )
        for location, reason in report.failed:
            self.stderr.write(f"  failed {location}: {reason}")
        password = options["password"] or "claimtrack-demo"
        user, created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(password)
            user.save()
        membership_set(project=project, user=user, role=Role.OWNER)
        self.stdout.write(
            f"Demo login: {DEMO_USERNAME} / {password if created else '(unchanged password)'}"
        )
