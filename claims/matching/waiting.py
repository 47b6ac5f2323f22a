"""Claims waiting for matching, taken in batched runs as waiting articles are.

A write that needs a claim matched marks it waiting (`Claim.match_requested_at`, in the write's
transaction) and queues a matching task only when it was not waiting already
(claims.services.claims.claim_request_matching). A task takes its claim and others of the
project waiting, up to CLAIM_BATCH, through annotations.services.holds (a short `SELECT ... FOR
UPDATE SKIP LOCKED` transaction, a hold mark, a guarded final write) and matches them in one run;
the tasks of the claims it took find nothing left and return at once. A burst of new claims is
so matched in a few runs, and a claim edited twice before its run is matched once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from annotations.services import holds
from claims.matching.engine import match_claims
from claims.matching.queries import claims_index
from claims.models import Claim
from claims.services.claims import TASK_MATCH_CLAIM
from common.outbox import enqueue
from common.tasks import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

# The most claims one run matches. Per run the work on the project (word counts, the model
# call's fixed cost, the commit) is paid once; more claims a run would hold others' tasks back
# longer behind one transaction and leave a worker's second process idle in a small burst.
CLAIM_BATCH = 8


def waiting_claims(project_id: int) -> QuerySet[Claim]:
    """The project's claims waiting for matching, oldest request first."""
    return Claim.objects.filter(project_id=project_id, match_requested_at__isnull=False).order_by(
        "match_requested_at", "pk"
    )


def match_waiting_claims(*, claim_id: int) -> int:
    """The body of the matching task of a claim: match it and others of its project waiting.

    1. Take (holds.take) the claim, if it still waits and no live run holds it, then up to
       CLAIM_BATCH - 1 more of its project, oldest first. Nothing taken: return at once.
    2. Read the marks as taken: a write after this renews a claim's mark.
    3. Match them (match_claims) and, in the candidates' transaction, clear the mark of each
       claim still held here whose mark is unchanged; let go of the others (asked again while
       this run worked: they stay waiting, and one task is queued for them).
    4. On a transient error the claims are let go still waiting, for the task's retry; on any
       other their marks are cleared (as a failed task left a claim before) so a claim that
       cannot be matched does not come back at every sweep. Returns the candidates written.
    """
    project_id = Claim.objects.filter(pk=claim_id).values_list("project_id", flat=True).first()
    if project_id is None:
        logger.info("Claim %s no longer exists; nothing to match.", claim_id)
        return 0
    ids = holds.take(waiting_claims(project_id), limit=CLAIM_BATCH, first=claim_id)
    if not ids:
        return 0
    seen = dict(Claim.objects.filter(pk__in=ids).values_list("pk", "match_requested_at"))
    try:
        written = match_claims(claim_ids=ids, then=lambda: _matched(seen))
    except TRANSIENT_ERRORS:
        holds.release(ids, model=Claim)
        raise
    except Exception:
        holds.release(ids, model=Claim, match_requested_at=None)
        raise
    _follow_up(ids)
    return written


def _matched(seen: dict[int, datetime | None]) -> None:
    """The guarded final write: the claims this run matched as they were asked for."""
    if not seen:  # every claim taken was deleted since
        return
    unchanged = reduce(or_, (Q(pk=pk, match_requested_at=at) for pk, at in seen.items()))
    holds.held_here(seen, model=Claim).filter(unchanged).update(held_by="", match_requested_at=None)


def _follow_up(ids: list[int]) -> None:
    """Let go of the claims of `ids` still held here (asked again while matched) and queue
    one task for them: the writes that asked found them waiting and queued none."""
    with transaction.atomic():
        again = sorted(holds.held_here(ids, model=Claim).values_list("pk", flat=True))
        if again:
            holds.release(again, model=Claim)
            enqueue(TASK_MATCH_CLAIM, again[0])


def rematch_project(*, project_id: int) -> int:
    """The body of the rematch task: index all claims, mark them waiting for matching and
    queue one matching task per CLAIM_BATCH of them (each task takes a batch)."""
    claim_ids = list(
        Claim.objects.filter(project_id=project_id).order_by("pk").values_list("pk", flat=True)
    )
    claims_index(claim_ids)
    with transaction.atomic():
        Claim.objects.filter(pk__in=claim_ids).update(match_requested_at=timezone.now())
        for claim_id in claim_ids[::CLAIM_BATCH]:
            enqueue(TASK_MATCH_CLAIM, claim_id)
    return len(claim_ids)


def sweep_waiting_claims() -> list[int]:
    """Per project with claims waiting for matching that no live run holds (their task lost
    with a worker, or their run's worker dead), queue one matching task for the oldest: it
    takes the others. Returns the claims the tasks were queued for."""
    firsts = sorted(
        holds.not_held(Claim.objects.filter(match_requested_at__isnull=False))
        .order_by("project_id", "match_requested_at", "pk")
        .distinct("project_id")
        .values_list("pk", flat=True)
    )
    for pk in firsts:
        enqueue(TASK_MATCH_CLAIM, pk)
    if firsts:
        logger.info("Swept claims waiting for matching: woken in %d project(s).", len(firsts))
    return firsts
