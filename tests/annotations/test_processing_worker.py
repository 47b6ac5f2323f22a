"""An article goes through the real broker to a real Celery worker process and comes back
segmented and embedded."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.models import Article, Passage, ProcessingState
from annotations.services import article_create, article_create_from_file
from tests.conftest import wait_for

pytestmark = pytest.mark.worker

TEXT = (
    "The council approved the new bridge on Monday. Construction will take three years.\n"
    "Critics said the cost, 40 million euros, was too high. The mayor disagreed."
)


def test_worker_segments_and_embeds_a_loaded_article(worker, project) -> None:
    article = article_create(project=project, text=TEXT, title="Bridge approved", outlet="Gazette")

    def processed() -> Article | None:
        a = Article.objects.get(pk=article.pk)
        assert a.processing_state != ProcessingState.FAILED, a.processing_error
        return a if a.processing_state == ProcessingState.PROCESSED else None

    done = wait_for(processed, timeout=120)
    passages = list(Passage.objects.filter(article=done).order_by("ordinal"))
    assert [p.text for p in passages] == [
        "The council approved the new bridge on Monday.",
        "Construction will take three years.",
        "Critics said the cost, 40 million euros, was too high.",
        "The mayor disagreed.",
    ]
    for p in passages:
        assert TEXT[p.start : p.end] == p.text
        assert p.embedding is not None and len(p.embedding) == 384
    assert Passage.objects.filter(article=done, search_vector__isnull=False).count() == 4
    assert done.processed_at is not None


def test_worker_processes_a_real_demo_article_loaded_from_file(worker, project) -> None:
    path = Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "004.txt"
    article = article_create_from_file(project=project, data=path.read_bytes(), filename=path.name)

    def processed() -> Article | None:
        a = Article.objects.get(pk=article.pk)
        assert a.processing_state != ProcessingState.FAILED, a.processing_error
        return a if a.processing_state == ProcessingState.PROCESSED else None

    done = wait_for(processed, timeout=120)
    passages = list(Passage.objects.filter(article=done).order_by("ordinal"))
    assert len(passages) > 10
    assert all(done.text[p.start : p.end] == p.text for p in passages)
    # Every non-blank line of the article is covered by passages, in order.
    assert [p.start for p in passages] == sorted(p.start for p in passages)
    covered = "".join(p.text for p in passages)
    assert len(covered) > 0.9 * len("".join(done.text.split()))
