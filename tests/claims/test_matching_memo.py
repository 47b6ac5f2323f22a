"""What a process keeps between matching runs: one bounded memo per project, valid for the
project's matching version, which every change to what matching reads bumps."""

from __future__ import annotations

import pytest
from django.db import transaction

from annotations.models import Article, Passage, ProcessingState
from annotations.services import article_create, article_process
from claims.matching import match_claim, memo
from claims.matching.context import project_context
from claims.matching.normalizers import stem
from claims.matching.retrieval import project_claims
from claims.models import Alias, Claim, MatchCandidate
from claims.services import annotation_create
from tests.conftest import wait_for
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

HARBOUR = (
    "The Harbour Council voted on Tuesday to close the Dunmore ferry terminal.\n"
    "The strike by ferry workers has lasted nine weeks, union leader Anna Kowalski said."
)
GAZETTE = (
    "Ferry workers in Dunmore have now been on strike for 9 weeks, according to union chief "
    "Anna Kowalsky.\nTourism in the region fell sharply over the summer."
)


def load(project, text: str, outlet: str) -> Article:  # type: ignore[no-untyped-def]
    article = article_create(project=project, text=text, outlet=outlet)
    article_process(article_id=article.pk)
    return article


def test_the_memo_keeps_a_bounded_number_of_projects(db) -> None:  # type: ignore[no-untyped-def]
    projects = [ProjectFactory() for _ in range(memo.MEMO_PROJECTS + 2)]
    for project in projects:
        project_context(project.pk)
    assert len(memo._projects) == memo.MEMO_PROJECTS
    assert projects[-1].pk in memo._projects and projects[0].pk not in memo._projects


def test_every_change_matching_reads_moves_the_version_on(project) -> None:
    versions = [memo.matching_version(project.pk)]

    def moved() -> bool:
        versions.append(memo.matching_version(project.pk))
        return versions[-1] != versions[-2]

    article = load(project, HARBOUR, "Harbour Times")
    assert moved()  # passages written, the article processed
    Article.objects.filter(pk=article.pk).update(matched_at=article.created_at)
    assert not moved()  # what a match writes is not what it reads
    claim = annotation_create(article=article, start=0, end=20, statement="Council vote").claim
    assert moved()  # a claim and its mark
    Claim.objects.filter(pk=claim.pk).update(notes="Check the council minutes.")
    assert not moved()  # nothing matching reads
    Claim.objects.filter(pk=claim.pk).update(statement="The council voted")
    assert moved()
    Alias.objects.create(project=project, canonical="Dunmore", variant="Dun Mor")
    assert moved()
    Alias.objects.create(project=None, canonical="Kyiv", variant="Kiev")
    assert moved()  # a global alias moves every project on
    claim.delete()
    assert moved()
    Passage.objects.filter(article=article).delete()
    assert moved()


def test_an_alias_or_a_new_article_is_seen_by_the_next_run_in_the_same_process(project) -> None:
    load(project, "Ferries from Lindby resumed.", "Harbour Times")
    first = project_context(project.pk)
    assert first.vocab.aliases.resolve("lindaby") != first.vocab.aliases.resolve("lindby")
    Alias.objects.create(project=project, canonical="Lindby", variant="Lindaby")
    second = project_context(project.pk)
    assert second.vocab.aliases.resolve("lindaby") == second.vocab.aliases.resolve("lindby")
    assert second.vocab.df[stem("ferry")] == 1
    load(project, "A ferry timetable was printed.", "Coast Gazette")
    assert project_context(project.pk).vocab.df[stem("ferry")] == 2


def test_a_memo_built_in_a_transaction_that_rolled_back_is_not_reused(project) -> None:
    load(project, "Ferries from Lindby resumed.", "Harbour Times")
    project_context(project.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        Alias.objects.create(project=project, canonical="Lindby", variant="Lindaby")
        assert project_context(project.pk).vocab.aliases.resolve("lindaby") == "lindby"
        raise RuntimeError  # the alias never was
    # The same version number again, written by another transaction: a memo of its own.
    Alias.objects.create(project=project, canonical="Lindby", variant="Lindbyn")
    aliases = project_context(project.pk).vocab.aliases
    assert aliases.resolve("lindaby") != aliases.resolve("lindby")
    assert aliases.resolve("lindbyn") == aliases.resolve("lindby")


def test_claim_vectors_follow_the_project_without_waiting(project) -> None:
    article = load(project, HARBOUR, "Harbour Times")
    claim = annotation_create(article=article, start=0, end=20, statement="Council vote").claim
    match_claim(claim_id=claim.pk)  # embeds the claim
    assert list(project_claims(project.pk).statements) == [claim.pk]
    claim.delete()
    assert project_claims(project.pk).statements == {}


def _candidates(claim_id: int) -> list[tuple[int, int | None, int | None, float]]:
    return list(
        MatchCandidate.objects.filter(claim_id=claim_id)
        .order_by("passage_id", "start")
        .values_list("passage_id", "start", "end", "score")
    )


def test_a_fresh_process_matches_as_a_warm_one(project) -> None:
    harbour = load(project, HARBOUR, "Harbour Times")
    load(project, GAZETTE, "Coast Gazette")
    start = HARBOUR.index("The strike")
    claim = annotation_create(
        article=harbour, start=start, end=start + 49, statement="The strike has lasted nine weeks"
    ).claim
    match_claim(claim_id=claim.pk)
    warm_before = _candidates(claim.pk)
    match_claim(claim_id=claim.pk)  # a warm process, its memo up to date
    warm = _candidates(claim.pk)
    memo.forget()  # what a new or restarted worker starts with
    match_claim(claim_id=claim.pk)
    assert warm == warm_before and warm
    assert _candidates(claim.pk) == warm


def _all_processed(ids: list[int]) -> bool:
    done = Article.objects.filter(pk__in=ids, processing_state=ProcessingState.PROCESSED)
    return done.count() == len(ids)


@pytest.mark.django_db(transaction=True)
def test_articles_loaded_at_once_are_each_counted_once_without_deadlock() -> None:
    import threading

    from django.db import connections

    from claims.matching import counts

    project = ProjectFactory()
    texts = [f"The ferry strike in Lindby entered week {n}, union leaders said." for n in (2, 3)]
    articles = [
        article_create(project=project, text=text, outlet=f"Outlet {n}")
        for n, text in enumerate(texts)
    ]
    ids = [a.pk for a in articles]
    start = threading.Barrier(len(articles))
    errors: list[BaseException] = []

    def load_and_count(article_id: int) -> None:
        try:
            start.wait()
            # This run processes the articles, or leaves them to the run holding them (the
            # other thread, or a worker of the test session): the counting is what is tested.
            article_process(article_id=article_id)
            wait_for(lambda: _all_processed(ids), timeout=90)
            with transaction.atomic():
                counts.count(project.pk, True)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=load_and_count, args=(a.pk,)) for a in articles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)
    totals = counts.read(project.pk, True).counts
    assert totals[(counts.TERM, stem("ferry"))] == 2
    assert totals[(counts.DOCS, "")] == 2
    memo.forget()
    assert project_context(project.pk).vocab.df[stem("strike")] == 2
