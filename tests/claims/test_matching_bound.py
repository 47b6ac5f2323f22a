"""The cheap upper bound the engine uses to skip scoring a (wording, passage) pair: it must
never be below the real score, or pruning would change what is proposed."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.services.extraction import extract_file
from annotations.services.segmentation import split_passages
from claims.matching.config import DEFAULT_WEIGHTS
from claims.matching.scoring import score, score_bound
from claims.matching.signals import (
    TextProfile,
    Vocabulary,
    dates,
    detail_signals,
    found_counts,
    lexical_bound,
    numbers,
    pair_signals,
)

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"

# Words that exercise every signal: names (and misspelt variants), titles, numbers in digits
# and words, dates, quotations, negations and plain content words.
_POOL = [
    "Anna",
    "Kowalski",
    "Ana",
    "Kowalsky",
    "President",
    "Minister",
    "Jon",
    "Smith",
    "John",
    "Smyth",
    "Reuters",
    "said",
    "says",
    "denied",
    "confirmed",
    "sent",
    "aid",
    "troops",
    "the",
    "a",
    "of",
    "in",
    "on",
    "not",
    "never",
    "seven",
    "7",
    "1,200",
    "twelve",
    "3",
    "percent",
    "million",
    "March",
    "2021",
    "May",
    "5",
    "2019",
    "weeks",
    "months",
    '"we',
    "will",
    'win"',
    '"no',
    'deal"',
    "battle",
    "lasted",
    "city",
    "port",
    "ferry",
    "strike",
]


def _vocabulary(texts: list[str]) -> Vocabulary:
    vocab = Vocabulary()
    for text in texts:
        vocab.add_document(text)
    return vocab


def _assert_bounded(
    query: str, passage: str, cosine: float, vocab: Vocabulary
) -> tuple[float, float]:
    """Both bounds the engine tries (without and with the exact details) hold; the second is
    never looser than the first."""
    q, p = TextProfile.build(query, vocab), TextProfile.build(passage, vocab)
    real, _ = score(pair_signals(q, p, cosine=cosine, vocab=vocab), DEFAULT_WEIGHTS)
    upper = lexical_bound(q, p, vocab)
    bound = score_bound(q, upper, cosine, DEFAULT_WEIGHTS)
    detailed = score_bound(q, upper, cosine, DEFAULT_WEIGHTS, detail_signals(q, p, vocab))
    assert bound >= real - 1e-12, (query, passage, cosine, bound, real)
    assert detailed >= real - 1e-12, (query, passage, cosine, detailed, real)
    assert detailed <= bound + 1e-12, (query, passage, cosine, detailed, bound)
    return bound, detailed


def test_the_bound_holds_on_every_pair_of_demo_sentences_and_prunes_many() -> None:
    texts = [
        span.text
        for path in sorted(DEMO.glob("*"))
        if path.suffix in {".txt", ".md", ".html"}
        for span in split_passages(extract_file(path.read_bytes(), name=path.name).text)
    ]
    assert len(texts) > 50
    vocab = _vocabulary(texts)
    rng = random.Random(5)
    sample = rng.sample(texts, 60)
    pairs = [
        _assert_bounded(a, b, rng.uniform(0.0, 1.0), vocab) for a in sample[:30] for b in sample
    ]
    # A bound that is always high would be safe but useless: most unrelated pairs fall
    # below the store floor, and more once their numbers, dates and names are known.
    plain = sum(bound < 0.1 for bound, _ in pairs)
    detailed = sum(bound < 0.1 for _, bound in pairs)
    assert plain > len(pairs) // 4
    assert detailed > plain


@settings(max_examples=300, deadline=None)
@given(
    query=st.lists(st.sampled_from(_POOL), min_size=1, max_size=12).map(" ".join),
    passage=st.lists(st.sampled_from(_POOL), min_size=1, max_size=25).map(" ".join),
    cosine=st.floats(min_value=-1.0, max_value=1.0),
)
def test_the_bound_holds_on_generated_texts(query: str, passage: str, cosine: float) -> None:
    vocab = _vocabulary([query, passage, "the port said the aid was sent", "a city"])
    _assert_bounded(query, passage, cosine, vocab)


@settings(max_examples=300, deadline=None)
@given(
    query=st.lists(st.sampled_from(_POOL), min_size=1, max_size=12).map(" ".join),
    passage=st.lists(st.sampled_from(_POOL), min_size=1, max_size=25).map(" ".join),
)
def test_counted_details_are_the_lists_counted(query: str, passage: str) -> None:
    """The engine bounds most pairs with found_counts(); only pairs still in the running get
    the lists (with labels for the review screen). Both must agree."""
    vocab = _vocabulary([query, passage])
    q, p = TextProfile.build(query, vocab), TextProfile.build(passage, vocab)
    lists = [numbers(q, p), dates(q, p)]
    expected = tuple((len(f["match"]), len(f["conflict"]), len(f["missing"])) for f in lists)
    assert found_counts(q, p) == expected
