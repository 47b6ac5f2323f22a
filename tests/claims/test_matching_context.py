"""The per-process project context follows the project's articles: added, reprocessed,
deleted; it reads only what changed when it can, and everything when it must."""

from __future__ import annotations

import pytest

from annotations.models import Article
from annotations.services import article_create, article_process, article_reprocess
from claims.matching.context import project_context
from claims.matching.normalizers import stem

pytestmark = pytest.mark.django_db


def load(project, text: str, outlet: str) -> Article:  # type: ignore[no-untyped-def]
    article = article_create(project=project, text=text, outlet=outlet)
    article_process(article_id=article.pk)
    return article


def df(project, word: str) -> int:  # type: ignore[no-untyped-def]
    return project_context(project.pk).vocab.df[stem(word)]


def test_counts_follow_articles_added_reprocessed_and_deleted(project) -> None:
    first = load(project, "The ferry strike goes on.", "Harbour Times")
    assert df(project, "ferry") == 1
    context = project_context(project.pk)
    assert set(context.articles) == {first.pk}
    second = load(project, "A ferry timetable was printed.", "Coast Gazette")
    assert df(project, "ferry") == 2
    assert project_context(project.pk) is context  # brought up to date, not rebuilt
    assert set(context.articles) == {first.pk, second.pk}
    Article.objects.filter(pk=second.pk).update(text="A bus timetable was printed.")
    article_reprocess(article=Article.objects.get(pk=second.pk))
    article_process(article_id=second.pk)
    assert df(project, "ferry") == 1
    assert df(project, "bus") == 1
    second.delete()  # the latest article: noticed at once
    assert df(project, "bus") == 0
    assert set(project_context(project.pk).articles) == {first.pk}


def test_an_older_article_deleted_is_noticed_by_a_recount(project) -> None:
    older = load(project, "The ferry strike goes on.", "Harbour Times")
    load(project, "A bus timetable was printed.", "Coast Gazette")
    assert df(project, "ferry") == 1
    older.delete()
    # matching an article always recounts; a claim's matching within RECOUNT_SECONDS may not
    assert project_context(project.pk, recount=True).vocab.df[stem("ferry")] == 0
    assert older.pk not in project_context(project.pk).articles


def test_an_unchanged_project_costs_one_aggregate_query(project, django_assert_num_queries) -> None:
    load(project, "The ferry strike goes on.", "Harbour Times")
    project_context(project.pk)
    with django_assert_num_queries(2):  # the alias rows and the articles' fingerprint
        project_context(project.pk)


def test_aliases_an_article_declares_come_and_go_with_it(project) -> None:
    declaring = load(project, "The port of Lindby, known as Lindaby, reopened.", "Harbour Times")
    load(project, "Ferries from Lindby resumed.", "Coast Gazette")
    context = project_context(project.pk)
    assert context.vocab.aliases.resolve("lindaby") == context.vocab.aliases.resolve("lindby")
    version = context.aliases_version
    declaring.delete()
    context = project_context(project.pk, recount=True)
    assert context.aliases_version > version  # the alias table was rebuilt without the pair
    assert context.vocab.aliases.resolve("lindaby") != context.vocab.aliases.resolve("lindby")
    assert +context.discovered == {}


def test_a_claim_query_is_reused_until_its_wording_or_the_aliases_change(project) -> None:
    from claims.matching.queries import claim_queries
    from claims.models import Alias
    from claims.services import annotation_create

    article = load(project, "The ferry strike in Lindby entered its ninth week.", "Harbour Times")
    claim = annotation_create(article=article, start=0, end=24, statement="Ferry strike").claim
    first = claim_queries({claim.pk: claim.statement}, project_context(project.pk))[claim.pk]
    assert (
        claim_queries({claim.pk: claim.statement}, project_context(project.pk))[claim.pk] is first
    )

    claim.statement = "The ferry strike goes on"
    second = claim_queries({claim.pk: claim.statement}, project_context(project.pk))[claim.pk]
    assert second is not first and second.texts[0] == "The ferry strike goes on"

    annotation_create(article=article, start=25, end=50, claim=claim)
    third = claim_queries({claim.pk: claim.statement}, project_context(project.pk))[claim.pk]
    assert third is not second and len(third.texts) == 3

    Alias.objects.create(project=project, canonical="Lindby", variant="Lindaby")
    fourth = claim_queries({claim.pk: claim.statement}, project_context(project.pk))[claim.pk]
    assert fourth is not third and fourth.texts == third.texts
