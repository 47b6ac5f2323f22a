"""Re-running matching for a project: the service queues one task, the task marks every claim
waiting and fans out one claim task per batch, and `manage.py rematch --now` runs it in-process."""

from __future__ import annotations

import io

from django.core.management import call_command

from claims.matching import matching_rerun_project, rematch_project
from claims.matching.waiting import CLAIM_BATCH
from claims.models import Claim, MatchCandidate
from claims.services import claim_create
from common.models import OutboxMessage
from tests.claims.test_matching_engine import GAZETTE, load


def test_rerun_queues_one_project_task_after_commit(
    project, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        matching_rerun_project(project_id=project.pk)
    message = OutboxMessage.objects.get(task_name="claims.rematch_project")
    assert message.args == [project.pk]
    assert len(callbacks) == 1


def test_rematch_task_indexes_claims_marks_them_waiting_and_queues_a_task_per_batch(
    project,
) -> None:
    claims = [
        claim_create(project=project, statement=f"The ferry fare rose by {n} euros")
        for n in range(CLAIM_BATCH + 1)
    ]
    Claim.objects.filter(project=project).update(match_requested_at=None)
    OutboxMessage.objects.all().delete()
    assert rematch_project(project_id=project.pk) == len(claims)
    queued = OutboxMessage.objects.filter(task_name="claims.match_claim")
    # one task per batch of claims, each taking the batch its claim starts
    assert sorted(m.args[0] for m in queued) == [claims[0].pk, claims[CLAIM_BATCH].pk]
    for claim in claims:
        claim.refresh_from_db()
        assert claim.embedding is not None
        assert claim.match_requested_at is not None


def test_rematch_command_now_matches_in_process(project) -> None:
    claim = claim_create(
        project=project, statement="Ferry workers in Dunmore have been on strike for nine weeks"
    )
    load(project, GAZETTE, "Coast Gazette")
    out = io.StringIO()
    call_command("rematch", project.slug, "--now", stdout=out)
    assert "1 claims matched" in out.getvalue()
    assert MatchCandidate.objects.filter(claim=claim).exists()
