"""Sentence and clause vectors from one model pass, stored with each passage.

The matcher scores a passage as a whole and by its clause windows; both sets of vectors are
computed when the article is processed (late chunking: clause vectors pool the sentence's own
contextual token embeddings) so matching a claim never runs the model over passages.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.models import Passage
from annotations.services import article_create, article_process, embeddings
from annotations.services.embeddings import (
    embed,
    embed_with_windows,
    get_model,
    length_batches,
    pack_vectors,
    unpack_vectors,
)
from annotations.services.segmentation import clause_windows
from claims.matching.context import project_context
from claims.matching.queries import passage_units

SENTENCES = [
    "The council voted to close the ferry terminal, but the union said it would appeal.",
    "Repairs to the pier will cost four million euros.",
]


def test_whole_vectors_are_the_models_own_sentence_embeddings() -> None:
    whole, parts = embed_with_windows(SENTENCES, [clause_windows(t) for t in SENTENCES])
    expected = get_model().encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
    assert whole.shape == expected.shape
    assert np.allclose(whole, expected, atol=1e-5)
    assert [len(p) for p in parts] == [len(clause_windows(t)) for t in SENTENCES]


def test_clause_vectors_are_unit_length_and_closest_to_their_own_clause() -> None:
    text = SENTENCES[0]
    windows = clause_windows(text)
    assert len(windows) >= 2
    _, (clauses,) = embed_with_windows([text], [windows])
    assert np.allclose(np.linalg.norm(clauses, axis=1), 1.0, atol=1e-5)
    alone = embed([text[a:b] for a, b in windows])
    similarity = clauses @ alone.T
    # each pooled clause is nearer its own text embedded alone than any other clause is
    assert list(similarity.argmax(axis=1)) == list(range(len(windows)))


def test_a_window_past_the_token_limit_takes_the_sentence_vector() -> None:
    text = "word " * 400 + "and the tail clause is here"
    start = text.index("and the tail")
    whole, (clauses,) = embed_with_windows([text], [[(start, len(text))]])
    assert np.allclose(clauses[0], whole[0])


def test_packed_vectors_round_trip_within_half_precision() -> None:
    vectors = embed(SENTENCES)
    restored = unpack_vectors(pack_vectors(vectors))
    assert restored.shape == vectors.shape
    assert float(np.abs(restored - vectors).max()) < 1e-3


@pytest.mark.django_db
def test_processing_stores_clause_windows_vectors_and_the_search_vector(project) -> None:
    article = article_create(project=project, text=" ".join(SENTENCES), outlet="Coast Gazette")
    article_process(article_id=article.pk)
    passages = list(Passage.objects.filter(article=article).order_by("ordinal"))
    assert [p.text for p in passages] == SENTENCES
    for passage in passages:
        windows = clause_windows(passage.text)
        assert passage.clause_bounds == [x for w in windows for x in w]
        assert passage.unit_vectors is not None
        vectors = unpack_vectors(passage.unit_vectors)
        assert vectors.shape == (1 + len(windows), 384)
        assert float(vectors[0] @ np.asarray(passage.embedding)) > 0.999
        assert passage.search_vector  # computed by PostgreSQL on insert
    assert Passage.objects.filter(article=article, search_vector="ferry").count() == 1


@pytest.mark.django_db
def test_matcher_units_use_the_stored_vectors_and_recompute_missing_ones(project) -> None:
    article = article_create(project=project, text=SENTENCES[0], outlet="Coast Gazette")
    article_process(article_id=article.pk)
    fields = ("id", "article_id", "start", "end", "text", "clause_bounds", "unit_vectors")
    row = dict(Passage.objects.filter(article=article).values(*fields).get())
    context = project_context(project.pk)
    (stored,) = passage_units([row], context)
    assert np.allclose(stored[0].vector, unpack_vectors(row["unit_vectors"])[0])
    assert [(u.start, u.end) for u in stored[1:]] == clause_windows(SENTENCES[0])
    # a passage stored before clause vectors were kept: computed on the fly, same result
    (computed,) = passage_units([{**row, "unit_vectors": None, "clause_bounds": []}], context)
    assert [(u.start, u.end) for u in computed] == [(u.start, u.end) for u in stored]
    for a, b in zip(computed, stored, strict=True):
        assert float(a.vector @ b.vector) > 0.999


@pytest.mark.django_db
def test_passages_go_in_unchanged_whatever_their_characters(project) -> None:
    """New passages are written with COPY: text with a tab, a backslash and quotes, and the
    vectors, read back exactly as computed."""
    text = 'The fee is 5\\6 of the cost,\tsaid the "mayor" of O\'Hara. Ça coûte 4 € en 2024.'
    article = article_create(project=project, text=text, outlet="Coast Gazette")
    article_process(article_id=article.pk)
    passages = list(Passage.objects.filter(article=article).order_by("ordinal"))
    assert "".join(p.text for p in passages).replace(" ", "") == text.replace(" ", "")
    assert [text[p.start : p.end] for p in passages] == [p.text for p in passages]
    windows = [clause_windows(p.text) for p in passages]
    whole, parts = embed_with_windows([p.text for p in passages], windows)
    for passage, vector, clauses in zip(passages, whole, parts, strict=True):
        assert np.array_equal(np.asarray(passage.embedding, dtype=np.float32), vector)
        assert passage.unit_vectors is not None
        assert bytes(passage.unit_vectors) == pack_vectors(np.vstack([vector[None, :], clauses]))


def _padded_cost(batches: list[list[int]], lengths: list[int], overhead: int) -> int:
    return sum(overhead + len(b) * max(lengths[i] for i in b) for b in batches)


def _best_cost(lengths: list[int], limit: int, overhead: int) -> int:
    """Every way of cutting the texts, sorted longest first, into runs (brute force)."""
    ordered = sorted(lengths, reverse=True)
    best = None
    for mask in range(2 ** (len(ordered) - 1)):
        cuts = [0] + [i + 1 for i in range(len(ordered) - 1) if mask >> i & 1] + [len(ordered)]
        runs = [ordered[a:b] for a, b in itertools.pairwise(cuts)]
        if any(len(r) > limit for r in runs):
            continue
        cost = sum(overhead + len(r) * r[0] for r in runs)
        best = cost if best is None else min(best, cost)
    assert best is not None
    return best


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(min_value=3, max_value=80), min_size=1, max_size=9),
    limit=st.integers(min_value=1, max_value=6),
    overhead=st.integers(min_value=0, max_value=40),
)
def test_length_batches_cut_texts_at_the_least_padding_and_overhead(
    lengths: list[int], limit: int, overhead: int
) -> None:
    batches = length_batches(lengths, limit, overhead)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(0 < len(b) <= limit for b in batches)
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat, reverse=True)  # longest first, so each pads to its first
    assert _padded_cost(batches, lengths, overhead) == _best_cost(lengths, limit, overhead)


def test_vectors_do_not_depend_on_how_texts_are_batched(monkeypatch) -> None:
    texts = [
        "Yes.",
        *SENTENCES,
        "The ferry will run again in spring, after the repairs to the pier, the council said "
        "on Tuesday, though the union has not yet agreed to the new timetable for the crews.",
    ]
    windows = [clause_windows(t) for t in texts]
    together, parts_together = embed_with_windows(texts, windows)
    monkeypatch.setattr(  # every text its own pass
        embeddings, "length_batches", lambda lengths, limit: [[i] for i in range(len(lengths))]
    )
    alone, parts_alone = embed_with_windows(texts, windows)
    assert np.allclose(together, alone, atol=1e-5)
    for a, b in zip(parts_together, parts_alone, strict=True):
        assert np.allclose(a, b, atol=1e-5)
    # the sentence vectors are SentenceTransformer's own, and embed()'s for a batch of texts
    expected = get_model().encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert np.allclose(together, expected, atol=1e-5)
    many = texts * 3  # more than embeddings.SHORT_BATCH: the PyTorch path
    assert np.allclose(embed(many), np.vstack([expected] * 3), atol=1e-5)
