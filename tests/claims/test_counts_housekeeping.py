"""The word counts of a deleted project are deleted by the nightly housekeeping; others stay."""

from __future__ import annotations

import pytest
from django.db import connection

from annotations.models import Article, Project
from annotations.services import article_create, article_process
from claims.matching import counts
from claims.services.housekeeping import term_counts_forget_deleted_projects
from claims.tasks import forget_deleted_projects_counts
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

TABLES = ("claims_termcountstate", "claims_termcount", "claims_articleterms", "claims_termlog")


def _rows(project_id: int) -> dict[str, int]:
    found = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table} WHERE project_id = %s", [project_id])
            found[table] = cursor.fetchone()[0]
    return found


def _counted_project() -> int:
    project = ProjectFactory()
    for n, text in enumerate(["The ferry strike entered its third week.", "Ferry crews struck."]):
        article = article_create(project=project, text=text, outlet=f"Outlet {n}")
        article_process(article_id=article.pk)
    counts.count(project.pk, True)
    return project.pk


def _delete_project(project_id: int) -> None:
    # An article's outlet is protected while articles cite it: the articles go first.
    Article.objects.filter(project_id=project_id).delete()
    Project.objects.filter(pk=project_id).delete()


def test_a_deleted_projects_counts_go_and_a_live_projects_stay() -> None:
    kept, gone = _counted_project(), _counted_project()
    before = _rows(kept)
    assert all(before[table] > 0 for table in TABLES[:3])
    assert _rows(gone)["claims_termcount"] > 0

    _delete_project(gone)
    deleted = term_counts_forget_deleted_projects()

    assert _rows(gone) == dict.fromkeys(TABLES, 0)
    assert _rows(kept) == before
    assert deleted > 0
    assert counts.read(kept, True).counts[(counts.DOCS, "")] == 2


def test_the_scheduled_task_runs_it_and_a_second_run_finds_nothing() -> None:
    gone = _counted_project()
    _delete_project(gone)
    assert forget_deleted_projects_counts.apply().get() > 0
    assert forget_deleted_projects_counts.apply().get() == 0
