"""Measurement 3: the claim-table export, rows per second and peak memory at two sizes.

The export is the API's own view (`/api/claims/export/`, claims.api.exports: one aggregate
query through a server-side cursor, streamed as CSV / JSON, XLSX through openpyxl's write-only
workbook), called in-process as a project member. Each format and size is exported in a fresh
process (`python -m benchmarks.export_probe`), so neither the bench's own memory nor an
earlier export's counts: the peak is the peak RSS during the export minus the RSS just before
it. Flat memory: the peak at 100,000 claims is about the peak at 10,000.
"""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from annotations.models import Project
from benchmarks.corpus import NewsWriter
from benchmarks.sampling import random_passages
from claims.models import AnnotationOrigin

logger = logging.getLogger("benchmarks")

BASE_DIR = Path(__file__).resolve().parent.parent
FORMATS = ("csv", "json", "xlsx")
CLAIM_BATCH = 5_000  # claims per bulk_create (and their 1-3 mentions each)
STATUSES = ["unverified", "in_progress", "true", "mostly_true", "misleading", "false"]
TAGS = ["economy", "conflict", "health", "climate", "courts", "elections", "energy"]


def grow_claims(*, project: Project, target: int, writer: NewsWriter, seed: int) -> int:
    """Add claims (each with 1-3 mentions in the project's articles) until there are `target`."""
    from claims.models import Annotation, Claim, ClaimOrigin

    rng = random.Random(seed)
    need = target - Claim.objects.filter(project=project).count()
    if need <= 0:
        return 0
    spans = random_passages(project, min(50_000, need * 2), rng)
    for at in range(0, need, CLAIM_BATCH):
        claims = Claim.objects.bulk_create(
            Claim(
                project=project,
                statement=writer.sentence().text,
                status=rng.choice(STATUSES),
                verdict_summary=rng.choice(["", "", "Checked against the official figures."]),
                tags=rng.sample(TAGS, k=rng.randint(0, 2)),
                origin=ClaimOrigin.IMPORT,
            )
            for _ in range(min(CLAIM_BATCH, need - at))
        )
        mentions = [
            Annotation(
                article_id=article_id,
                claim=claim,
                start=start,
                end=end,
                exact=text,
                origin=AnnotationOrigin.IMPORT,
            )
            for claim in claims
            for article_id, start, end, text in rng.sample(spans, k=rng.randint(1, 3))
        ]
        Annotation.objects.bulk_create(mentions, batch_size=2_000)
        logger.info("export data: %d / %d claims added", at + len(claims), need)
    return need


def measure_export(
    *, project: Project, user: Any, size: int, formats: tuple[str, ...] = FORMATS
) -> dict:
    """Export the project's claim table as `user` in each format, each in a fresh process."""
    results: dict[str, Any] = {}
    for fmt in formats:
        cmd = [sys.executable, "-m", "benchmarks.export_probe", "--project", str(project.pk)]
        cmd += ["--user", str(user.pk)]
        done = subprocess.run(
            [*cmd, "--formats", fmt],
            cwd=BASE_DIR,
            env=dict(os.environ),
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"export probe failed ({fmt}):\n{done.stderr.decode()[-3000:]}")
        results[fmt] = json.loads(done.stdout.decode().strip().splitlines()[-1])[fmt]
        logger.info("export %s at %d claims: %s", fmt, size, results[fmt])
    return results
