"""The counts behind the evaluation's metrics (evaluation.run_mentions, run_articles)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from claims.matching.baselines import Row
    from claims.matching.evaluation import GoldMention


def overlaps(start: int, end: int, mentions: list[GoldMention]) -> bool:
    return any(start < m.end and m.start < end for m in mentions)


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass
class MentionTally:
    """Counts of the mentions protocol over every (marked mention, other article) pair."""

    pairs: int = 0
    hits1: int = 0
    hits5: int = 0
    found: int = 0
    correct: int = 0
    proposed: int = 0

    def add(self, ranked: list[Row], golds: list[GoldMention], threshold: float) -> dict[str, int]:
        """Count one article's candidates (best first) for one marked mention."""
        accepted = [r for r in ranked if r[4] >= threshold]
        good = [overlaps(r[2], r[3], golds) for r in accepted]
        self.proposed += len(accepted)
        self.correct += sum(good)
        if golds:
            self.pairs += 1
            top = [overlaps(r[2], r[3], golds) for r in ranked[:5]]
            self.hits1 += bool(top[:1] and top[0])
            self.hits5 += any(top)
            self.found += any(good)
        return {"proposed": len(accepted), "correct": sum(good)}

    def metrics(self) -> dict[str, float]:
        precision = self.correct / self.proposed if self.proposed else 0.0
        recall = self.found / self.pairs if self.pairs else 0.0
        return {
            "recall_at_1": self.hits1 / self.pairs if self.pairs else 0.0,
            "recall_at_5": self.hits5 / self.pairs if self.pairs else 0.0,
            "precision": precision,
            "recall": recall,
            "f1": f1(precision, recall),
        }


@dataclass
class ArticleTally:
    """Counts of the articles protocol over every article loaded."""

    ap_sum: float = 0.0
    ap_n: int = 0
    at5: int = 0
    at5_n: int = 0
    found: int = 0
    found_n: int = 0
    correct: int = 0
    proposed: int = 0

    def add(
        self,
        rows: list[Row],
        golds: dict[str, list[GoldMention]],
        gold_id: dict[int, str],
        threshold: float,
    ) -> dict[str, Any]:
        """Count one article's candidates (`gold_id`: claim pk -> gold claim id); returns its
        report line's counts."""
        best: dict[str, float] = defaultdict(float)
        hit: dict[str, bool] = defaultdict(bool)
        for claim_id, _, start, end, value, _ in rows:
            gc = gold_id[claim_id]
            best[gc] = max(best[gc], value)
            if value >= threshold:
                ok = gc in golds and overlaps(start, end, golds[gc])
                self.proposed += 1
                self.correct += ok
                hit[gc] |= ok
        top5 = sorted(best, key=lambda c: -best[c])[:5]
        if golds:
            hits, precision_sum = 0, 0.0
            for rank, ranked_claim in enumerate(top5, start=1):
                if ranked_claim in golds:
                    hits += 1
                    precision_sum += hits / rank
            self.ap_sum += precision_sum / min(len(golds), 5)
            self.ap_n += 1
        self.at5 += sum(1 for c in golds if c in top5)
        self.at5_n += len(golds)
        self.found += sum(1 for c in golds if hit[c])
        self.found_n += len(golds)
        return {
            "gold": len(golds),
            "top5": top5,
            "found": sum(1 for c in golds if hit[c]),
            "proposed": sum(1 for r in rows if r[4] >= threshold),
            "missed": sorted(c for c in golds if not hit[c]),
            "wrong": sorted({gold_id[r[0]] for r in rows if r[4] >= threshold} - set(golds)),
        }

    def metrics(self) -> dict[str, float]:
        precision = self.correct / self.proposed if self.proposed else 0.0
        recall = self.found / self.found_n if self.found_n else 0.0
        return {
            "map_at_5": self.ap_sum / self.ap_n if self.ap_n else 0.0,
            "recall_at_5": self.at5 / self.at5_n if self.at5_n else 0.0,
            "precision": precision,
            "recall": recall,
            "f1": f1(precision, recall),
        }
