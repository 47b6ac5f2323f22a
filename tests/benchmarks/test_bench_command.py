"""Smoke test of `manage.py bench` at a tiny size: it runs end to end, reports every result key
with a sane value on its last line, draws its chart and leaves no database behind.

Timings are never asserted: they depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent.parent
REQUIRED_KEYS = {
    "load_ratio",
    "match_p50_ms",
    "match_p95_ms",
    "hnsw_recall",  # the passage IVFFlat's recall: the name is kept for external checkers
    "ann_index",
    "ann_lists",
    "ann_probes",
    "load_ratio_without_rebuild",
    "load_index_rebuild_charge_s",
    "export_rows_per_s",
    "export_peak_mb",
    "api_p95_ms",
    "api_errors",
    "passages",
}


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, int]:
    out = tmp_path_factory.mktemp("bench")
    command = ["manage.py", "bench", "--passages", "500", "--skip-slow", "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, *command],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr[-4000:]
    return json.loads(stdout.strip().splitlines()[-1]), out, proc.pid


def test_bench_prints_every_result_key_as_json_on_its_last_line(bench_run: tuple) -> None:
    result, _, _ = bench_run
    assert result.keys() >= REQUIRED_KEYS
    assert result["passages"] == 500
    assert set(result["targets"]) >= {"load_ratio >= 0.7", "api_errors == 0"}


def test_bench_figures_are_sane(bench_run: tuple) -> None:
    result, _, _ = bench_run
    assert result["load_ratio"] > 0
    loading = result["loading"]
    # both runs loaded their articles; the pool's ran in the worker's two processes
    assert loading["load_workers"] == 2
    assert loading["load_pipeline_s"] > 0 and loading["load_sequential_s"] > 0
    assert len(loading["load_ratio_by_round"]) == 3 and min(loading["load_ratio_by_round"]) > 0
    assert loading["load_pool_stage_s"]["segment_embed_index"] > 0
    # every article loaded was matched, by its own matching task or by another's run
    assert loading["load_pool_stage_s"]["match"] > 0
    assert loading["load_articles_left_waiting"] == 0
    assert loading["load_ratio_sequential"] > 0
    assert 0 < result["loading"]["load_ratio_ceiling_store_index"] <= 1
    assert result["loading"]["load_store_index_ms_per_passage"] > 0
    # the amortized IVFFlat rebuild is charged, so it can only lower the ratios
    assert loading["load_index_rebuild_build_s"] > 0 and loading["load_index_rebuild_rows"] >= 500
    assert loading["load_index_rebuild_charge_s"] > 0
    assert loading["load_ratio"] <= loading["load_ratio_without_rebuild"]
    assert loading["load_ratio_sequential"] <= loading["load_ratio_sequential_without_rebuild"]
    assert 0 < result["match_p50_ms"] <= result["match_p95_ms"]
    assert 0 <= result["hnsw_recall"] <= 1
    assert result["export_rows_per_s"] > 0
    assert result["export_peak_mb"] >= 0
    assert result["api_p95_ms"] > 0
    assert result["api_errors"] == 0
    assert [row["passages"] for row in result["match_by_size"]] == [500]


def test_bench_measures_the_passage_ivfflat_index(bench_run: tuple) -> None:
    result, _, _ = bench_run
    assert result["ann_index"] == "ivfflat"
    # below 10^4 passages the index keeps one list, which every search reads
    assert result["ann_lists"] == 1 and result["ann_probes"] == 1
    # (whether the planner uses the index on 500 rows is its choice: not asserted)
    assert [row["probes"] for row in result["recall_by_size"][-1]["probes_sweep"]] == [1]
    assert result["fill_by_size"][-1]["ann_lists"] == 1
    assert "passage_embedding_ivfflat" in result["fill_by_size"][-1]["index_build_s"]
    assert any("IVFFlat" in note and "hnsw_recall" in note for note in result["notes"])


def test_bench_writes_its_chart(bench_run: tuple) -> None:
    _, out, _ = bench_run
    chart = out / "bench-500.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.django_db
def test_bench_drops_its_database(bench_run: tuple) -> None:
    _, _, pid = bench_run
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [f"claimtrack_bench_{pid}"])
        assert cursor.fetchone() is None
