"""A project's word counts, article by article: counted, uncounted, and counted again where a
change of the alias table can change them. `context.project_context` keeps the result."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from annotations.models import Passage
from claims.matching.normalizers import ENGLISH, AliasTable, discover_aliases, fold, words
from claims.matching.signals import Vocabulary, lexical_terms

if TYPE_CHECKING:
    from claims.matching.context import ProjectContext


def _no_tokens() -> np.ndarray:
    return np.zeros(0, dtype=np.uint32)


@dataclass
class ArticleStats:
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


def sync(
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
        context.articles[pk] = ArticleStats(
            stamps[pk], Counter(), 0, set(), found, language=language
        )
        context.discovered.update(found)
        context.languages[language] += 1
    if not context.ready:
        _rebuild(context, texts)
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


def _count(context: ProjectContext, stats: ArticleStats, texts: list[str]) -> None:
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
    (far smaller than the words themselves)."""
    runs = set(_LETTERS.findall(folded.lower()))
    # int64 hashes cast to uint32 keep their low 32 bits (a collision only adds a candidate)
    return np.unique(np.fromiter(map(hash, runs), np.int64, len(runs)).astype(np.uint32))


def _has_all(haystack: np.ndarray, needle: np.ndarray) -> bool:
    """Whether sorted `haystack` holds every value of sorted `needle`."""
    if len(needle) > len(haystack):
        return False
    at = np.searchsorted(haystack, needle)
    return bool(at[-1] < len(haystack) and np.array_equal(haystack[at], needle))
