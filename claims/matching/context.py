"""A project's vocabulary (IDF, lower-case words, aliases) and the text profiles built with
it, as a process keeps it in its project memo (`memo.py`).

The word counts live in PostgreSQL (`counts.py`): a process that has none reads their totals,
one that holds an earlier step's applies the steps since. The memo is keyed by the project's
matching version, so a worker never uses a stale vocabulary, and a new one needs no warm-up.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from annotations.models import Article, ProcessingState
from claims.matching import counts
from claims.matching.memo import embed_cached, embed_windows_cached, project_memo
from claims.matching.normalizers import ENGLISH
from claims.matching.signals import TextProfile, Vocabulary

__all__ = ["ProjectContext", "embed_cached", "embed_windows_cached", "project_context"]

# Text profiles kept per project context; cleared when the vocabulary changes.
PROFILE_CACHE_SIZE = 100_000


@dataclass
class ProjectContext:
    """The vocabulary of one project and the profiles built with it."""

    project_id: int
    vocab: Vocabulary
    discover: bool = True
    # The count step (counts.py) the vocabulary holds, and the editors' alias rows of it.
    seq: int = -1
    alias_rows: counts.Rows = ()
    # Bumped when the alias table is rebuilt; text profiles are valid as long as it holds.
    aliases_version: int = 0
    # Articles per lower-case word, per alias pair they declare ("X, known as Y": variant
    # and canonical joined by counts.SEP), per language.
    lower: Counter[str] = field(default_factory=Counter)
    declared: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    _profiles: dict[tuple[str, str], tuple[int, TextProfile]] = field(default_factory=dict)
    # Claim queries built with this context (queries.claim_queries), by claim, wording and
    # alias-table version: every new article is matched against the same claims.
    queries: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    # Languages of processed articles looked up (see language_of), for this count step.
    _languages: dict[int, str | None] = field(default_factory=dict)

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

    def know_languages(self, article_ids: list[int]) -> None:
        """Look up the languages of these articles in one query (before language_of)."""
        missing = [pk for pk in dict.fromkeys(article_ids) if pk not in self._languages]
        if not missing:
            return
        found = dict(
            Article.objects.filter(
                pk__in=missing, processing_state=ProcessingState.PROCESSED
            ).values_list("pk", "language")
        )
        self._languages.update((pk, found.get(pk)) for pk in missing)

    def language_of(self, article_id: int) -> str:
        """The language of a processed (counted) article; the project's main one for any
        other."""
        self.know_languages([article_id])
        return self._languages[article_id] or self.vocab.language


def project_context(project_id: int, *, discover_aliases_in_text: bool = True) -> ProjectContext:
    """The project's context for its current matching version: the memo's, brought up to
    date if the version moved on."""
    part = "context" if discover_aliases_in_text else "context-without-discovery"
    return project_memo(project_id).get(
        part, lambda held: _up_to_date(project_id, held, discover_aliases_in_text)
    )


def _up_to_date(project_id: int, known: ProjectContext | None, discover: bool) -> ProjectContext:
    """`known` (the context of an earlier version, or None) brought to the latest count step:
    the counts are stepped first if they lag behind the articles or aliases."""
    seq = counts.count(project_id, discover)
    if known is not None and known.seq == seq:
        known._languages.clear()
        return known
    change = counts.changes_since(project_id, discover, known.seq) if known is not None else None
    if known is None or change is None:
        totals = counts.read(project_id, discover)
        context = ProjectContext(project_id, Vocabulary(), discover=discover)
        if known is not None:
            context.aliases_version = known.aliases_version
        _apply(context, totals, fresh=True)
        return context
    _apply(known, change, fresh=False)
    known._languages.clear()
    return known


def _apply(context: ProjectContext, change: counts.Totals, *, fresh: bool) -> None:
    """Add a step's (or the totals') counts to the context; a new alias table (an editor's
    row, or pairs the articles declare) makes a new vocabulary with it."""
    vocab = context.vocab
    declared = +context.declared
    held = {
        counts.TERM: vocab.df,
        counts.LOWER: context.lower,
        counts.ALIAS: context.declared,
        counts.LANGUAGE: context.languages,
    }
    for (kind, term), n in change.counts.items():
        if kind == counts.DOCS:
            vocab.n_docs += n
            continue
        counter = held[kind]
        counter[term] += n
        if counter[term] <= 0:
            del counter[term]
            if kind == counts.LOWER:
                vocab.lower_words.discard(term)
        elif kind == counts.LOWER:
            vocab.lower_words.add(term)
    if fresh or context.alias_rows != change.alias_rows or +context.declared != declared:
        pairs = Counter({(counts.ALIAS, t): n for t, n in context.declared.items()})
        context.vocab = Vocabulary(
            df=vocab.df,
            n_docs=vocab.n_docs,
            lower_words=vocab.lower_words,
            aliases=counts.alias_table(change.alias_rows, pairs),
            version=vocab.version + 1,
        )
        context.aliases_version += 1
    main = sorted(context.languages.items(), key=lambda item: (-item[1], item[0]))
    context.vocab.language = main[0][0] if main else ENGLISH
    context.vocab.changed()
    context.seq, context.alias_rows = change.seq, change.alias_rows
