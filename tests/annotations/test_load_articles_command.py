"""The bulk loader: progress, summary, duplicates and failures with reasons."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotations.models import Article, Project

pytestmark = pytest.mark.django_db
DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"


def run(*args: str) -> str:
    out = StringIO()
    call_command("load_articles", *args, "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_loading_the_demo_files_twice_reports_four_duplicates() -> None:
    files = sorted(str(p) for p in DEMO.glob("*.txt"))
    first = run(*files, "--project", "demo-test", "--create-project")
    assert "Loaded 4, duplicates 0, failed 0." in first
    snapshot = list(Article.objects.order_by("pk").values_list("pk", "content_hash", "updated_at"))
    second = run(*files, "--project", "demo-test")
    assert "Loaded 0, duplicates 4, failed 0." in second
    assert (
        list(Article.objects.order_by("pk").values_list("pk", "content_hash", "updated_at"))
        == snapshot
    )


def test_a_folder_with_good_and_bad_files(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("The dam is 40 metres high.", encoding="utf-8")
    (tmp_path / "latin.txt").write_bytes("Le barrage fait 40 mètres.".encode("latin-1"))
    (tmp_path / "blob.html").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")  # not a supported suffix: skipped in folders
    out = run(str(tmp_path), "--project", "desk", "--create-project", "--outlet", "Wire")
    assert "Loaded 2, duplicates 0, failed 1." in out
    assert "blob.html: The file blob.html is not text" in out
    source = Article.objects.get(title="Le barrage fait 40 mètres.").source
    assert source is not None and source.name == "Wire"


def test_manifest_gives_outlets_and_dates() -> None:
    run("--manifest", str(DEMO / "manifest.json"), "--project", "m", "--create-project")
    outlets = set(Article.objects.values_list("source__name", flat=True))
    assert outlets == {"AP-derived report", "Paraphrased rewrite", "Los Angeles Times (AP)", "RT"}
    assert Article.objects.filter(published_at__year=2023).count() == 4


def test_unknown_project_is_an_error_without_create() -> None:
    with pytest.raises(CommandError, match="No project"):
        run("x.txt", "--project", "nope")
    assert not Project.objects.exists()


def test_nothing_loadable_fails_the_command(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(CommandError, match="No article could be loaded"):
        run(str(tmp_path / "empty.txt"), "--project", "p", "--create-project")
