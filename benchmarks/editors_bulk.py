"""Phase (b) of the editors' workload: articles loaded in bulk.

Through the API's bulk endpoint when the tree being measured has one (`POST
/api/articles/bulk/`, multipart `project` + a JSONL `file`, answered `{"loaded": n, ...}`),
in as few requests as the upload limit allows; where it answers 404 or 405, through
`manage.py load_articles --manifest` on a folder of text files instead, timed from the
command's start (its Django start-up included) to its exit. `via` says which was measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from django.conf import settings

from benchmarks.api_load import BASE_DIR, server_env
from benchmarks.corpus import SyntheticArticle

BULK_URL = "/api/articles/bulk/"
# A request carries at most this share of the upload limit (multipart framing, headroom).
UPLOAD_SHARE = 0.8
BULK_TIMEOUT_S = 600
LOAD_COMMAND_TIMEOUT_S = 3600


@dataclass
class BulkResult:
    via: str  # "api" or "load_articles"
    seconds: float
    loaded: int
    requests: int
    errors: int
    error_samples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        rate = self.loaded / self.seconds if self.seconds else None
        return {
            "bulk_via": self.via,
            "bulk_s": round(self.seconds, 2),
            "bulk_loaded": self.loaded,
            "bulk_requests": self.requests,
            "bulk_errors": self.errors,
            "bulk_error_samples": self.error_samples,
            "bulk_accepted_per_s": round(rate, 1) if rate else None,
        }


def _line(article: SyntheticArticle) -> bytes:
    body = {"text": article.text, "title": article.title, "outlet": article.outlet}
    return json.dumps(body, ensure_ascii=False).encode() + b"\n"


def chunks(articles: list[SyntheticArticle], limit: int) -> list[bytes]:
    """JSONL files of whole lines, each at most `limit` bytes (a longer line goes alone)."""
    files: list[bytes] = []
    current = b""
    for article in articles:
        line = _line(article)
        if current and len(current) + len(line) > limit:
            files.append(current)
            current = b""
        current += line
    return [*files, current] if current else files


def bulk_load(
    *, base: str, token: str, project: Any, articles: list[SyntheticArticle], work: Path
) -> BulkResult:
    """Load `articles` in bulk through the API, or by load_articles where it has no bulk
    endpoint."""
    files = chunks(articles, int(settings.CLAIMTRACK_MAX_UPLOAD_BYTES * UPLOAD_SHARE))
    result = BulkResult("api", 0.0, 0, 0, 0)
    started = time.perf_counter()
    for data in files:
        response = requests.post(
            base + BULK_URL,
            data={"project": str(project.pk)},
            files={"file": ("articles.jsonl", data, "application/jsonl")},
            headers={"Authorization": f"Token {token}"},
            timeout=BULK_TIMEOUT_S,
        )
        result.requests += 1
        if response.status_code in (404, 405) and result.requests == 1:
            return load_command(project=project, articles=articles, work=work)
        if 200 <= response.status_code < 300:
            result.loaded += int(response.json().get("loaded", 0))
        else:
            result.errors += 1
            result.error_samples.append(f"{response.status_code}: {response.text[:200]}")
    result.seconds = time.perf_counter() - started
    return result


def load_command(*, project: Any, articles: list[SyntheticArticle], work: Path) -> BulkResult:
    """`manage.py load_articles` on a folder of the articles as .txt files, with a manifest
    that gives each its title, outlet and date."""
    folder = work / "bulk"
    folder.mkdir(exist_ok=True)
    entries = []
    for i, article in enumerate(articles):
        path = folder / f"article-{i:05d}.txt"
        path.write_text(article.text, encoding="utf-8")
        entries.append(
            {
                "path": path.name,
                "title": article.title,
                "outlet": article.outlet,
                "published_at": article.published_at.isoformat(),
            }
        )
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps({"articles": entries}), encoding="utf-8")
    cmd = [sys.executable, "manage.py", "load_articles", "--project", project.slug]
    cmd += ["--manifest", str(manifest), "--no-progress"]
    started = time.perf_counter()
    done = subprocess.run(
        cmd,
        cwd=BASE_DIR,
        env=server_env(),
        capture_output=True,
        timeout=LOAD_COMMAND_TIMEOUT_S,
        check=False,
    )
    seconds = time.perf_counter() - started
    from annotations.models import Article

    loaded = Article.objects.filter(project=project, title__in=[a.title for a in articles]).count()
    errors = 0 if done.returncode == 0 else 1
    samples = [done.stderr.decode(errors="replace")[-300:]] if errors else []
    return BulkResult("load_articles", seconds, loaded, 1, errors, samples)
