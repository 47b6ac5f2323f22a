"""A project's vocabulary (IDF, lower-case words, aliases) and the text profiles built with
it, as a process keeps it in its project memo (`memo.py`).

The memo is keyed by the project's matching version, so a worker never uses a stale
vocabulary; when the version moves on, the articles added, reprocessed or removed since, and
an alias table changed, are counted again (`counts.py`), not the whole project.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Q, QuerySet

from annotations.models import Article, ProcessingState
from claims.matching import counts
from claims.matching.counts import ArticleStats
from claims.matching.memo import embed_cached, embed_windows_cached, project_memo
from claims.matching.signals import TextProfile, Vocabulary
from claims.models import Alias

__all__ = ["ProjectContext", "embed_cached", "embed_windows_cached", "project_context"]

# Text profiles kept per project context; cleared when the vocabulary changes.
PROFILE_CACHE_SIZE = 100_000


@dataclass
class ProjectContext:
    """The vocabulary of one project and the profiles built with it."""

    project_id: int
    vocab: Vocabulary
    articles: dict[int, ArticleStats] = field(default_factory=dict)
    alias_rows: tuple[tuple[str, str], ...] = ()
    discover: bool = True
    ready: bool = False
    # (count, last processed_at, highest id) of the processed articles last synced.
    fingerprint: tuple[Any, ...] = ()
    # Bumped when the alias table is rebuilt; text profiles are valid as long as it holds.
    aliases_version: int = 0
    # The alias pairs the counted articles declare, with how many declare each: kept as
    # articles come and go, so a sync need not walk every article of a large archive.
    discovered: Counter[tuple[str, str]] = field(default_factory=Counter)
    # The counted articles per language; the commonest is the vocabulary's (Vocabulary.language).
    languages: Counter[str] = field(default_factory=Counter)
    _profiles: dict[tuple[str, str], tuple[int, TextProfile]] = field(default_factory=dict)
    # Claim queries built with this context (queries.claim_queries), by claim, wording and
    # alias-table version: every new article is matched against the same claims.
    queries: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def profile(self, text: str, language: str | None = None) -> TextProfile:
        """A text's profile in `language` (None: the project's main language); it depends on
        the alias table only, so it outlives new articles."""
        key = (text, language or self.vocab.language)
        cached = self._profiles.get(key)
        if cached is not None and cached[0] == self.aliases_version:
            return cached[1]
        if len(self._profiles) > PROFILE_CACHE_SIZE:
            self._profiles.clear()
        built = TextProfile.build(text, self.vocab, key[1])
        self._profiles[key] = (self.aliases_version, built)
        return built

    def language_of(self, article_id: int) -> str:
        """The language of a counted article; the project's main one for any other."""
        stats = self.articles.get(article_id)
        return stats.language if stats is not None else self.vocab.language


def project_context(project_id: int, *, discover_aliases_in_text: bool = True) -> ProjectContext:
    """The project's context for its current matching version: the memo's, brought up to
    date if the version moved on."""
    part = "context" if discover_aliases_in_text else "context-without-discovery"
    return project_memo(project_id).get(
        part, lambda held: _up_to_date(project_id, held, discover_aliases_in_text)
    )


def _up_to_date(project_id: int, known: ProjectContext | None, discover: bool) -> ProjectContext:
    """`known` (the context of an earlier version, or None) synced with the project's
    processed articles and aliases: only what changed is read when the stamps allow it."""
    rows = tuple(
        Alias.objects.filter(Q(project_id=project_id) | Q(project__isnull=True))
        .order_by("pk")
        .values_list("canonical", "variant")
    )
    processed = Article.objects.filter(
        project_id=project_id, processing_state=ProcessingState.PROCESSED
    )
    # The latest processed_at and id (two index look-ups) tell whether an article came or was
    # reprocessed (reprocessing sets a new processed_at); the count, that one went away.
    fingerprint = (
        processed.count(),
        *processed.aggregate(last=Max("processed_at"), top=Max("pk")).values(),
    )
    unchanged = known is not None and known.alias_rows == rows and known.fingerprint == fingerprint
    if known is not None and known.ready and unchanged:
        return known
    context = (
        known
        if known is not None
        else ProjectContext(project_id, Vocabulary(), alias_rows=rows, discover=discover)
    )
    # An editor's alias added, changed or removed: the counts of the articles it can
    # change are redone (counts._realias), not those of the whole project.
    realias = context.alias_rows != rows
    context.alias_rows = rows
    delta = _delta(processed, context, fingerprint) if known is not None else None
    if delta is not None:
        counts.sync(context, delta, complete=False, realias=realias)
    else:
        counts.sync(context, dict(_stamp_rows(processed)), realias=realias)
    context.fingerprint = fingerprint
    return context


def _stamp_rows(articles: QuerySet[Article]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(processed_at, revision, language) by article: the language last, where _sync reads it."""
    rows = articles.values_list("pk", "processed_at", "revision", "language")
    for pk, processed_at, revision, language in rows:
        yield pk, (processed_at, revision, language)


def _delta(
    processed: QuerySet[Article], known: ProjectContext, fingerprint: tuple[Any, ...]
) -> dict[int, tuple[Any, ...]] | None:
    """The stamps of the articles processed since this process last looked (one indexed
    query, not a row per article of a large archive), when they account for the fingerprint:
    no article went away. None otherwise: then every stamp is read."""
    if not known.ready or not known.fingerprint or known.fingerprint[1] is None:
        return None
    delta = dict(_stamp_rows(processed.filter(processed_at__gt=known.fingerprint[1])))
    count, _, top = fingerprint
    new = sum(1 for pk in delta if pk not in known.articles)
    highest = max([known.fingerprint[2] or 0, *delta])
    if len(known.articles) + new != count or (count and highest != top):
        return None
    return delta
