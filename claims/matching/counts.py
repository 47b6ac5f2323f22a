"""A project's word counts in PostgreSQL: what the IDF weights, the lower-case words, the alias
pairs articles declare and the project's main language are read from (migration claims/0005).

A count step (`count`) brings the stored counts up to date with the project's processed
articles and alias table, once for every process:
1. Compare the fingerprint of the processed articles and the editors' alias rows with those
   last counted; if both hold, stop (one small query).
2. Take the project's count lock (its row of claims_termcountstate): one step at a time.
3. Find the counted articles gone or changed (their stamp: processed_at, revision, language)
   and the processed articles not counted yet; uncount the former by what their rows say
   they added; read the passages of the latter.
4. Work out the alias table after the step (editors' rows, then the pairs the articles still
   counted declare). If it differs from the one counted with, recount the articles that may
   name a variant it adds, drops or re-points (they hold every word of it); any other article
   is rewritten the same way by both tables, so its counts stand.
5. Count the new articles with that table; write the net change to the counts, to the log
   under the next sequence number, and each article's contribution to its row.
A process holding the counts of step s applies the log from s on (`changes_since`); one that
holds none reads the totals (`read`).
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from annotations.models import Passage, ProcessingState
from claims.matching.normalizers import AliasTable, discover_aliases, fold, words
from claims.matching.signals import lexical_terms

# What is counted, by kind: passages per term; articles per lower-case word, per declared alias
# pair ("variant<SEP>canonical"), per language; passages counted (term "").
TERM, LOWER, ALIAS, LANGUAGE, DOCS = range(5)
SEP = "\x1f"
# Log rows kept per project: a process further behind reads the totals again.
LOG_KEEP = 1_000

Key = tuple[int, str]
Rows = tuple[tuple[str, str], ...]


@dataclass
class Totals:
    """The counts of one step: its sequence number, the editors' alias rows counted with."""

    seq: int
    alias_rows: Rows
    counts: Counter[Key]


def alias_table(rows: Iterable[tuple[str, str]], declared: Counter[Key] | None) -> AliasTable:
    """Editors' aliases first; pairs the articles declare are added where they do not clash."""
    table = AliasTable.from_pairs(rows)
    for variant, canonical in declared_pairs(declared or Counter()):
        table.add(canonical, variant)
    return table


def declared_pairs(counts: Counter[Key]) -> list[tuple[str, str]]:
    pairs = [term.split(SEP, 1) for (kind, term), n in counts.items() if kind == ALIAS and n > 0]
    return sorted((a, b) for a, b in pairs)


# What a count step compares, in one statement: the editors' alias rows (the project's and
# the global ones, oldest first), a fingerprint of the processed articles (their count, latest
# processed_at and highest id: an article came, was reprocessed or went away), and the state
# last counted (no row before the project's first step).
_INPUTS = """
SELECT
  (SELECT coalesce(json_agg(json_build_array(canonical, variant) ORDER BY id), '[]')::text
   FROM claims_alias WHERE project_id = %(p)s OR project_id IS NULL),
  (SELECT concat_ws('|', count(id), max(processed_at), max(id)) FROM annotations_article
   WHERE project_id = %(p)s AND processing_state = %(processed)s),
  s.seq, s.alias_rows::text, s.fingerprint
FROM (SELECT 1) AS one
LEFT JOIN claims_termcountstate s ON s.project_id = %(p)s AND s.discover = %(d)s
"""

_STATE = """
SELECT seq, alias_rows::text FROM claims_termcountstate
WHERE project_id = %s AND discover = %s FOR UPDATE
"""


def count(project_id: int, discover: bool) -> int:
    """Bring the project's stored counts up to date (steps 1-5); the sequence number."""
    params: dict[str, int | bool | str] = {
        "p": project_id,
        "d": discover,
        "processed": ProcessingState.PROCESSED.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(_INPUTS, params)
        rows_text, fingerprint, seq, counted_rows, counted_fingerprint = cursor.fetchone()
    rows = _rows(rows_text)
    if seq is not None and _rows(counted_rows) == rows and counted_fingerprint == fingerprint:
        return int(seq)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO claims_termcountstate (project_id, discover) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                [project_id, discover],
            )
            cursor.execute(_STATE, [project_id, discover])
            seq, counted_rows = cursor.fetchone()
        _Step(project_id, discover, int(seq), _rows(counted_rows), rows).run()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE claims_termcountstate SET fingerprint = %s "
                "WHERE project_id = %s AND discover = %s RETURNING seq",
                [fingerprint, project_id, discover],
            )
            return int(cursor.fetchone()[0])


def _rows(text: str) -> Rows:
    return tuple((a, b) for a, b in json.loads(text))


# The processed articles' stamps as stored with their counts.
_STAMP = "concat_ws('|', a.processed_at, a.revision, a.language)"
_STALE = f"""
SELECT t.article_id, t.kinds, t.terms, t.ns FROM claims_articleterms t
LEFT JOIN annotations_article a
  ON a.id = t.article_id AND a.project_id = t.project_id AND a.processing_state = %(processed)s
WHERE t.project_id = %(project)s AND t.discover = %(discover)s
  AND (a.id IS NULL OR t.stamp <> {_STAMP})
"""
_NEW = f"""
SELECT a.id, {_STAMP}, a.language FROM annotations_article a
LEFT JOIN claims_articleterms t ON t.article_id = a.id AND t.discover = %(discover)s
WHERE a.project_id = %(project)s AND a.processing_state = %(processed)s
  AND (t.article_id IS NULL OR t.stamp <> {_STAMP})
"""
_TOTALS = """
SELECT kind, term, n FROM claims_termcount
WHERE project_id = %s AND discover = %s AND kind = ANY(%s)
"""


class _Step:
    """One count step under the project's count lock (steps 3-5 of the module's docstring)."""

    def __init__(
        self, project_id: int, discover: bool, seq: int, counted_rows: Rows, rows: Rows
    ) -> None:
        self.project_id, self.discover, self.seq = project_id, discover, seq
        self.counted_rows, self.rows = counted_rows, rows
        self.params: dict[str, Any] = {
            "project": project_id,
            "discover": discover,
            "processed": ProcessingState.PROCESSED,
        }
        self.delta: Counter[Key] = Counter()
        self.written: dict[int, tuple[str, Counter[Key], list[int]]] = {}

    def run(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(_STALE, self.params)
            stale = {pk: _unpacked(kinds, terms, ns) for pk, kinds, terms, ns in cursor}
            cursor.execute(_NEW, self.params)
            new = {pk: (stamp, language) for pk, stamp, language in cursor}
        if not stale and not new and self.counted_rows == self.rows:
            return
        declared = self._totals([ALIAS]) if self.discover else Counter()
        old_table = alias_table(self.counted_rows, declared)
        texts = passage_texts(list(new))
        for contribution in stale.values():
            self.delta.subtract(contribution)
            declared.subtract({k: n for k, n in contribution.items() if k[0] == ALIAS})
        found = {pk: self._declared(texts[pk]) for pk in new}
        for pairs in found.values():
            declared.update(pairs)
        table = alias_table(self.rows, declared)
        if table.key() != old_table.key():
            self._recount(old_table, table, exclude=set(stale) | set(new))
        for pk, (stamp, language) in new.items():
            contribution = contribution_of(texts[pk], table, language) + found[pk]
            self.delta.update(contribution)
            self.written[pk] = (stamp, contribution, tokens("\n".join(map(fold, texts[pk]))))
        self._write(gone=[pk for pk in stale if pk not in new])

    def _declared(self, texts: list[str]) -> Counter[Key]:
        if not self.discover:
            return Counter()
        return Counter(
            (ALIAS, a + SEP + b) for text in texts for a, b in discover_aliases(fold(text))
        )

    def _totals(self, kinds: list[int]) -> Counter[Key]:
        with connection.cursor() as cursor:
            cursor.execute(_TOTALS, [self.project_id, self.discover, kinds])
            return Counter({(kind, term): n for kind, term, n in cursor})

    def _recount(self, old: AliasTable, new: AliasTable, exclude: set[int]) -> None:
        """Count again, with the `new` table, the counted articles that may name a variant
        the two tables read differently."""
        needles = [tokens(v) for v in changed_variants(old, new)]
        if not needles:
            return
        where = ""
        params: list[Any] = [self.project_id, self.discover]
        if all(needles):  # a variant without letters: any article may name it
            where = " AND (" + " OR ".join(["tokens @> %s::integer[]"] * len(needles)) + ")"
            params += needles
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT article_id, stamp, kinds, terms, ns, tokens FROM claims_articleterms "
                f"WHERE project_id = %s AND discover = %s{where}",
                params,
            )
            named = {row[0]: row for row in cursor if row[0] not in exclude}
        texts = passage_texts(list(named))
        for pk, (_, stamp, kinds, terms, ns, hashes) in named.items():
            before = _unpacked(kinds, terms, ns)
            language = next(term for kind, term in before if kind == LANGUAGE)
            kept = Counter({k: n for k, n in before.items() if k[0] != TERM})
            after = contribution_of(texts[pk], new, language, terms_only=True) + kept
            self.delta.update(after)
            self.delta.subtract(before)
            self.written[pk] = (stamp, after, list(hashes))

    def _write(self, gone: list[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval('claims_termcount_step')")
            seq = int(cursor.fetchone()[0])
        change = sorted((k, n) for k, n in self.delta.items() if n)
        kinds, terms, ns = (
            [k for (k, _), _ in change],
            [t for (_, t), _ in change],
            [n for _, n in change],
        )
        base = [self.project_id, self.discover]
        with connection.cursor() as cursor:
            # in key order, so two steps (which the count lock already serialises) never
            # wait on each other's rows the other way round
            cursor.execute(_UPSERT, [*base, kinds, terms, ns])
            if any(n < 0 for n in ns):  # only a count that went down can reach zero
                cursor.execute(_PRUNE_ZEROS, [*base, kinds, terms])
            if gone:
                cursor.execute(_FORGET, [*base, gone])
            for pk, (stamp, contribution, hashes) in sorted(self.written.items()):
                cursor.execute(_ARTICLE, [pk, *base, stamp, *_packed(contribution), hashes])
            cursor.execute(_LOG, [*base, seq, self.seq, kinds, terms, ns])
            cursor.execute(_PRUNE_LOG, [*base, *base, LOG_KEEP])
            cursor.execute(
                "UPDATE claims_termcountstate SET seq = %s, alias_rows = %s "
                "WHERE project_id = %s AND discover = %s",
                [seq, json.dumps(self.rows), *base],
            )


_UPSERT = """
INSERT INTO claims_termcount AS c (project_id, discover, kind, term, n)
SELECT %s, %s, k, t, n FROM unnest(%s::smallint[], %s::text[], %s::bigint[]) AS u(k, t, n)
ON CONFLICT (project_id, discover, kind, term) DO UPDATE SET n = c.n + excluded.n
"""
_PRUNE_ZEROS = """
DELETE FROM claims_termcount WHERE project_id = %s AND discover = %s
  AND (kind, term) IN (SELECT * FROM unnest(%s::smallint[], %s::text[])) AND n = 0
"""
_FORGET = """
DELETE FROM claims_articleterms WHERE project_id = %s AND discover = %s AND article_id = ANY(%s)
"""
_ARTICLE = """
INSERT INTO claims_articleterms (article_id, project_id, discover, stamp, kinds, terms, ns, tokens)
VALUES (%s, %s, %s, %s, %s::smallint[], %s::text[], %s::bigint[], %s::integer[])
ON CONFLICT (article_id, discover) DO UPDATE SET project_id = excluded.project_id,
  stamp = excluded.stamp, kinds = excluded.kinds, terms = excluded.terms, ns = excluded.ns,
  tokens = excluded.tokens
"""
_LOG = """
INSERT INTO claims_termlog (project_id, discover, seq, prev, kinds, terms, ns)
VALUES (%s, %s, %s, %s, %s::smallint[], %s::text[], %s::bigint[])
"""
_PRUNE_LOG = """
DELETE FROM claims_termlog WHERE project_id = %s AND discover = %s AND seq <= (
    SELECT seq FROM claims_termlog WHERE project_id = %s AND discover = %s
    ORDER BY seq DESC OFFSET %s LIMIT 1
)
"""


def _unpacked(kinds: list[int], terms: list[str], ns: list[int]) -> Counter[Key]:
    return Counter({(k, t): n for k, t, n in zip(kinds, terms, ns, strict=True)})


def _packed(counts: Counter[Key]) -> tuple[list[int], list[str], list[int]]:
    items = sorted(counts.items())
    return [k for (k, _), _ in items], [t for (_, t), _ in items], [n for _, n in items]


def contribution_of(
    texts: list[str], table: AliasTable, language: str, *, terms_only: bool = False
) -> Counter[Key]:
    """What an article's passages add to the counts (its declared aliases apart)."""
    found: Counter[Key] = Counter()
    lower: set[str] = set()
    for text in texts:
        folded = fold(text)
        found.update((TERM, t) for t in set(lexical_terms(folded, table, language)))
        lower.update(w.lower() for w in words(folded) if w.islower())
    if terms_only:
        return found
    found.update((LOWER, w) for w in lower)
    found[(LANGUAGE, language)] = 1
    found[(DOCS, "")] = len(texts)
    return found


def passage_texts(article_ids: list[int]) -> dict[int, list[str]]:
    texts: dict[int, list[str]] = {pk: [] for pk in article_ids}
    for article_id, text in (
        Passage.objects.filter(article_id__in=article_ids)
        .order_by("article_id", "ordinal")
        .values_list("article_id", "text")
    ):
        texts[article_id].append(text)
    return texts


def changed_variants(old: AliasTable, new: AliasTable) -> set[str]:
    """Variants that one table replaces and the other does not, or replaces differently."""
    variants = set(old.canonical) | set(new.canonical)
    return {
        v
        for v in variants
        if (v in old.canonical) != (v in new.canonical) or old.resolve(v) != new.resolve(v)
    }


# Runs of letters: where a variant matches (whole words, any case), each of its runs of
# letters is a run of letters of the text too, so a text lacking one cannot name it.
_LETTERS = re.compile(r"[a-z]+")


def tokens(folded: str) -> list[int]:
    """The distinct runs of letters of a folded text, lower-cased, as sorted 32-bit hashes that
    every process computes alike (a collision only makes an article a candidate)."""
    hashes = {zlib.crc32(run.encode()) for run in _LETTERS.findall(folded.lower())}
    return sorted(h - (1 << 32) if h >= 1 << 31 else h for h in hashes)


def read(project_id: int, discover: bool) -> Totals:
    """The stored totals and the step they belong to, in one statement (one snapshot)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT -1, s.alias_rows::text, s.seq FROM claims_termcountstate s "
            "WHERE s.project_id = %(p)s AND s.discover = %(d)s UNION ALL "
            "SELECT kind, term, n FROM claims_termcount WHERE project_id = %(p)s "
            "AND discover = %(d)s",
            {"p": project_id, "d": discover},
        )
        totals = Totals(0, (), Counter())
        for kind, term, n in cursor:
            if kind == -1:
                totals.seq, totals.alias_rows = int(n), _rows(term)
            else:
                totals.counts[(kind, term)] = n
    return totals


def changes_since(project_id: int, discover: bool, seq: int) -> Totals | None:
    """The net change of the steps after step `seq`, with the latest step's number and alias
    rows; None when the log does not lead from `seq` to the latest step (pruned, or `seq` was
    a step that rolled back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.seq, s.alias_rows::text, l.seq, l.prev, l.kinds, l.terms, l.ns "
            "FROM claims_termcountstate s LEFT JOIN claims_termlog l ON l.project_id = "
            "s.project_id AND l.discover = s.discover AND l.seq > %(seq)s "
            "WHERE s.project_id = %(p)s AND s.discover = %(d)s ORDER BY l.seq",
            {"p": project_id, "d": discover, "seq": seq},
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    latest, alias_rows = int(rows[0][0]), _rows(rows[0][1])
    change: Counter[Key] = Counter()
    at = seq
    for _, _, step, prev, kinds, terms, ns in rows:
        if step is None or step > latest:
            break
        if prev != at:
            return None
        change.update(_unpacked(kinds, terms, ns))
        at = step
    return Totals(latest, alias_rows, change) if at == latest else None
