"""evaluate_matching on a small gold file made here (invented text): both protocols run, the
last line is the metrics JSON, and the throwaway projects are gone afterwards."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations.models import Article, Project
from claims.models import Claim, MatchCandidate

ARTICLES = {
    "a": (
        "The Dunmore ferry strike has lasted nine weeks, union leader Anna Kowalski said on "
        "Monday.\nThe harbour council plans to sell the old pier for 4 million euros.\n"
        "Tourism in the region fell sharply over the summer."
    ),
    "b": (
        "Ferry workers in Dunmore have now been on strike for 9 weeks, according to union "
        "chief Anna Kowalsky.\nCouncillors said the old pier would be sold for four million "
        "euros.\nThe weather stayed mild all autumn."
    ),
    "c": (
        "A separate strike by airport staff in Brennport lasted six weeks.\n"
        "Local schools reopened after the holidays."
    ),
}
CLAIMS = [
    (
        "C1",
        "The Dunmore ferry strike has lasted nine weeks",
        {
            "a": "The Dunmore ferry strike has lasted nine weeks",
            "b": "Ferry workers in Dunmore have now been on strike for 9 weeks",
        },
    ),
    (
        "C2",
        "The old pier will be sold for 4 million euros",
        {
            "a": "The harbour council plans to sell the old pier for 4 million euros",
            "b": "Councillors said the old pier would be sold for four million euros",
        },
    ),
    (
        "S1",
        "Airport staff in Brennport struck for six weeks",
        {"c": "A separate strike by airport staff in Brennport lasted six weeks"},
    ),
    ("D1", "The lighthouse was painted red in 1990", {}),
]


def write_gold(tmp_path):  # type: ignore[no-untyped-def]
    (tmp_path / "articles").mkdir()
    articles = []
    for key, text in ARTICLES.items():
        (tmp_path / "articles" / f"{key}.txt").write_text(text, encoding="utf-8")
        articles.append({"id": key, "path": f"articles/{key}.txt", "outlet": f"Outlet {key}"})
    claims = []
    for cid, statement, quotes in CLAIMS:
        mentions = []
        for key, quote in quotes.items():
            start = ARTICLES[key].index(quote)
            mentions.append(
                {"article": key, "quote": quote, "start": start, "end": start + len(quote)}
            )
        claims.append({"id": cid, "statement": statement, "mentions": mentions})
    path = tmp_path / "gold.json"
    path.write_text(json.dumps({"name": "test-gold", "articles": articles, "claims": claims}))
    return path


def test_evaluate_matching_prints_both_protocols_as_json_on_the_last_line(db, tmp_path) -> None:
    out = io.StringIO()
    call_command(
        "evaluate_matching",
        str(write_gold(tmp_path)),
        "--protocol",
        "both",
        "--no-progress",
        stdout=out,
    )
    lines = out.getvalue().strip().splitlines()
    metrics = json.loads(lines[-1])
    assert set(metrics) == {"mentions", "articles"}
    assert set(metrics["mentions"]) == {"recall_at_1", "recall_at_5", "precision", "recall", "f1"}
    assert set(metrics["articles"]) == {"map_at_5", "recall_at_5", "precision", "recall", "f1"}
    for values in metrics.values():
        assert all(0.0 <= v <= 1.0 for v in values.values())
    assert metrics["mentions"]["recall_at_5"] == 1.0
    assert metrics["mentions"]["f1"] >= 0.8
    assert metrics["articles"]["map_at_5"] >= 0.8
    assert "protocol" in out.getvalue()  # the readable table comes first
    assert not Project.objects.exists()
    assert not Article.objects.exists() and not Claim.objects.exists()
    assert not MatchCandidate.objects.exists()


def test_evaluate_matching_runs_one_protocol(db, tmp_path) -> None:
    out = io.StringIO()
    call_command(
        "evaluate_matching",
        str(write_gold(tmp_path)),
        "--protocol",
        "articles",
        "--no-progress",
        stdout=out,
    )
    assert set(json.loads(out.getvalue().strip().splitlines()[-1])) == {"articles"}


def _second_gold(tmp_path):  # type: ignore[no-untyped-def]
    """The same gold under another name, in a folder of its own."""
    folder = tmp_path / "second"
    folder.mkdir()
    path = write_gold(folder)
    data = json.loads(path.read_text())
    data["name"] = "test-gold-2"
    path.write_text(json.dumps(data))
    return folder


def _last_json(out: io.StringIO) -> dict:  # type: ignore[type-arg]
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_evaluate_matching_macro_averages_several_files_and_folders(db, tmp_path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    out = io.StringIO()
    call_command(
        "evaluate_matching",
        str(write_gold(first)),
        str(_second_gold(tmp_path)),
        "--no-progress",
        stdout=out,
    )
    metrics = _last_json(out)
    assert set(metrics["events"]) == {"test-gold", "test-gold-2"}
    for protocol in ("mentions", "articles"):
        for key, value in metrics[protocol].items():
            per_file = [metrics["events"][e][protocol][key] for e in metrics["events"]]
            assert abs(value - sum(per_file) / 2) < 1e-3
    assert "macro-average over 2 files" in out.getvalue()


def test_evaluate_matching_baselines_rank_through_the_same_protocols(db, tmp_path) -> None:
    path = str(write_gold(tmp_path))
    results = {}
    for baseline in ("embedding", "tfidf"):
        out = io.StringIO()
        call_command("evaluate_matching", path, "--baseline", baseline, "--no-progress", stdout=out)
        results[baseline] = _last_json(out)
        assert results[baseline]["baseline"] == baseline
        assert set(results[baseline]["mentions"]) == {
            "recall_at_1",
            "recall_at_5",
            "precision",
            "recall",
            "f1",
        }
        # the stated claims are found by a plain cosine too on text this easy
        assert results[baseline]["mentions"]["recall_at_5"] == 1.0
    # the two rankers really differ: a TF-IDF cosine of paraphrases is not the embedding's
    assert results["embedding"] != results["tfidf"]
    assert not MatchCandidate.objects.exists()


def test_evaluate_matching_cross_validates_leaving_each_event_out(db, tmp_path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    write_gold(first)
    _second_gold(tmp_path)
    out = io.StringIO()
    call_command(
        "evaluate_matching",
        str(tmp_path),
        "--cross-validate",
        "--protocol",
        "mentions",
        "--no-progress",
        stdout=out,
    )
    metrics = _last_json(out)
    assert metrics["cross_validated"] == "leave-one-event-out"
    assert set(metrics["events"]) == {"test-gold", "test-gold-2"}
    calibration = metrics["events"]["test-gold"]["calibration"]
    assert set(calibration) == {"proposals", "predicted_precision", "observed_precision"}
    assert "calibration at the threshold" in out.getvalue()
    assert not Project.objects.exists()


def test_evaluate_matching_refuses_cross_validation_of_one_file(db, tmp_path) -> None:
    with pytest.raises(CommandError, match="two or more"):
        call_command("evaluate_matching", str(write_gold(tmp_path)), "--cross-validate")
