"""Recall first, on the development corpus (fixtures/eval): on every event the engine ranks
what it finds at least as well as the plain embedding it is built on. Whatever the embedding
ranks in a claim's top passages is stored, so re-ranking it with more signals may only help."""

from __future__ import annotations

from pathlib import Path

import pytest

from claims.matching.corpus import gold_paths
from claims.matching.evaluation import evaluate, load_gold

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "eval"
EVENTS = gold_paths([CORPUS])


# Events where the engine is known to rank articles below the plain embedding: the gap is
# measured and kept visible (strict: the test fails once the gap closes, to be taken off).
KNOWN_GAPS = {
    "sport-argentina-world-cup-final-2022": (
        "articles protocol: the engine's map@5 and recall@5 trail the plain embedding's on this "
        "event (short wire takes that restate the score in many words); mentions recall@5 ties"
    ),
}


def _param(path: Path):  # type: ignore[no-untyped-def]
    gap = KNOWN_GAPS.get(path.parent.name)
    marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
    return pytest.param(path, id=path.parent.name, marks=marks)


def _quiet(items, label, total):  # type: ignore[no-untyped-def]
    return items


def test_the_corpus_has_several_events() -> None:
    assert len(EVENTS) >= 8


@pytest.mark.parametrize("path", [_param(p) for p in EVENTS])
def test_engine_ranks_at_least_as_well_as_the_embedding_baseline(db, path: Path) -> None:
    gold = load_gold(path)
    protocols = ["mentions", "articles"]
    engine, _ = evaluate(gold, protocols, _quiet)
    baseline, _ = evaluate(gold, protocols, _quiet, baseline="embedding")
    assert engine["mentions"]["recall_at_5"] >= baseline["mentions"]["recall_at_5"]
    assert engine["articles"]["recall_at_5"] >= baseline["articles"]["recall_at_5"]
    assert engine["articles"]["map_at_5"] >= baseline["articles"]["map_at_5"]


# Fact-check retrieval sets (fixtures/eval-retrieval): short posts against a pool of verified
# claims, the articles protocol only (a post has no other article to find a claim in).
RETRIEVAL = gold_paths([CORPUS.parent / "eval-retrieval"])
RETRIEVAL_GAPS = {
    "vo-lee-politifact": (
        "the engine ranks the posts' fact-checks about as the plain embedding does, a little "
        "below it (map@5 and recall@5): on short posts the cosine is most of the evidence"
    ),
}


def _retrieval_param(path: Path):  # type: ignore[no-untyped-def]
    gap = RETRIEVAL_GAPS.get(path.parent.name)
    marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
    return pytest.param(path, id=path.parent.name, marks=marks)


def test_there_is_a_fact_check_retrieval_set() -> None:
    assert RETRIEVAL


@pytest.mark.parametrize("path", [_retrieval_param(p) for p in RETRIEVAL])
def test_engine_retrieves_fact_checks_at_least_as_well_as_the_embedding(db, path: Path) -> None:
    gold = load_gold(path)
    engine, _ = evaluate(gold, ["articles"], _quiet)
    baseline, _ = evaluate(gold, ["articles"], _quiet, baseline="embedding")
    assert engine["articles"]["recall_at_5"] >= baseline["articles"]["recall_at_5"]
    assert engine["articles"]["map_at_5"] >= baseline["articles"]["map_at_5"]
