"""The two evaluation protocols of shared/eval/README.md, run in-process on the real code path.

Articles are loaded with `article_create` + `article_process`, claims are marked with
`annotation_create` or created with `claim_create`, and candidates come from the engine's
`match_claim` / `match_article` - the functions the Celery tasks call. Everything happens in a
throwaway project inside one transaction that is rolled back at the end: nothing is left behind
(even if the run is interrupted) and no task is published, because the outbox publishes on
commit only.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.db import transaction

from annotations.models import Article, Project
from annotations.services import article_create, article_process
from claims.matching.baselines import BASELINES, Row
from claims.matching.config import matching_config
from claims.matching.context import embed_cached
from claims.matching.engine import claims_index, match_article, match_claim
from claims.matching.eval_tally import ArticleTally, MentionTally, overlaps
from claims.models import MatchCandidate
from claims.services import annotation_create, claim_create
from common.errors import Conflict

T = TypeVar("T")
Progress = Callable[[Iterable[T], str, int], Iterable[T]]


@dataclass(frozen=True)
class GoldMention:
    article: str
    start: int
    end: int


@dataclass
class GoldClaim:
    id: str
    statement: str
    mentions: list[GoldMention]


@dataclass
class Gold:
    name: str
    articles: dict[str, tuple[str, str]]  # id -> (outlet, text)
    claims: list[GoldClaim]
    warnings: list[str] = field(default_factory=list)

    def mentions_in(self, claim: GoldClaim, article: str) -> list[GoldMention]:
        return [m for m in claim.mentions if m.article == article]


def load_gold(path: Path) -> Gold:
    """Read a gold file; article paths are relative to it, offsets index the text as read."""
    data = json.loads(path.read_text(encoding="utf-8"))
    articles: dict[str, tuple[str, str]] = {}
    for item in data["articles"]:
        text = (path.parent / item["path"]).read_text(encoding="utf-8")
        articles[str(item["id"])] = (item.get("outlet", ""), text)
    gold = Gold(name=data.get("name", path.stem), articles=articles, claims=[])
    for item in data["claims"]:
        mentions = []
        for m in item.get("mentions", []):
            mention = GoldMention(str(m["article"]), int(m["start"]), int(m["end"]))
            text = articles[mention.article][1]
            if "quote" in m and text[mention.start : mention.end] != m["quote"]:
                gold.warnings.append(f"{item['id']}: quote differs from the text at its offsets")
            mentions.append(mention)
        gold.claims.append(GoldClaim(str(item["id"]), item["statement"], mentions))
    return gold


def _project(gold: Gold, protocol: str) -> Project:
    suffix = uuid.uuid4().hex[:8]
    return Project.objects.create(
        name=f"Evaluation {gold.name} ({protocol}) {suffix}",
        slug=f"evaluation-{protocol}-{suffix}",
        description="Throwaway project of evaluate_matching; rolled back at the end.",
    )


def _load_article(project: Project, outlet: str, text: str) -> Article:
    """The normal loading path; a text already loaded (syndicated copy) maps to that article."""
    try:
        article = article_create(project=project, text=text, outlet=outlet)
    except Conflict as exc:
        return Article.objects.get(pk=int(str(exc.extra["article_id"])))
    article_process(article_id=article.pk)
    return article


def _candidates(**filters: Any) -> list[Row]:
    """(claim, article, start, end, score, signals) of the passage candidates matching
    `filters`."""
    rows = MatchCandidate.objects.filter(passage__isnull=False, **filters).values_list(
        "claim_id", "article_id", "start", "end", "score", "signals"
    )
    return [(c, a or 0, s or 0, e or 0, v, sig) for c, a, s, e, v, sig in rows]


class Proposer:
    """Where the protocols get their candidates: the engine (match_claim / match_article, the
    functions the Celery tasks call), or with `baseline` a plain ranker of baselines.py."""

    def __init__(self, baseline: str | None = None) -> None:
        self.baseline = BASELINES[baseline] if baseline else None

    def for_claim(
        self, project: Project, claim_id: int, wordings: list[str], article: Article
    ) -> list[Row]:
        if self.baseline is not None:
            return self.baseline(project.pk).claim_rows(claim_id, wordings, article.pk)
        match_claim(claim_id=claim_id)
        return _candidates(claim_id=claim_id)

    def for_article(self, project: Project, article_id: int) -> list[Row]:
        if self.baseline is not None:
            return self.baseline(project.pk).article_rows(article_id)
        match_article(article_id=article_id)
        return _candidates(article_id=article_id)


def run_mentions(
    gold: Gold,
    progress: Progress,
    report: list[dict[str, Any]],
    project: Project,
    articles: dict[str, Article] | None = None,
    proposer: Proposer | None = None,
    collect: list[dict[str, Any]] | None = None,
) -> dict[str, float]:
    """Protocol `mentions`: mark each gold mention alone, match, score proposals elsewhere.

    `articles`: the gold articles already loaded in `project` (after the articles protocol);
    otherwise they are loaded here. Each mention is marked on a fresh claim inside a savepoint
    that is rolled back after its candidates are read, so runs never see each other.
    """
    threshold = matching_config(project.matching_settings)["match_threshold"]
    proposer = proposer or Proposer()
    if articles is None:
        articles = {
            gid: _load_article(project, outlet, text)
            for gid, (outlet, text) in progress(
                gold.articles.items(), "loading articles", len(gold.articles)
            )
        }
    # One embedding batch for every wording the runs will use (the engine's cache keeps them).
    embed_cached([c.statement for c in gold.claims])
    runs = [(c, m) for c in gold.claims for m in c.mentions]
    tally = MentionTally()
    for claim, mention in progress(runs, "mentions", len(runs)):
        savepoint = transaction.savepoint()
        annotation = annotation_create(
            article=articles[mention.article],
            start=mention.start,
            end=mention.end,
            statement=claim.statement,
        )
        marked = articles[mention.article]
        quote = marked.text[mention.start : mention.end]
        rows = proposer.for_claim(project, annotation.claim_id, [claim.statement, quote], marked)
        transaction.savepoint_rollback(savepoint)
        for other, article in articles.items():
            if other == mention.article or article.pk == articles[mention.article].pk:
                continue
            golds = gold.mentions_in(claim, other)
            ranked = sorted((r for r in rows if r[1] == article.pk), key=lambda r: -r[4])
            if collect is not None:
                collect += [
                    {
                        **_pair(gold, "mentions", claim, other, r, overlaps(r[2], r[3], golds)),
                        "marked": mention.article,
                    }
                    for r in ranked
                ]
            counted = tally.add(ranked, golds, threshold)
            report.append(
                {"claim": claim.id, "from": mention.article, "in": other, "gold": bool(golds)}
                | counted
            )
    return tally.metrics()


def run_articles(
    gold: Gold,
    progress: Progress,
    report: list[dict[str, Any]],
    project: Project,
    loaded: dict[str, Article],
    proposer: Proposer | None = None,
    collect: list[dict[str, Any]] | None = None,
) -> dict[str, float]:
    """Protocol `articles`: every claim tracked from its statement, then articles arrive one by
    one. The articles loaded are put in `loaded` (the mentions protocol can reuse them)."""
    threshold = matching_config(project.matching_settings)["match_threshold"]
    proposer = proposer or Proposer()
    claim_pk: dict[str, int] = {}
    for claim in progress(gold.claims, "tracking claims", len(gold.claims)):
        claim_pk[claim.id] = claim_create(project=project, statement=claim.statement).pk
    # The claim tasks would embed each claim; with no article yet that is all they would do
    # for passages, so the statements are embedded here in batches instead.
    claims_index(list(claim_pk.values()))
    by_pk = {pk: claim for claim in gold.claims for pk in [claim_pk[claim.id]]}
    tally = ArticleTally()
    for gid, (outlet, text) in progress(gold.articles.items(), "articles", len(gold.articles)):
        article = loaded[gid] = _load_article(project, outlet, text)
        rows = proposer.for_article(project, article.pk)
        golds = {c.id: gold.mentions_in(c, gid) for c in gold.claims if gold.mentions_in(c, gid)}
        if collect is not None:
            collect += [
                _pair(
                    gold,
                    "articles",
                    by_pk[r[0]],
                    gid,
                    r,
                    overlaps(r[2], r[3], golds.get(by_pk[r[0]].id, [])),
                )
                for r in rows
            ]
        gold_id = {pk: claim.id for pk, claim in by_pk.items()}
        report.append({"article": gid} | tally.add(rows, golds, gold_id, threshold))
    return tally.metrics()


def _pair(
    gold: Gold, protocol: str, claim: GoldClaim, article: str, row: Row, label: bool
) -> dict[str, Any]:
    """One scored pair, for fitting the scorer (scorer.fit) and checking its calibration."""
    return {
        "event": gold.name,
        "protocol": protocol,
        "claim": claim.id,
        "article": article,
        "span": [row[2], row[3]],
        "score": row[4],
        "signals": row[5],
        "label": bool(label),
    }


def evaluate(
    gold: Gold,
    protocols: list[str],
    progress: Progress,
    *,
    matching_settings: dict[str, Any] | None = None,
    baseline: str | None = None,
    collect: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, dict[str, float]], dict[str, list[dict[str, Any]]]]:
    """Run the protocols in one transaction that is rolled back: the project vanishes.

    With both protocols the articles protocol runs first and the mentions protocol then uses
    the same project, where every gold article is by then loaded: each article is segmented
    and embedded once. The tracked claims there do not affect a mention run, whose candidates
    are those of its own fresh claim.

    `matching_settings`: the throwaway project's (e.g. a scorer fitted without this event);
    `baseline`: rank with a plain ranker instead of the engine; `collect`: receives every
    candidate read, with its signals and whether it is right (for fitting the scorer).
    """
    reports: dict[str, list[dict[str, Any]]] = {p: [] for p in protocols}
    results: dict[str, dict[str, float]] = {}
    proposer = Proposer(baseline)
    with transaction.atomic():
        project = _project(gold, "-".join(protocols))
        if matching_settings:
            project.matching_settings = matching_settings
            project.save(update_fields=["matching_settings"])
        loaded: dict[str, Article] = {}
        if "articles" in protocols:
            results["articles"] = run_articles(
                gold, progress, reports["articles"], project, loaded, proposer, collect
            )
        if "mentions" in protocols:
            results["mentions"] = run_mentions(
                gold, progress, reports["mentions"], project, loaded or None, proposer, collect
            )
        transaction.set_rollback(True)
    metrics: dict[str, dict[str, float]] = {
        p: results[p] for p in ("mentions", "articles") if p in results
    }
    return metrics, reports
