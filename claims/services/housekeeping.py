"""Housekeeping of the matching's own tables: the word counts of projects that are gone.

The count tables (claims.matching.counts) carry no foreign keys, so that an article's row
outlives the article until a count step uncounts it. A deleted project has no count step
again: its rows are deleted here, on the nightly schedule.
"""

from __future__ import annotations

from django.db import connection, transaction

# The tables keyed by project_id, children of claims_termcountstate last: a count step that
# starts meanwhile for a project being deleted finds no state row and starts afresh.
_COUNT_TABLES = (
    "claims_termlog",
    "claims_articleterms",
    "claims_termcount",
    "claims_termcountstate",
)


def term_counts_forget_deleted_projects() -> int:
    """Delete the count rows of every project that no longer exists; the rows deleted."""
    deleted = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for table in _COUNT_TABLES:
            cursor.execute(
                f"DELETE FROM {table} t WHERE NOT EXISTS "
                "(SELECT 1 FROM annotations_project p WHERE p.id = t.project_id)"
            )
            deleted += cursor.rowcount
    return deleted
