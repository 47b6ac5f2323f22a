"""Small helpers shared by the measurements: percentiles and random passages of a project."""

from __future__ import annotations

import random

from django.db import connection

from annotations.models import Project


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def random_passages(
    project: Project, count: int, rng: random.Random
) -> list[tuple[int, int, int, str]]:
    """(article_id, start, end, text) of `count` passages of the project drawn at random.

    Draws ids in the id range and keeps those of the project: no ORDER BY random() over a
    million rows.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(p.id), max(p.id) FROM annotations_passage p JOIN annotations_article a "
            "ON a.id = p.article_id WHERE a.project_id = %s",
            [project.pk],
        )
        low, high = cursor.fetchone()
        if low is None:
            return []
        ids = rng.sample(range(low, high + 1), k=min(count * 3, high - low + 1))
        cursor.execute(
            "SELECT p.article_id, p.start, p.end, p.text FROM annotations_passage p "
            "JOIN annotations_article a ON a.id = p.article_id "
            "WHERE a.project_id = %s AND p.id = ANY(%s) ORDER BY p.id",
            [project.pk, ids],
        )
        rows = [tuple(r) for r in cursor.fetchall()]
    rng.shuffle(rows)
    return rows[:count]
