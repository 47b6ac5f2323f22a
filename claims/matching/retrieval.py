"""Candidate generation in PostgreSQL: pgvector cosine kNN and full-text search.

Retrieval only decides what gets scored; it is generous (recall first) because scoring is where
precision comes from. Both indexes live in the database, so every web and worker process shares
them (Passage.embedding IVFFlat, Claim.embedding HNSW, Passage.search_vector /
Claim.search_vector GIN).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import F, QuerySet, Window
from django.db.models.functions import Least, RowNumber
from pgvector.django import CosineDistance

from annotations.models import TEXT_SEARCH_CONFIG, Passage, half_embedding
from annotations.services.vector_index import search_probes
from claims.matching.normalizers import STOPWORDS, AliasTable, fold, stem
from claims.matching.project_vectors import ProjectClaims, marked_passages, project_claims
from claims.matching.signals import Vocabulary, lexical_terms
from claims.models import Claim

__all__ = [
    "ProjectClaims",
    "claims_for_passages",
    "claims_near_claim",
    "nearest_per_article",
    "passages_for_claim",
    "project_claims",
    "text_query",
]

# The rarest words of a query text used in the full-text query (any two of them must occur).
MAX_QUERY_WORDS = 8
# At most this many groups of shared words in one full-text query; see text_query.
MAX_GROUPS = 15
# Passages a full-text query may be expected to match (and rank); see text_query.
TEXT_MATCH_BUDGET = 300
# ... and may rank at most, whatever the estimate said.
MAX_RANKED = 500
# A word in more than this share of a project's passages (and more than the minimum number)
# is too common to retrieve by.
COMMON_WORD_SHARE = 0.01
COMMON_WORD_MIN_DOCS = 2_000
_TERM = re.compile(r"[a-z0-9]{2,}")


# The HNSW candidate list of a claim search (claims; passages use IVFFlat, whose probes come
# from annotations.services.vector_index), as a multiple of k. pgvector caps it at 1000.
EF_SEARCH_PER_K = 16
MAX_EF_SEARCH = 1000


def ef_search(k: int) -> int:
    return min(MAX_EF_SEARCH, max(40, EF_SEARCH_PER_K * k))


def _tune_ann(ef: int) -> None:
    """Let the HNSW scan (claims) look further than its default 40 and the IVFFlat scan
    (passages) read the lists vector_index says, for recall and so that a project filter
    (applied after the index scan) still leaves k rows; pgvector >= 0.8 can also iterate
    either scan. One statement (transaction-local settings): it runs before every search."""
    settings = "set_config('hnsw.ef_search', %s, true), set_config('ivfflat.probes', %s, true)"
    if _iterative_scans():
        settings += (
            ", set_config('hnsw.iterative_scan', 'relaxed_order', true)"
            ", set_config('ivfflat.iterative_scan', 'relaxed_order', true)"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {settings}", [str(ef), str(search_probes())])


@functools.cache
def _iterative_scans() -> bool:
    """Whether the server's pgvector (>= 0.8) has iterative index scans (asked once)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_to_array(extversion, '.')::int[] >= '{0,8}' FROM pg_extension "
            "WHERE extname = 'vector'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _nearest(
    queryset: QuerySet, vectors: Sequence[np.ndarray], k: int, column: Any = "embedding"
) -> list[int]:
    """Ids of the k rows nearest each vector by cosine of `column` (passages: their vectors as
    halfvec, the expression their index is built on)."""
    ids: dict[int, None] = {}
    with transaction.atomic(savepoint=False):
        _tune_ann(ef_search(k))
        for vector in vectors:
            rows = (
                queryset.annotate(distance=CosineDistance(column, vector))
                .order_by("distance")
                .values_list("pk", flat=True)[:k]
            )
            ids.update(dict.fromkeys(rows))
    return list(ids)


def text_query(text: str, vocab: Vocabulary | None = None) -> SearchQuery | None:
    """Passages sharing at least two of the text's rarest content words (stemmed by
    PostgreSQL's english configuration); with fewer than three such words, any of them.

    Requiring a pair of rare words keeps the rows to rank few in a project of millions of
    passages, where one common word matches a large share of them; a passage that shares a
    single word with the claim is left to the semantic retrieval. With the project's word
    frequencies (`vocab`): words in more than COMMON_WORD_SHARE of a large project's passages
    are left out (reading their index entries costs more than they tell), and where pairs
    would still be expected to match more than TEXT_MATCH_BUDGET passages, three or four
    shared words are asked for instead, and the rarest words are kept to at most MAX_GROUPS
    groups.
    """
    # English function words are left out whatever the article's language: the search vectors
    # use the english configuration, which drops most of them (a pair holding one would match
    # as the other word alone).
    terms = [t for t in _TERM.findall(fold(text).lower()) if t not in STOPWORDS]
    terms = list(dict.fromkeys(terms))
    if vocab is not None:
        frequency = {t: _document_frequency(t, vocab) for t in terms}
        common = max(COMMON_WORD_MIN_DOCS, COMMON_WORD_SHARE * vocab.n_docs)
        # rarest first; words the project never uses (as counted) last: they can match only
        # through a spelling the count folds away (an alias variant)
        terms = sorted(
            (t for t in terms if frequency[t] <= common),
            key=lambda t: (frequency[t] == 0, frequency[t]),
        )
    terms = terms[:MAX_QUERY_WORDS]
    if not terms:
        return None
    if len(terms) < 3:
        raw = " | ".join(terms)
    else:
        size = _conjunction_size(terms, vocab)
        # In a large project GIN checks every group for each of the many rows holding any of
        # the words, so the cost grows with the groups: keep the rarest words whose groups
        # stay within MAX_GROUPS (6 words in pairs, 5 in threes, 6 in fours).
        large = vocab is not None and vocab.n_docs > COMMON_WORD_MIN_DOCS
        while large and len(terms) > size and math.comb(len(terms), size) > MAX_GROUPS:
            terms = terms[:-1]
        raw = " | ".join(
            "(" + " & ".join(group) + ")" for group in itertools.combinations(terms, size)
        )
    return SearchQuery(raw, search_type="raw", config=TEXT_SEARCH_CONFIG)


def _document_frequency(word: str, vocab: Vocabulary) -> int:
    """Passages of the project with the word, as the vocabulary counts it (number words are
    counted as digits there)."""
    terms = lexical_terms(word, AliasTable(), vocab.language) or [stem(word, vocab.language)]
    return vocab.df.get(terms[0], 0)


def _conjunction_size(terms: list[str], vocab: Vocabulary | None) -> int:
    """The fewest shared words (2 to 4) whose expected matches, if words occurred
    independently at their document frequencies, stay within TEXT_MATCH_BUDGET."""
    if vocab is None or vocab.n_docs <= TEXT_MATCH_BUDGET:
        return 2
    n = vocab.n_docs
    rates = [(_document_frequency(t, vocab) + 1) / n for t in terms]
    for size in (2, 3):
        expected = n * sum(math.prod(group) for group in itertools.combinations(rates, size))
        if expected <= TEXT_MATCH_BUDGET:
            return size
    return min(4, len(terms))


def _best_text_matches(
    queryset: QuerySet, texts: Iterable[str], k: int, vocab: Vocabulary | None = None
) -> list[int]:
    """The k rows ranked best by ts_rank among at most MAX_RANKED rows that match (words
    are not independent, so an estimate can be far off: the cap bounds the work)."""
    ids: dict[int, None] = {}
    for text in texts:
        query = text_query(text, vocab)
        if query is None:
            continue
        matching = queryset.filter(search_vector=query).values("pk")[:MAX_RANKED]
        rows = (
            queryset.model.objects.filter(pk__in=matching)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank")
            .values_list("pk", flat=True)[:k]
        )
        ids.update(dict.fromkeys(rows))
    return list(ids)


def passages_for_claim(
    *,
    project_id: int,
    vectors: Sequence[np.ndarray],
    texts: Sequence[str],
    k: int,
    vocab: Vocabulary | None = None,
) -> list[int]:
    """Passages of the project near any wording of the claim, by meaning or by words."""
    passages = Passage.objects.filter(article__project_id=project_id)
    near = _nearest(passages.exclude(embedding=None), vectors, k, half_embedding())
    lexical = _best_text_matches(passages, texts, k, vocab)
    return list(dict.fromkeys(near + lexical))


def nearest_per_article(
    *, project_id: int, vectors: Sequence[np.ndarray], ids: Sequence[int], per_article: int
) -> list[int]:
    """In each article of the passages `ids`, its `per_article` passages nearest to any of
    `vectors` by the stored embedding: what a plain embedding ranking would put first there."""
    if not ids or not vectors:
        return []
    articles = Passage.objects.filter(pk__in=ids).values("article_id")
    distances = [CosineDistance("embedding", v) for v in vectors]
    distance = distances[0] if len(distances) == 1 else Least(*distances)
    ranked = (
        Passage.objects.filter(article__project_id=project_id, article_id__in=articles)
        .exclude(embedding=None)
        .annotate(rank=Window(RowNumber(), partition_by=F("article_id"), order_by=distance.asc()))
        .filter(rank__lte=per_article)
    )
    return list(ranked.values_list("pk", flat=True))


# match_article retrieves for all passages of the new articles in one statement per method
# (LATERAL joins), instead of one round trip per passage; the claims nearest each passage, and
# the marked passages nearest it, are found in memory (project_vectors).
_CLAIMS_SHARING_WORDS = """
SELECT p.id, c.id FROM annotations_passage p
CROSS JOIN LATERAL (
    SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS query
    FROM unnest(tsvector_to_array(p.search_vector)) AS lexeme
) q
CROSS JOIN LATERAL (
    SELECT c.id FROM claims_claim c
    WHERE c.project_id = %(project)s AND c.search_vector @@ q.query
    ORDER BY ts_rank(c.search_vector, q.query) DESC LIMIT %(k)s
) c
WHERE p.article_id = ANY(%(articles)s) AND q.query IS NOT NULL
"""


def claims_for_passages(
    *,
    project_id: int,
    vectors: dict[int, np.ndarray],
    articles: dict[int, int],
    k: int,
    min_cosine: float = 0.5,
    claims: ProjectClaims | None = None,
) -> dict[int, set[int]]:
    """Tracked claims each passage of new articles may state: passage id -> claim ids.

    `vectors`: the articles' passages (id -> unit vector); `articles`: passage id -> its
    article; `claims`: project_claims(), when the caller has read them already.
    1. Claims whose statement is near the passage (exact kNN over the claims' vectors).
    2. Claims whose statement shares words with the passage (full-text search).
    3. Claims with a mention in another article near the passage (cosine >= min_cosine):
       the claim's own wording there may be closer to this article's than its statement is.
    """
    found: dict[int, set[int]] = {}
    params: dict[str, Any] = {
        "project": project_id,
        "articles": sorted(set(articles.values())),
        "k": k,
    }
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # One scan per passage of the articles: a short candidate list keeps loading cheap;
        # these lists only suggest claims, every one is then scored on all the passages.
        cursor.execute(_CLAIMS_SHARING_WORDS, params)
        for passage_id, claim_id in cursor.fetchall():
            found.setdefault(passage_id, set()).add(claim_id)
    if not vectors:
        return found
    ids = list(vectors)
    passages = np.stack([vectors[pk] for pk in ids])
    claims = claims if claims is not None else project_claims(project_id)
    if len(claims.ids) and k:
        nearest = np.argsort(-(passages @ claims.vectors.T), axis=1, kind="stable")[:, :k]
        for row, passage_id in enumerate(ids):
            found.setdefault(passage_id, set()).update(claims.ids[nearest[row]].tolist())
    marked = marked_passages(project_id)
    if not len(marked.claim_ids):
        return found
    cosines = passages @ marked.vectors.T
    for row, passage_id in enumerate(ids):
        # a mark in the passage's own article is the claim's mention there, not a neighbour
        others = np.flatnonzero(marked.article_ids != articles[passage_id])
        nearest = others[np.argsort(-cosines[row, others])[: max(5, k // 2)]]
        near = marked.claim_ids[nearest[cosines[row, nearest] >= min_cosine]]
        if len(near):
            found.setdefault(passage_id, set()).update(int(c) for c in near)
    return found


def claims_near_claim(
    *, claim: Claim, vector: np.ndarray, k: int, vocab: Vocabulary | None = None
) -> list[int]:
    """Other claims of the project whose statement is near this one's, by meaning or words."""
    others = Claim.objects.filter(project_id=claim.project_id).exclude(pk=claim.pk)
    found = _nearest(others.exclude(embedding=None), [vector], k)
    found += _best_text_matches(others, [claim.statement], k, vocab)
    return list(dict.fromkeys(found))
