"""Per-process caches the engine shares between runs: a project's vocabulary (IDF, lower-case
words, aliases), text profiles and embeddings of clauses and mentions.

Workers run many matching tasks for the same project; rebuilding these for every task would cost
more than the matching itself. Every cache checks a cheap fingerprint against the database,
so a worker never uses a stale vocabulary: articles added, reprocessed or removed, or aliases
edited, are noticed at the next run.
"""

from __future__ import annotations

import gc
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Max, Q, QuerySet

from annotations.models import EMBEDDING_DIM, Article, Passage, ProcessingState
from annotations.services.embeddings import embed, embed_with_windows
from claims.matching.normalizers import ENGLISH, AliasTable, discover_aliases, fold, words
from claims.matching.signals import TextProfile, Vocabulary, lexical_terms
from claims.models import Alias

# Embeddings of clause windows and mention texts kept per process (~1.5 kB each).
EMBEDDING_CACHE_SIZE = 50_000
# An article deleted is noticed within this many seconds (its words still count until then).
RECOUNT_SECONDS = 30.0
# Text profiles kept per project context; cleared when the vocabulary changes.
PROFILE_CACHE_SIZE = 100_000

_lock = threading.Lock()
_embeddings: OrderedDict[str, np.ndarray] = OrderedDict()


def embed_cached(texts: Sequence[str]) -> np.ndarray:
    """Unit embeddings of `texts`, computing only the ones not seen before, in one batch."""
    if not texts:  # a project with no claims yet: nothing to embed
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    with _lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _embeddings))
    if missing:
        vectors = embed(missing)
        with _lock:
            for text, vector in zip(missing, vectors, strict=True):
                _embeddings[text] = vector
            while len(_embeddings) > EMBEDDING_CACHE_SIZE:
                _embeddings.popitem(last=False)
    with _lock:
        found = [_embeddings.get(t) for t in texts]
    # A text evicted between the two steps (another thread) is embedded again on its own.
    return np.stack(
        [v if v is not None else embed([t])[0] for v, t in zip(found, texts, strict=True)]
    )


def _no_tokens() -> np.ndarray:
    return np.zeros(0, dtype=np.uint32)


@dataclass
class _ArticleStats:
    stamp: tuple[Any, ...]
    df: Counter[str]
    n_docs: int
    lower_words: set[str]
    aliases: list[tuple[str, str]]
    # The article's words as hashes (_tokens): which alias variants it may name, so a change
    # of the alias table recounts only the articles it can change (_realias).
    tokens: np.ndarray = field(default_factory=_no_tokens)
    # Its language (Article.language): which normalisers its passages are counted with.
    language: str = ENGLISH


@dataclass
class ProjectContext:
    """The vocabulary of one project and the profiles built with it."""

    project_id: int
    vocab: Vocabulary
    articles: dict[int, _ArticleStats] = field(default_factory=dict)
    alias_rows: tuple[tuple[str, str], ...] = ()
    discover: bool = True
    ready: bool = False
    # (count, last processed_at, highest id) of the processed articles last synced, and when
    # they were last counted (time.monotonic()).
    fingerprint: tuple[Any, ...] = ()
    counted_at: float = 0.0
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


_contexts: dict[int, ProjectContext] = {}


def project_context(
    project_id: int, *, discover_aliases_in_text: bool = True, recount: bool = False
) -> ProjectContext:
    """The project's context, brought up to date with its processed articles and aliases."""
    rows = tuple(
        Alias.objects.filter(Q(project_id=project_id) | Q(project__isnull=True))
        .order_by("pk")
        .values_list("canonical", "variant")
    )
    processed = Article.objects.filter(
        project_id=project_id, processing_state=ProcessingState.PROCESSED
    )
    with _lock:
        known = _contexts.get(project_id)
    reusable = (
        known is not None
        and known.ready
        and known.alias_rows == rows
        and known.discover == discover_aliases_in_text
    )
    # The latest processed_at and id (two index look-ups) tell whether an article came or was
    # reprocessed (reprocessing sets a new processed_at). Counting the articles, which tells
    # that one went away, reads them all: it is done at most every RECOUNT_SECONDS (and
    # whenever an article is matched: match_article passes recount=True).
    latest = tuple(processed.aggregate(last=Max("processed_at"), top=Max("pk")).values())
    if (
        reusable
        and known is not None
        and known.fingerprint[1:] == latest
        and not recount
        and time.monotonic() - known.counted_at < RECOUNT_SECONDS
    ):
        return known
    fingerprint = (processed.count(), *latest)
    if reusable and known is not None and known.fingerprint == fingerprint:
        known.counted_at = time.monotonic()
        return known
    delta = _delta(processed, known, fingerprint) if known is not None else None
    stamps = None if delta is not None else dict(_stamp_rows(processed))
    with _lock:
        context = _contexts.get(project_id)
        if context is None or context.discover != discover_aliases_in_text:
            context = ProjectContext(
                project_id, Vocabulary(), alias_rows=rows, discover=discover_aliases_in_text
            )
            _contexts[project_id] = context
        # An editor's alias added, changed or removed: the counts of the articles it can
        # change are redone (_realias), not those of the whole project.
        realias = context.alias_rows != rows
        context.alias_rows = rows
    if delta is not None and context is known:
        _sync(context, delta, complete=False, realias=realias)
    else:
        stamps = stamps if stamps is not None else dict(_stamp_rows(processed))
        _sync(context, stamps, realias=realias)
    context.fingerprint = fingerprint
    context.counted_at = time.monotonic()
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


def _sync(
    context: ProjectContext,
    stamps: dict[int, tuple[Any, ...]],
    *,
    complete: bool = True,
    realias: bool = False,
) -> None:
    """Bring the vocabulary up to date with the project's processed articles.

    1. Find articles added, changed (reprocessed) or removed since this process last looked.
       `stamps`: every processed article's; or (complete=False) only those processed since,
       when none went away.
    2. Uncount the changed and removed ones; read and count the added and changed ones.
    3. On first use, count everything. If the alias table changed (`realias`: the editors'
       rows; or the pairs the articles declare, "X, known as Y"), recount the articles whose
       counts it can change (_realias).
    """
    if complete:
        changed = [pk for pk, stats in context.articles.items() if stamps.get(pk) != stats.stamp]
    else:
        changed = [
            pk
            for pk, stamp in stamps.items()
            if pk in context.articles and context.articles[pk].stamp != stamp
        ]
    added = [pk for pk in stamps if pk not in context.articles or pk in changed]
    if context.ready and not changed and not added and not realias:
        return
    vocab = context.vocab
    discovered_before = _discovered(context)
    for pk in changed:
        stats = context.articles.pop(pk)
        context.discovered.subtract(stats.aliases)
        context.languages[stats.language] -= 1
        vocab.df.subtract(stats.df)
        vocab.n_docs -= stats.n_docs
    texts = _passage_texts(added)
    for pk in added:
        found = (
            [pair for text in texts[pk] for pair in discover_aliases(fold(text))]
            if context.discover
            else []
        )
        language = stamps[pk][-1]
        context.articles[pk] = _ArticleStats(
            stamps[pk], Counter(), 0, set(), found, language=language
        )
        context.discovered.update(found)
        context.languages[language] += 1
    if not context.ready:
        _rebuild(context, texts)
        # A large project's counts are hundreds of thousands of long-lived objects: out of
        # the cyclic collector's sight, each later collection no longer walks them all (a
        # full one cost ~300 ms per match at a million passages). They are still freed by
        # reference counting when the context is replaced.
        gc.freeze()
    elif realias or _discovered(context) != discovered_before:
        _realias(context, texts, added)
    else:
        for pk in added:
            _count(context, context.articles[pk], texts[pk])
        vocab.changed()
    main = [lang for lang, count in context.languages.most_common(1) if count > 0]
    context.vocab.language = main[0] if main else ENGLISH
    context.ready = True


def _passage_texts(article_ids: list[int]) -> dict[int, list[str]]:
    texts: dict[int, list[str]] = {pk: [] for pk in article_ids}
    for article_id, text in (
        Passage.objects.filter(article_id__in=article_ids)
        .order_by("article_id", "ordinal")
        .values_list("article_id", "text")
    ):
        texts[article_id].append(text)
    return texts


def _discovered(context: ProjectContext) -> list[tuple[str, str]]:
    return sorted(pair for pair, count in context.discovered.items() if count > 0)


def _alias_table(context: ProjectContext) -> AliasTable:
    """Editors' aliases first; pairs the articles declare are added where they do not clash."""
    table = AliasTable.from_pairs(context.alias_rows)
    for variant, canonical in _discovered(context):
        table.add(canonical, variant)
    return table


def _count(context: ProjectContext, stats: _ArticleStats, texts: list[str]) -> None:
    vocab = context.vocab
    folded_texts = [fold(text) for text in texts]
    for folded in folded_texts:
        stats.df.update(set(lexical_terms(folded, vocab.aliases, stats.language)))
        stats.lower_words.update(w.lower() for w in words(folded) if w.islower())
    stats.tokens = _tokens("\n".join(folded_texts))
    stats.n_docs = len(texts)
    vocab.df.update(stats.df)
    vocab.n_docs += stats.n_docs
    vocab.lower_words.update(stats.lower_words)


def _rebuild(context: ProjectContext, fresh: dict[int, list[str]]) -> None:
    """Recount every article with the current alias table."""
    texts = _passage_texts([pk for pk in context.articles if pk not in fresh])
    texts.update(fresh)
    context.vocab = Vocabulary(aliases=_alias_table(context), version=context.vocab.version + 1)
    context.aliases_version += 1
    for pk, stats in context.articles.items():
        stats.df, stats.n_docs, stats.lower_words = Counter(), 0, set()
        _count(context, stats, texts[pk])
    context.vocab.changed()


def _realias(context: ProjectContext, fresh: dict[int, list[str]], added: list[int]) -> None:
    """The alias table changed: recount the articles that name a variant added, dropped or
    pointed at another name, and count the `added` ones (their texts in `fresh`).

    Any other article is rewritten the same way by both tables (the variants it names match
    at the same places and become the same names), so its counts stand: one pair an article
    declares does not make each worker read a million passages again (~20 s). An article can
    name a variant only if it has every word of it (_tokens); a variant without letters
    (never seen in practice) makes every article a candidate."""
    old = context.vocab
    table = _alias_table(context)
    named = _naming(context, _changed_variants(old.aliases, table))
    if named is None:
        _rebuild(context, fresh)
        return
    recount = sorted(set(named) | set(added))
    texts = _passage_texts([pk for pk in recount if pk not in fresh])
    texts.update((pk, fresh[pk]) for pk in recount if pk in fresh)
    context.vocab = Vocabulary(
        df=old.df,
        n_docs=old.n_docs,
        lower_words=old.lower_words,
        aliases=table,
        version=old.version + 1,
    )
    context.aliases_version += 1
    for pk in recount:
        stats = context.articles[pk]
        context.vocab.df.subtract(stats.df)
        context.vocab.n_docs -= stats.n_docs
        stats.df, stats.n_docs = Counter(), 0
        _count(context, stats, texts[pk])
    context.vocab.changed()


def _changed_variants(old: AliasTable, new: AliasTable) -> set[str]:
    """Variants that one table replaces and the other does not, or replaces differently."""
    variants = set(old.canonical) | set(new.canonical)
    return {
        v
        for v in variants
        if (v in old.canonical) != (v in new.canonical) or old.resolve(v) != new.resolve(v)
    }


def _naming(context: ProjectContext, variants: set[str]) -> list[int] | None:
    """The articles that may name one of `variants` (a superset); None: every article."""
    needles = [_tokens(v) for v in variants]
    if any(not len(needle) for needle in needles):
        return None
    return [
        pk
        for pk, stats in context.articles.items()
        if any(_has_all(stats.tokens, needle) for needle in needles)
    ]


# Runs of letters: where a variant matches (whole words, any case), each of its runs of
# letters is a run of letters of the text too, so a text lacking one cannot name it.
_LETTERS = re.compile(r"[a-z]+")


def _tokens(folded: str) -> np.ndarray:
    """The distinct runs of letters of a folded text, lower-cased, as sorted 32-bit hashes
    (~1 kB an article, where the words themselves would take tens)."""
    runs = set(_LETTERS.findall(folded.lower()))
    # int64 hashes cast to uint32 keep their low 32 bits (a collision only adds a candidate)
    return np.unique(np.fromiter(map(hash, runs), np.int64, len(runs)).astype(np.uint32))


def _has_all(haystack: np.ndarray, needle: np.ndarray) -> bool:
    """Whether sorted `haystack` holds every value of sorted `needle`."""
    if len(needle) > len(haystack):
        return False
    at = np.searchsorted(haystack, needle)
    return bool(at[-1] < len(haystack) and np.array_equal(haystack[at], needle))


_windowed: OrderedDict[tuple[str, tuple[tuple[int, int], ...]], tuple[np.ndarray, np.ndarray]] = (
    OrderedDict()
)


def embed_windows_cached(
    texts: Sequence[str], windows: Sequence[Sequence[tuple[int, int]]]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """`embed_with_windows` for texts the database holds no vectors for (alias-normalised
    passages, passages stored before clause vectors were kept), remembered per process."""
    keys = [(t, tuple(w)) for t, w in zip(texts, windows, strict=True)]
    with _lock:
        missing = list(dict.fromkeys(k for k in keys if k not in _windowed))
    if missing:
        whole, parts = embed_with_windows([t for t, _ in missing], [list(w) for _, w in missing])
        with _lock:
            for key, vector, clauses in zip(missing, whole, parts, strict=True):
                _windowed[key] = (vector, clauses)
            while len(_windowed) > EMBEDDING_CACHE_SIZE // 4:
                _windowed.popitem(last=False)
    found = []
    for key in keys:
        with _lock:
            hit = _windowed.get(key)
        if hit is None:  # evicted by another thread meanwhile
            whole, parts = embed_with_windows([key[0]], [list(key[1])])
            hit = (whole[0], parts[0])
        found.append(hit)
    return [w for w, _ in found], [c for _, c in found]
