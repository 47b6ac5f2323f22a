"""A bulk load goes through the real broker to a real Celery worker: every article comes back
segmented and embedded, and the project's progress says so."""

from __future__ import annotations

import pytest

from annotations.models import Article, Passage, ProcessingState
from annotations.selectors import project_progress
from annotations.services.bulk_articles import LOADED, ArticleDraft, articles_bulk_create
from tests.conftest import wait_for

pytestmark = pytest.mark.worker

TEXTS = [
    "The council approved the new bridge on Monday. Construction will take three years.",
    "Critics said the cost, 40 million euros, was too high. The mayor disagreed.",
    "The river rose two metres overnight. Three hundred people left their homes.",
    "The dam is 40 metres high, the agency said. It was finished in 1998.",
    "Schools stay closed on Friday. The storm is expected to reach the coast at noon.",
]


def test_worker_processes_every_article_of_a_bulk_load(worker, project) -> None:
    drafts = [ArticleDraft(f"a{i}", {"text": text}) for i, text in enumerate(TEXTS)]
    report = articles_bulk_create(project=project, drafts=drafts, batch_size=2)
    assert [item.status for item in report.items] == [LOADED] * len(TEXTS)

    def processed() -> bool:
        states = list(Article.objects.filter(project=project).values_list("processing_state"))
        assert (ProcessingState.FAILED,) not in states
        return states == [(ProcessingState.PROCESSED,)] * len(TEXTS)

    wait_for(processed, timeout=180)
    assert Passage.objects.filter(article__project=project).count() == 2 * len(TEXTS)
    # Matching follows processing: once it ran for every article, nothing is left to do.
    progress = wait_for(lambda: (p := project_progress(project=project))["done"] and p, timeout=120)
    assert (progress["articles"], progress["processed"], progress["matching"]) == (5, 5, 0)
