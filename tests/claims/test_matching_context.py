"""The project context a process keeps in its memo follows the project's articles: added,
reprocessed, deleted; it reads only what changed when it can, and everything when it must."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

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


def counted(project) -> set[int]:  # type: ignore[no-untyped-def]
    """The articles whose counts PostgreSQL holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT article_id FROM claims_articleterms WHERE project_id = %s", [project.pk]
        )
        return {pk for (pk,) in cursor.fetchall()}


def test_counts_follow_articles_added_reprocessed_and_deleted(project) -> None:
    first = load(project, "The ferry strike goes on.", "Harbour Times")
    assert df(project, "ferry") == 1
    context = project_context(project.pk)
    assert counted(project) == {first.pk}
    second = load(project, "A ferry timetable was printed.", "Coast Gazette")
    assert df(project, "ferry") == 2
    assert project_context(project.pk) is context  # brought up to date, not rebuilt
    assert counted(project) == {first.pk, second.pk}
    Article.objects.filter(pk=second.pk).update(text="A bus timetable was printed.")
    article_reprocess(article=Article.objects.get(pk=second.pk))
    article_process(article_id=second.pk)
    assert df(project, "ferry") == 1
    assert df(project, "bus") == 1
    second.delete()  # the latest article: noticed at once
    assert df(project, "bus") == 0
    assert counted(project) == {first.pk}


def test_an_older_article_deleted_is_noticed_by_a_recount(project) -> None:
    older = load(project, "The ferry strike goes on.", "Harbour Times")
    load(project, "A bus timetable was printed.", "Coast Gazette")
    assert df(project, "ferry") == 1
    older.delete()
    # the delete bumped the project's matching version: the next run sees it at once
    assert project_context(project.pk).vocab.df[stem("ferry")] == 0
    assert older.pk not in counted(project)


def test_an_unchanged_project_costs_one_version_query(project, django_assert_num_queries) -> None:
    load(project, "The ferry strike goes on.", "Harbour Times")
    project_context(project.pk)
    with django_assert_num_queries(1):  # the project's matching version
        project_context(project.pk)


def test_aliases_an_article_declares_come_and_go_with_it(project) -> None:
    declaring = load(project, "The port of Lindby, known as Lindaby, reopened.", "Harbour Times")
    load(project, "Ferries from Lindby resumed.", "Coast Gazette")
    context = project_context(project.pk)
    assert context.vocab.aliases.resolve("lindaby") == context.vocab.aliases.resolve("lindby")
    version = context.aliases_version
    declaring.delete()
    context = project_context(project.pk)
    assert context.aliases_version > version  # the alias table was rebuilt without the pair
    assert context.vocab.aliases.resolve("lindaby") != context.vocab.aliases.resolve("lindby")
    assert +context.declared == {}


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


def _fresh_counts(project_id: int) -> tuple[Counter[str], int, int]:
    """The counts a context built from nothing gives (what a new worker process would see)."""
    from claims.matching import memo

    memo.forget()
    fresh = project_context(project_id)
    return +fresh.vocab.df, fresh.vocab.n_docs, fresh.aliases_version


def test_a_new_alias_recounts_only_the_articles_that_name_its_variants(
    project, monkeypatch
) -> None:
    from claims.matching import counts as module
    from claims.models import Alias

    spelled = {
        name: load(project, f"Ferries from {name.title()} resumed on Monday.", "Harbour Times")
        for name in ("lindby", "lindaby")
    }
    other = load(project, "The bus strike in Dunmore goes on.", "Coast Gazette")
    context = project_context(project.pk)
    version = context.aliases_version
    read: list[int] = []
    texts = module.passage_texts

    def reading(article_ids: list[int]) -> dict[int, list[str]]:
        read.extend(article_ids)
        return texts(article_ids)

    monkeypatch.setattr(module, "passage_texts", reading)
    declaring = load(project, "The port of Lindby, known as Lindaby, reopened.", "Courier")
    context = project_context(project.pk)
    assert context.aliases_version == version + 1
    [variant] = context.vocab.aliases.canonical  # the spelling now read as the other
    assert set(read) == {declaring.pk, spelled[variant].pk}, "only texts naming the variant"
    assert other.pk not in read
    assert (+context.vocab.df, context.vocab.n_docs) == _fresh_counts(project.pk)[:2]

    # An editor's alias: the same context, brought up to date the same way.
    read.clear()
    context = project_context(project.pk)
    Alias.objects.create(project=project, canonical="Dunmore", variant="Dun Mor")
    added = load(project, "Buses to Dun Mor are late.", "Courier")
    assert project_context(project.pk) is context
    assert set(read) == {added.pk}, "no earlier article names Dun Mor"
    assert context.vocab.df[stem("dunmore")] == 2
    assert (+context.vocab.df, context.vocab.n_docs) == _fresh_counts(project.pk)[:2]


WORDS = ["lindby", "lindaby", "port", "new", "york", "o'neill", "neill", "g7", "kiev", "kyiv"]
SEPARATORS = [" ", ", ", "-", "'s ", ". ", " (", ") ", "’", " 7"]


@st.composite
def _texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8))
    text = ""
    for word in parts:
        text += draw(st.sampled_from([word, word.title(), word.upper()]))
        text += draw(st.sampled_from(SEPARATORS))
    return text


_phrases = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
_pairs = st.lists(st.tuples(_phrases, _phrases), max_size=4)


@given(texts=st.lists(_texts(), min_size=1, max_size=6), before=_pairs, after=_pairs)
@settings(max_examples=300, deadline=None)
def test_a_text_the_alias_change_rewrites_is_always_recounted(texts, before, after) -> None:
    """The superset a count step relies on: any text that the old and the new alias tables
    rewrite differently holds every word of a changed variant (by the words' hashes)."""
    from claims.matching import counts as module
    from claims.matching.normalizers import AliasTable, fold

    old, new = AliasTable.from_pairs(before), AliasTable.from_pairs(before + after)
    needles = [set(module.tokens(v)) for v in module.changed_variants(old, new)]
    for text in texts:
        if old.normalise(fold(text)) != new.normalise(fold(text)):
            held = set(module.tokens(fold(text)))
            assert any(not n or n <= held for n in needles), (text, needles)
