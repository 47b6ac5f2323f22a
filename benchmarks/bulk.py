"""Bulk loading: articles accepted per second through `POST /api/articles/bulk/` and through
`manage.py load_articles` on a folder.

`run()` generates N synthetic news articles of about W words (benchmarks.corpus), then loads
them into a fresh throwaway project for each way in (so none is a duplicate of another run's):

- `http`: one JSON request of all N to a real gunicorn (DEBUG off, the README's production
  command: `config.wsgi`, 5 workers), authenticated with an API token, over loopback;
- `http_jsonl`: the same articles as one JSONL file upload (multipart) to that server;
- `client`: one JSON request through Django's test client, in this process;
- `client_language_given`: the same with `"language": "en"` on every article (no detection);
- `load_articles`: the command on a folder of N .txt files;
- `one_by_one`: the first few hundred through `article_create`, one transaction each (what
  load_articles did before it loaded in batches), for comparison.

In-process ways also give the CPU seconds of this process (`per_cpu_s`: articles per CPU
second), which other load on the machine does not inflate as it does the wall time.

"Accepted" means the request (or command) returned with every article stored and its
processing task queued: the seconds are the client's, from sending to the full response.
No worker consumes the tasks here (the editors' bench runs one); the projects, their history
rows and the queued tasks (a broker folder of its own) are removed at the end.

    python -m benchmarks.bulk [--articles 1000] [--words 800] [--no-server]

prints one line per way in and, last, the figures as JSON. Another bench can call
`post_bulk()` against its own server and project.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
SERVER_WORKERS = 5  # as the peer comparison runs gunicorn
ONE_BY_ONE = 200  # articles loaded one by one through article_create, for comparison


def generate(count: int, words: int, seed: int = 11) -> list[dict[str, Any]]:
    """`count` distinct articles of about `words` words, as the bulk endpoint takes them."""
    from benchmarks.corpus import NewsWriter

    writer = NewsWriter(seed)
    articles = []
    for n in range(count):
        sentences: list[Any] = []
        while sum(len(s.text.split()) for s in sentences) < words:
            sentences.append(writer.sentence())
        article = writer.article(sentences=sentences)
        articles.append(
            {
                "text": article.text,
                "title": article.title,
                "outlet": article.outlet,
                "byline": article.byline,
                "url": f"https://news.example/{n}",
                "published_at": article.published_at.isoformat(),
            }
        )
    return articles


def post_bulk(base_url: str, headers: dict[str, str], project_id: int, articles: list[Any]):
    """One bulk JSON request; (seconds, the report). Raises on a status other than 200."""
    body = json.dumps({"project": project_id, "articles": articles}).encode()
    return _post(f"{base_url}/api/articles/bulk/", body, "application/json", headers)


def post_jsonl(base_url: str, headers: dict[str, str], project_id: int, articles: list[Any]):
    """The same articles as a JSONL file in a multipart upload; (seconds, the report)."""
    boundary = uuid.uuid4().hex
    lines = "\n".join(json.dumps(a) for a in articles).encode()
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="project"\r\n\r\n{project_id}'
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="articles.jsonl"\r\nContent-Type: application/x-ndjson\r\n\r\n'
    ).encode()
    body += lines + f"\r\n--{boundary}--\r\n".encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    return _post(f"{base_url}/api/articles/bulk/", body, content_type, headers)


def _post(url: str, body: bytes, content_type: str, headers: dict[str, str]):
    request = urllib.request.Request(
        url, data=body, method="POST", headers={**headers, "Content-Type": content_type}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        report = json.loads(response.read())
    return time.perf_counter() - started, report


def _figures(count: int, seconds: float, report: dict[str, Any]) -> dict[str, Any]:
    return {
        "articles": count,
        "seconds": round(seconds, 3),
        "accepted_per_s": round(report["loaded"] / seconds, 1),
        "loaded": report["loaded"],
        "duplicates": report["duplicates"],
        "failed": report["failed"],
    }


def _project(owner: Any, label: str) -> Any:
    from annotations.services import project_create

    tag = uuid.uuid4().hex[:8]
    return project_create(
        name=f"Bulk bench {label} {tag}", slug=f"bench-bulk-{label}-{tag}", owner=owner
    )


def start_server(port: int, log: Path, broker: Path) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_LOG_LEVEL="WARNING",
        CLAIMTRACK_BROKER_DIR=str(broker),
    )
    if env.get("DJANGO_SETTINGS_MODULE") == "config.settings.test":
        env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    cmd = [
        sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(SERVER_WORKERS), "--timeout", "600", "--log-level", "warning",
    ]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5):
                return proc
        except urllib.error.HTTPError:  # 503 with no worker running: it answers
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("gunicorn did not answer in 90 s")


def _over_http(owner: Any, articles: list[Any], broker: Path, work: Path) -> dict[str, Any]:
    from knox.models import AuthToken

    from benchmarks.api_load import free_port

    _, token = AuthToken.objects.create(user=owner)
    headers = {"Authorization": f"Token {token}"}
    port = free_port()
    server = start_server(port, work / "gunicorn.log", broker)
    base = f"http://127.0.0.1:{port}"
    try:
        # A first small load, so every worker has imported its views and opened a connection.
        for _ in range(SERVER_WORKERS * 2):
            post_bulk(base, headers, _project(owner, "warm").pk, articles[:2])
        seconds, report = post_bulk(base, headers, _project(owner, "http").pk, articles)
        out = {"http": _figures(len(articles), seconds, report)}
        seconds, report = post_jsonl(base, headers, _project(owner, "jsonl").pk, articles)
        out["http_jsonl"] = _figures(len(articles), seconds, report)
        return out
    finally:
        server.terminate()
        server.wait(timeout=30)


def _timed(call: Any) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result) of `call()`: on a machine other
    processes load, the CPU seconds say what the load itself cost."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _in_process(owner: Any, articles: list[Any], work: Path) -> dict[str, Any]:
    """The test client's request, the command on a folder, and for comparison the same
    articles one by one through article_create (what load_articles did before batches)."""
    from io import StringIO

    from django.core.management import call_command
    from rest_framework.test import APIClient

    from annotations.services import article_create

    client = APIClient(HTTP_HOST="localhost")
    client.force_authenticate(owner)
    # Warm up: the language model loads on first use, once per process, and is not timed.
    warm = {"project": _project(owner, "warm").pk, "articles": articles[-2:]}
    client.post("/api/articles/bulk/", warm, format="json")
    articles = articles[:-2]
    out: dict[str, Any] = {}
    for label, rows in (
        ("client", articles),
        ("client_language_given", [{**a, "language": "en"} for a in articles]),
    ):
        body = {"project": _project(owner, label).pk, "articles": rows}
        wall, cpu, response = _timed(
            lambda body=body: client.post("/api/articles/bulk/", body, format="json")
        )
        out[label] = {**_figures(len(rows), wall, response.json()), **_cpu(cpu, len(rows))}
    folder = work / "articles"
    folder.mkdir()
    for n, article in enumerate(articles):
        (folder / f"{n:05}.txt").write_text(article["text"], encoding="utf-8")
    project = _project(owner, "command")
    wall, cpu, _ = _timed(
        lambda: call_command(
            "load_articles", str(folder), "--project", project.slug, "--no-progress",
            stdout=StringIO(), stderr=StringIO(),
        )
    )  # fmt: skip
    loaded = project.articles.count()
    report = {"loaded": loaded, "duplicates": 0, "failed": len(articles) - loaded}
    out["load_articles"] = {**_figures(len(articles), wall, report), **_cpu(cpu, len(articles))}
    sample = articles[:ONE_BY_ONE]
    project = _project(owner, "single")
    wall, cpu, _ = _timed(lambda: [article_create(project=project, **a) for a in sample])
    report = {"loaded": project.articles.count(), "duplicates": 0, "failed": 0}
    out["one_by_one"] = {**_figures(len(sample), wall, report), **_cpu(cpu, len(sample))}
    return out


def _cpu(cpu: float, count: int) -> dict[str, Any]:
    return {"cpu_s": round(cpu, 3), "per_cpu_s": round(count / cpu, 1) if cpu else None}


def _clean_up(owner: Any) -> None:
    from annotations.models import Article, Project, Source

    projects = list(Project.objects.filter(slug__startswith="bench-bulk-"))
    ids = list(Article.objects.filter(project__in=projects).values_list("pk", flat=True))
    Article.objects.filter(pk__in=ids).delete()  # outlets are protected by their articles
    Source.objects.filter(project__in=projects).delete()
    Project.objects.filter(pk__in=[p.pk for p in projects]).delete()
    Article.history.filter(id__in=ids).delete()
    owner.delete()


def run(*, articles: int = 1000, words: int = 800, server: bool = True) -> dict[str, Any]:
    """Every way in on the same generated articles; the figures by way in."""
    from django.contrib.auth import get_user_model

    texts = generate(articles, words)
    result: dict[str, Any] = {
        "articles": articles,
        "words_per_article": round(sum(len(a["text"].split()) for a in texts) / articles),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    owner = get_user_model().objects.create(username=f"bench-bulk-{uuid.uuid4().hex[:8]}")
    work = Path(tempfile.mkdtemp(prefix="claimtrack-bulk-bench-"))
    try:
        if server:
            result.update(_over_http(owner, texts, Path(os.environ["CLAIMTRACK_BROKER_DIR"]), work))
        result.update(_in_process(owner, texts, work))
    finally:
        _clean_up(owner)
        shutil.rmtree(work, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--words", type=int, default=800)
    parser.add_argument("--no-server", action="store_true", help="Skip the gunicorn runs.")
    args = parser.parse_args()
    # The tasks the loads queue go to a broker folder of this run, dropped at the end.
    broker = Path(tempfile.mkdtemp(prefix="claimtrack-bulk-broker-"))
    os.environ["CLAIMTRACK_BROKER_DIR"] = str(broker)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DJANGO_DEBUG"] = "false"
    import django

    django.setup()
    try:
        result = run(articles=args.articles, words=args.words, server=not args.no_server)
    finally:
        shutil.rmtree(broker, ignore_errors=True)
    for way in (
        "http",
        "http_jsonl",
        "client",
        "client_language_given",
        "load_articles",
        "one_by_one",
    ):
        if way in result:
            print(f"{way}: {result[way]['accepted_per_s']} articles/s accepted", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
