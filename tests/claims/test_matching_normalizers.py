"""The matcher's normalizers on their own: numbers, durations, dates, names and aliases."""

from __future__ import annotations

import pytest

from claims.matching.config import DEFAULT_WEIGHTS
from claims.matching.normalizers import (
    AliasTable,
    actors,
    clause_windows,
    discover_aliases,
    extract_dates,
    extract_quantities,
    fold,
    name_similarity,
    stem,
)
from claims.matching.scoring import score
from claims.matching.signals import TextProfile, Vocabulary, pair_signals


def labels(text: str) -> list[str]:
    folded = fold(text)
    _, spans = extract_dates(folded)
    return [q.label() for q in extract_quantities(folded, skip=spans)]


@pytest.mark.parametrize(
    "text",
    [
        "the strike has lasted nine weeks",
        "a nine-week strike",
        "the nine-week-long strike",
        "after 9 weeks of strike",
    ],
)
def test_durations_in_words_and_digits_normalise_to_the_same_quantity(text: str) -> None:
    assert labels(text) == ["9 week"]


def test_compound_number_words_and_scales_are_parsed() -> None:
    assert labels("two hundred and fifty volunteers") == ["250 volunteer"]
    assert labels("a $1.5 billion loan") == ["1500000000 usd"]
    assert labels("turnout of 62% and 40 percent") == ["62 percent", "40 percent"]
    assert labels("the dam's third year") == ["#3 year"]


def test_vague_and_article_like_numbers_are_not_quantities() -> None:
    assert labels("one notable guest arrived") == []
    assert labels("thousands of square kilometres") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the ferry sank on Oct. 3, 2019, near the port", "2019-10-03"),
        ("on 14 July 2021 the bridge opened", "2021-07-14"),
        ("elected in 2016 after a long campaign", "2016"),
        ("in March 2018 the mine closed", "2018-03"),
        ("dated 2020-02-29 in the log", "2020-02-29"),
    ],
)
def test_dates_are_read_in_common_formats(text: str, expected: str) -> None:
    found, _ = extract_dates(fold(text))
    assert [d.label() for d in found] == [expected]


def test_years_are_dates_not_quantities() -> None:
    assert labels("the mayor was elected in 2016") == []


def test_misspelled_and_inflected_names_are_variants_but_different_names_are_not() -> None:
    assert name_similarity("kowalski", "kowalsky") == 0.8
    assert name_similarity("canada", "canadian") == 0.8
    assert name_similarity("kowalski", "kowalski") == 1.0
    assert name_similarity("mali", "malta") == 0.0
    assert name_similarity("oslo", "bergen") == 0.0


def test_actors_skip_titles_function_words_and_words_used_in_lower_case() -> None:
    text = fold("Mayor Anna Kowalski said the Harbour plan failed. Critics in Dunmore agreed.")
    found = actors(text, common={"critics"})
    assert ("anna", "kowalski") in found
    assert ("dunmore",) in found
    assert ("mayor",) not in found and ("critics",) not in found


def test_alias_table_resolves_variants_to_the_canonical_name() -> None:
    table = AliasTable.from_pairs([("Port Elm", "Elmhaven"), ("Elmhaven", "Elmhafen")])
    assert table.resolve("elmhafen") == "port elm"
    assert table.normalise("Ferries left Elmhafen and elmhaven.") == (
        "Ferries left Port Elm and Port Elm."
    )


def test_articles_that_declare_another_name_give_an_alias_pair() -> None:
    text = fold("the town of Lindby, known as Lindaby in the north, and Brask (Braske)")
    assert discover_aliases(text) == [("lindby", "lindaby"), ("brask", "braske")]


def test_stemming_joins_inflections() -> None:
    assert stem("invited") == stem("invitation") == stem("invites")
    assert stem("strikes") == stem("strike")


def test_clause_windows_split_a_sentence_into_its_clauses() -> None:
    text = "While critics said the dam is unsafe, the minister insisted it would hold."
    windows = [text[a:b] for a, b in clause_windows(text)]
    assert "While critics said the dam is unsafe" in windows
    assert "the minister insisted it would hold." in windows


def _signals(claim: str, passage: str):  # type: ignore[no-untyped-def]
    vocab = Vocabulary()
    for text in (claim, passage):
        vocab.add_document(text)
    return pair_signals(
        TextProfile.build(claim, vocab), TextProfile.build(passage, vocab), cosine=0.8, vocab=vocab
    )


def test_conflicting_numbers_are_evidence_against() -> None:
    same = _signals("The strike lasted nine weeks", "The nine-week strike ended on Friday.")
    other = _signals("The strike lasted nine weeks", "The six-week strike ended on Friday.")
    assert same.numbers["match"] == ["9 week"]
    assert other.numbers["conflict"] == [["9 week", "6 week"]]
    same_score, same_parts = score(same, DEFAULT_WEIGHTS)
    other_score, other_parts = score(other, DEFAULT_WEIGHTS)
    assert other_parts["numbers"] < 0 < same_parts["numbers"]
    assert other_score < same_score


def test_conflicting_dates_are_evidence_against_and_actors_are_compared() -> None:
    signals = _signals(
        "Kowalski opened the Dunmore bridge in 2019",
        "Brennan opened the bridge in 2021, officials said.",
    )
    assert signals.dates["conflict"] == [["2019", "2021"]]
    assert "kowalski" in signals.actors["missing"]
    assert signals.actors["conflict"]
    _, parts = score(signals, DEFAULT_WEIGHTS)
    # How much a missing or replaced actor weighs is the fitted scorer's to say; a
    # contradicted date counts against whatever the fit.
    assert parts["dates"] < 0


def test_a_misspelt_name_still_counts_as_the_same_actor() -> None:
    signals = _signals("Kowalski opened the bridge", "Kowalsky opened the bridge on Monday.")
    assert signals.actors["variant"] == [["kowalski", "kowalsky"]]
    assert signals.actors["conflict"] == []


def test_a_title_between_names_does_not_split_the_actor() -> None:
    found = actors(fold("Norvian Prime Minister Anna Kowalski met Mayor Brennan in Dunmore."))
    assert ("norvian", "anna", "kowalski") in found
    assert ("brennan",) in found and ("dunmore",) in found
    assert actors(fold("The Norvian President said so.")) == [("norvian",)]


def test_a_name_of_several_words_weighs_as_one_word() -> None:
    short = _signals("Kowalski closed the harbour", "Kowalski praised the crews.")
    long = _signals(
        "Anna Maria Kowalski closed the harbour", "Anna Maria Kowalski praised the crews."
    )
    assert short.lexical["content_coverage"] == long.lexical["content_coverage"] == 0.0
    # Sharing three words of one name is no more evidence than sharing one name.
    assert long.lexical["query_coverage"] == pytest.approx(
        short.lexical["query_coverage"], abs=0.05
    )


def test_titles_count_as_naming_not_as_what_is_said() -> None:
    signals = _signals("President Kowalski closed the harbour", "President Kowalski praised crews.")
    assert signals.lexical["content_coverage"] == 0.0
    assert "president" in signals.lexical["shared"]
