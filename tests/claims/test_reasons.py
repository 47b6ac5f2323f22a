"""The review card's reasons line: stored signals in an editor's words."""

from __future__ import annotations

from claims.reasons import Reason, likelihood, reasons


def _texts(signals: dict) -> list[str]:
    return [r.text for r in reasons(signals)]


def test_same_numbers_and_a_name_variant_read_as_agreement() -> None:
    found = reasons(
        {
            "semantic": 0.74,
            "numbers": {"match": ["seven months"], "conflict": [], "missing": []},
            "actors": {"match": [], "variant": [["Bakhmut", "Artyomovsk"]], "missing": []},
        }
    )
    assert found == [
        Reason("same numbers: seven months", False),
        Reason("names Bakhmut as Artyomovsk", False),
    ]


def test_a_number_conflict_says_both_sides_and_comes_first() -> None:
    signals = {
        "lexical": {"shared": ["battle", "bloodiest"], "query_coverage": 0.5},
        "numbers": {"match": [], "conflict": [["6 months", "7 months"]], "missing": []},
    }
    assert reasons(signals) == [
        Reason("says 7 months where the claim says 6 months", True),
        Reason("shared words: battle, bloodiest", False),
    ]


def test_missing_details_and_actor_conflicts_are_against() -> None:
    signals = {
        "dates": {"match": ["2023"], "missing": ["March 2022"]},
        "actors": {
            "match": ["Zelensky"],
            "missing": ["Putin", "Prigozhin"],
            "conflict": [["Putin", ["Lavrov", "Peskov"]]],
        },
    }
    assert _texts(signals) == [
        "does not mention March 2022",
        "names Lavrov, Peskov instead of Putin",
        "does not name Prigozhin",
        "same dates: 2023",
        "names Zelensky",
    ]
    assert [r.negative for r in reasons(signals)] == [True, True, True, False, False]


def test_quote_and_shared_words_are_capped() -> None:
    signals = {"quote": 0.93, "lexical": {"shared": ["a1", "b2", "c3", "d4", "e5", "f6"]}}
    assert _texts(signals) == ["quotes the same words", "shared words: a1, b2, c3, d4"]
    assert _texts({"quote": 0.4}) == []


def test_odd_or_empty_signals_give_no_reasons_and_no_error() -> None:
    assert reasons({}) == []
    assert reasons({"numbers": "7", "actors": None, "lexical": [], "quote": True}) == []
    assert _texts({"numbers": {"conflict": [["only one side"]], "match": "x"}}) == []


def test_score_reads_as_a_percentage() -> None:
    assert likelihood(0.734) == "73% likely"
    assert likelihood(1.2) == "100% likely"
    assert likelihood(None) == ""
