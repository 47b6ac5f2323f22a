"""The PNG chart of a bench run: how each cost grows with size, and the headline figures."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt

TARGET_P95_MS = 150
TARGET_RECALL = 0.95
TARGET_LOAD_RATIO = 0.7


def _log_axes(ax: Any, xlabel: str, ylabel: str, title: str) -> None:
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)


def _matching(ax: Any, rows: list[dict[str, Any]]) -> None:
    sizes = [r["passages"] for r in rows]
    ax.plot(sizes, [r["p50_ms"] for r in rows], "o-", label="p50")
    ax.plot(sizes, [r["p95_ms"] for r in rows], "s-", label="p95")
    ax.axhline(TARGET_P95_MS, color="red", ls="--", lw=1, label="p95 target")
    _log_axes(ax, "passages", "ms", "Claim matching: new mention → candidates stored")
    # a linear scale from zero, so that flat growth and the distance to the target both show
    ax.set_yscale("linear")
    ax.set_ylim(0, 1.15 * max([TARGET_P95_MS, *(r["p95_ms"] for r in rows)]))
    ax.legend(fontsize=8)


def _recall(ax: Any, rows: list[dict[str, Any]]) -> None:
    sizes = [r["passages"] for r in rows]
    ax.plot(sizes, [r["recall"] for r in rows], "o-", color="green", label="recall@k")
    ax.plot(sizes, [r.get("recall_at_10", r["recall"]) for r in rows], "s--", label="recall@10")
    ax.axhline(TARGET_RECALL, color="red", ls="--", lw=1, label="target")
    last = rows[-1] if rows else {}
    k, lists, probes = (last.get(key, "?") for key in ("k", "lists", "probes"))
    title = f"IVFFlat recall vs exact ({probes} of {lists} lists probed at the largest size)"
    _log_axes(ax, "passages", f"recall@{k}", title)
    low = min([0.8, *(r["recall"] for r in rows), *(r.get("recall_at_10", 1) for r in rows)])
    ax.set_ylim(low - 0.02, 1.005)
    ax.legend(fontsize=8)


def _retrieval(ax: Any, rows: list[dict[str, Any]]) -> None:
    sizes = [r["passages"] for r in rows]
    ax.plot(sizes, [r["ann_p50_ms"] for r in rows], "o-", label="IVFFlat p50")
    ax.plot(sizes, [r["exact_p50_ms"] for r in rows], "s-", label="exact (no index) p50")
    ax.set_yscale("log")
    _log_axes(ax, "passages", "ms", "Nearest-passage query time")
    ax.legend(fontsize=8)


def _sweep(ax: Any, rows: list[dict[str, Any]]) -> None:
    """Recall against latency at the largest size, one point per ivfflat.probes."""
    if not rows or not rows[-1].get("probes_sweep"):
        ax.axis("off")
        return
    last = rows[-1]
    sweep = last["probes_sweep"]
    ax.plot([r["p50_ms"] for r in sweep], [r["recall"] for r in sweep], "o-")
    for r in sweep:
        mark = " (engine)" if r["probes"] == last.get("probes") else ""
        ax.annotate(f"probes={r['probes']}{mark}", (r["p50_ms"], r["recall"]), fontsize=7)
    ax.axhline(TARGET_RECALL, color="red", ls="--", lw=1)
    ax.set_xlabel("IVFFlat query p50, ms")
    ax.set_ylabel(f"recall@{last['k']}")
    title = f"ivfflat.probes sweep at {last['passages']:,} passages ({last.get('lists')} lists)"
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)


def _breakdown(ax: Any, rows: list[dict[str, Any]]) -> None:
    """Where a match's time goes at each size: model, database, rest."""
    rows = [r for r in rows if r.get("breakdown")]
    labels = [f"{r['passages']:,}" for r in rows]
    bottom = [0.0] * len(rows)
    for part, colour in (("model_ms", "#36c"), ("db_ms", "#c63"), ("other_ms", "#888")):
        values = [max(0.0, r["breakdown"][part]) for r in rows]
        ax.bar(labels, values, bottom=bottom, color=colour, label=part.removesuffix("_ms"))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xlabel("passages")
    ax.set_ylabel("mean ms per match")
    ax.set_title("Where a match's time goes", fontsize=10)
    ax.legend(fontsize=8)


def _fill(ax: Any, rows: list[dict[str, Any]]) -> None:
    sizes = [r["size"] for r in rows]
    ax.plot(sizes, [r["insert_s"] for r in rows], "o-", label="COPY rows (+tsvector)")
    names = sorted({n for r in rows for n in r["index_build_s"]})
    for name in names:
        ax.plot(sizes, [r["index_build_s"].get(name, 0) for r in rows], "s-", label=f"build {name}")
    _log_axes(ax, "passages after step", "seconds", "Bulk load per growth step")
    ax.legend(fontsize=7)


def _export(ax: Any, export: dict[str, Any]) -> None:
    sizes = sorted(int(s) for s in export)
    formats = sorted({f for s in export.values() for f in s})
    for fmt in formats:
        peaks = [export[str(s)][fmt]["peak_mb"] for s in sizes]
        rate = export[str(sizes[-1])][fmt]["rows_per_s"]
        ax.plot(sizes, peaks, "o-", label=f"{fmt}: {rate:,.0f} rows/s")
    _log_axes(ax, "claims exported", "peak MB over baseline", "Claim-table export memory")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)


def _loading(ax: Any, loading: dict[str, Any]) -> None:
    """Seconds for the same number of articles: the model alone, the pipeline in the worker's
    pool (wall time), and one article after another, by stage; each pipeline bar carries its
    share of the IVFFlat rebuild on top, as the load ratios count it."""
    workers = loading.get("load_workers", "?")
    pooled, sequential = f"pipeline,\n{workers} processes", "pipeline,\nsequential"
    ax.bar(["model\nalone"], [loading.get("load_embed_bulk_s", 0)], color="#36c")
    ax.bar([pooled], [loading.get("load_pipeline_s", 0)], color="#c63")
    bottom = 0.0
    stages = loading.get("load_stage_s", {})
    for (name, seconds), colour in zip(stages.items(), ["#888", "#c63", "#3a3"], strict=False):
        ax.bar([sequential], [seconds], bottom=[bottom], color=colour, label=name)
        bottom += seconds
    ax.bar(
        [pooled, sequential],
        [
            loading.get("load_index_rebuild_charge_s", 0),
            loading.get("load_sequential_index_rebuild_charge_s", 0),
        ],
        bottom=[loading.get("load_pipeline_s", 0), bottom],
        color="#639",
        label="IVFFlat rebuild (amortized)",
    )
    ax.set_ylabel("seconds for the loaded articles")
    ax.set_title(
        f"Loading: ratio {loading.get('load_ratio', '?')} ({workers} processes), "
        f"{loading.get('load_ratio_sequential', '?')} (sequential)\nIVFFlat rebuild included",
        fontsize=10,
    )
    ax.tick_params(axis="x", labelsize=7)
    ax.legend(fontsize=7)


def _api(ax: Any, api: dict[str, Any]) -> None:
    detail = {k: v for k, v in api.get("api_detail", {}).items() if isinstance(v, dict)}
    names = list(detail)
    ax.bar(names, [detail[n]["p50_ms"] for n in names], label="p50")
    ax.bar(
        names,
        [detail[n]["p95_ms"] - detail[n]["p50_ms"] for n in names],
        bottom=[detail[n]["p50_ms"] for n in names],
        label="p95",
    )
    clients = api.get("api_setup", {}).get("clients", "?")
    ax.set_title(f"API, {clients} clients: errors = {api.get('api_errors')}", fontsize=10)
    ax.set_ylabel("ms")
    ax.tick_params(axis="x", labelsize=7)
    ax.legend(fontsize=8)


def _summary(ax: Any, result: dict[str, Any]) -> None:
    ax.axis("off")
    keys = [
        "passages", "load_ratio", "load_ratio_without_rebuild", "match_p50_ms", "match_p95_ms",
        "hnsw_recall", "ann_index", "ann_lists", "ann_probes", "export_rows_per_s",
        "export_peak_mb", "api_p95_ms", "api_errors", "seconds",
    ]  # fmt: skip
    lines = [f"{k}: {result.get(k)}" for k in keys]
    marks = {True: "met", False: "MISSED", None: "not measured"}
    lines += ["", *(f"{name}: {marks[ok]}" for name, ok in result.get("targets", {}).items())]
    lines += [""]
    for note in result.get("notes", []):
        lines += textwrap.wrap(note, 120, initial_indent="- ", subsequent_indent="  ")
    ax.text(0, 1, "\n".join(lines), va="top", family="monospace", fontsize=7, wrap=True)


def draw(result: dict[str, Any], path: Path) -> Path:
    fig = plt.figure(figsize=(16, 17))
    grid = fig.add_gridspec(4, 3, height_ratios=[1, 1, 1, 0.8])
    _matching(fig.add_subplot(grid[0, 0]), result.get("match_by_size", []))
    _recall(fig.add_subplot(grid[0, 1]), result.get("recall_by_size", []))
    _retrieval(fig.add_subplot(grid[0, 2]), result.get("recall_by_size", []))
    _fill(fig.add_subplot(grid[1, 0]), result.get("fill_by_size", []))
    export_ax = fig.add_subplot(grid[1, 1])
    if result.get("export_by_size"):
        _export(export_ax, result["export_by_size"])
    _loading(fig.add_subplot(grid[1, 2]), result.get("loading", {}))
    _api(fig.add_subplot(grid[2, 0]), result.get("api", {}))
    _sweep(fig.add_subplot(grid[2, 1]), result.get("recall_by_size", []))
    _breakdown(fig.add_subplot(grid[2, 2]), result.get("match_by_size", []))
    _summary(fig.add_subplot(grid[3, :]), result)
    fig.suptitle(f"Claimtrack bench, {result.get('passages'):,} passages", fontsize=13)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
