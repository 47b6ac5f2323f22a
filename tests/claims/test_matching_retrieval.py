"""Candidate retrieval: the full-text query keeps to the rarest words and asks for two."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from annotations.models import Passage
from annotations.services import article_create, article_process
from claims.matching import memo, retrieval
from claims.matching.normalizers import stem
from claims.matching.retrieval import MAX_GROUPS, ef_search, passages_for_claim, text_query
from claims.matching.signals import Vocabulary
from claims.models import Annotation


def raw(query) -> str:  # type: ignore[no-untyped-def]
    return query.source_expressions[-1].value


def test_short_texts_match_any_of_their_words() -> None:
    assert raw(text_query("Ferry strike")) == "ferry | strike"


def test_longer_texts_need_a_pair_of_their_rarest_words() -> None:
    df = {"council": 90, "ferry": 2, "strike": 3, "goes": 60}
    vocab = Vocabulary(df=Counter({stem(w): n for w, n in df.items()}), n_docs=100)
    query = raw(text_query("The council says the ferry strike goes on", vocab))
    pairs = [part.strip("() ") for part in query.split("|")]
    assert all(" & " in pair for pair in pairs)
    # rarest first: the pair of the two rarest words leads
    assert pairs[0] == "ferry & strike"
    assert text_query("the of and") is None


def test_hnsw_candidate_list_grows_with_k_within_pgvectors_limit() -> None:
    assert ef_search(1) == 40
    assert ef_search(10) == 160
    assert ef_search(50) == 800
    assert ef_search(500) == 1000


@pytest.mark.django_db
def test_a_passage_sharing_two_rare_words_is_retrieved_one_sharing_one_is_not(project) -> None:
    text = (
        "The ferry strike in Dunmore entered its ninth week.\n"
        "A ferry timetable was printed for the summer.\n"
        "Nothing about boats at all here today."
    )
    article = article_create(project=project, text=text, outlet="Coast Gazette")
    article_process(article_id=article.pk)
    passages = {p.text: p.pk for p in Passage.objects.filter(article=article)}
    found = passages_for_claim(
        project_id=project.pk, vectors=[], texts=["Dunmore ferry strike continues"], k=10
    )
    assert passages["The ferry strike in Dunmore entered its ninth week."] in found
    assert passages["A ferry timetable was printed for the summer."] not in found


def test_in_a_large_archive_of_common_words_more_shared_words_are_required() -> None:
    words = ("council", "ferry", "strike", "harbour")
    vocab = Vocabulary(df=Counter({stem(w): 9_500 for w in words}), n_docs=1_000_000)
    groups = raw(text_query("council ferry strike harbour", vocab)).split("|")
    assert all(len(group.strip("() ").split(" & ")) == 3 for group in groups)
    vocab = Vocabulary(df=Counter({stem(w): 30 for w in words}), n_docs=1_000_000)
    groups = raw(text_query("council ferry strike harbour", vocab)).split("|")
    assert all(len(group.strip("() ").split(" & ")) == 2 for group in groups)


def test_words_in_a_large_share_of_passages_are_not_searched_by() -> None:
    df = {"council": 50_000, "ferry": 40, "strike": 50, "harbour": 60, "seven": 70_000}
    vocab = Vocabulary(df=Counter({stem(w): n for w, n in df.items()}), n_docs=1_000_000)
    vocab.df["7"] = 70_000  # number words are counted as digits
    query = raw(text_query("The council says the harbour ferry strike lasted seven weeks", vocab))
    assert "council" not in query and "seven" not in query
    assert query.startswith("(ferry & strike)")


@pytest.mark.django_db
def test_a_new_passage_near_a_marked_mention_brings_that_claim(project) -> None:
    from claims.matching.retrieval import claims_for_passages
    from claims.services import annotation_create

    first = article_create(
        project=project,
        text="The ferry strike in Dunmore entered its ninth week on Monday.\nTourism fell.",
        outlet="Harbour Times",
    )
    article_process(article_id=first.pk)
    quote = "The ferry strike in Dunmore entered its ninth week on Monday."
    claim = annotation_create(
        article=first, start=0, end=len(quote), statement="Walkout continues"
    ).claim
    second = article_create(
        project=project,
        text="Dunmore's ferry strike is now in its ninth week.\nThe weather was mild.",
        outlet="Coast Gazette",
    )
    article_process(article_id=second.pk)
    near = Passage.objects.get(article=second, ordinal=0)
    far = Passage.objects.get(article=second, ordinal=1)
    # k=0 leaves out the statement's own kNN and full-text lists: only mentions nearby count
    vectors = {p.pk: np.asarray(p.embedding) for p in (near, far)}
    owners = dict.fromkeys(vectors, second.pk)
    found = claims_for_passages(project_id=project.pk, vectors=vectors, articles=owners, k=0)
    assert claim.pk in found.get(near.pk, set())
    assert claim.pk not in found.get(far.pk, set())

    # A marked passage stored before clause vectors were kept is read from its vector column.
    Passage.objects.filter(article=first).update(unit_vectors=None)
    memo.forget()
    again = claims_for_passages(project_id=project.pk, vectors=vectors, articles=owners, k=0)
    assert again == found

    # The marked passages are kept per process, but a mark moved to another claim, or
    # removed, is seen by the next article.
    other = annotation_create(article=first, start=0, end=9, statement="Ferries stop").claim
    Annotation.objects.filter(claim=claim).update(claim=other)
    moved = claims_for_passages(project_id=project.pk, vectors=vectors, articles=owners, k=0)
    assert other.pk in moved[near.pk] and claim.pk not in moved.get(near.pk, set())
    Annotation.objects.filter(article=first).delete()
    assert claims_for_passages(project_id=project.pk, vectors=vectors, articles=owners, k=0) == {}


def test_a_long_claim_in_a_large_archive_asks_for_few_groups_of_its_rarest_words() -> None:
    words = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
    text = " ".join(words)
    large = Vocabulary(df=Counter({stem(w): 50 + i for i, w in enumerate(words)}), n_docs=1_000_000)
    groups = raw(text_query(text, large)).split("|")
    assert 0 < len(groups) <= MAX_GROUPS
    assert "hotel" not in raw(text_query(text, large))  # the commonest goes first
    small = Vocabulary(df=Counter({stem(w): 2 for w in words}), n_docs=200)
    assert len(raw(text_query(text, small)).split("|")) == 28  # all pairs of eight words


@pytest.mark.django_db
def test_the_claims_nearest_a_passage_are_the_databases_exact_nearest(project) -> None:
    from django.db import connection

    from claims.matching.queries import claims_index
    from tests.factories import ClaimFactory

    statements = [
        "The ferry strike entered its ninth week",
        "Tourism in the harbour town fell sharply",
        "The council approved a new bridge",
        "Ferry crews rejected the pay offer",
        "The mayor resigned on Friday",
    ]
    claims = [ClaimFactory(project=project, statement=s) for s in statements]
    claims_index([c.pk for c in claims])
    article = article_create(
        project=project,
        text="Dunmore's ferry strike is now in its ninth week.\nThe bridge vote passed.",
        outlet="Coast Gazette",
    )
    article_process(article_id=article.pk)
    passages = list(Passage.objects.filter(article=article))
    vectors = {p.pk: np.asarray(p.embedding, dtype=np.float32) for p in passages}
    memo.forget()
    # k=2 and no marked mentions: the full-text list may add claims, the kNN list adds these
    found = retrieval.claims_for_passages(
        project_id=project.pk, vectors=vectors, articles=dict.fromkeys(vectors, article.pk), k=2
    )
    for passage in passages:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.id FROM claims_claim c, annotations_passage p WHERE p.id = %s "
                "AND c.project_id = %s ORDER BY c.embedding <=> p.embedding LIMIT 2",
                [passage.pk, project.pk],
            )
            exact = {row[0] for row in cursor.fetchall()}
        assert exact <= found[passage.pk]

    # A statement edited (and re-embedded) is read again, not served from the process cache.
    ferry = claims[0]
    ferry.statement = "The council approved a bridge over the river"
    ferry.save()
    claims_index([ferry.pk])
    known = retrieval.project_claims(project.pk)
    stored = np.asarray(type(ferry).objects.get(pk=ferry.pk).embedding, dtype=np.float32)
    assert np.allclose(known.vectors[known.ids.tolist().index(ferry.pk)], stored)
    assert known.statements[ferry.pk] == "The council approved a bridge over the river"
