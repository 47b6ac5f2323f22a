"""Claims and their mentions (annotations), as editors make them in the browser or the API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotations.models import Article, Project, Role
from annotations.permissions import require_role
from claims.models import (
    Annotation,
    AnnotationOrigin,
    Claim,
    ClaimKind,
    ClaimOrigin,
    ClaimRelation,
    ClaimStatus,
    RelationKind,
    Stance,
)
from common.errors import ApplicationError, Conflict, PreconditionFailed
from common.outbox import enqueue

TASK_MATCH_CLAIM = "claims.match_claim"
# W3C TextQuoteSelector context kept on each side of a mention.
CONTEXT_CHARS = 32

MSG_SPAN_OUT_OF_RANGE = "The span {start}-{end} is outside the article text (0-{length})."
MSG_SPAN_REVERSED = "The span must start before it ends (got {start}-{end})."
MSG_SPAN_BLANK = "The selected text is only whitespace."
MSG_QUOTE_MISMATCH = (
    "The quote does not match the article text at {start}-{end}; reload the article."
)
MSG_OTHER_PROJECT = "The claim and the article belong to different projects."
MSG_DUPLICATE_MENTION = "This span is already a mention of that claim."
MSG_STALE = "The claim was changed by someone else (version {current}); reload and try again."
MSG_MERGE_SELF = "A claim cannot be merged into itself."
MSG_STATEMENT_EMPTY = "The claim needs a statement."


def _selectors(text: str, start: int, end: int) -> dict[str, Any]:
    return {
        "exact": text[start:end],
        "prefix": text[max(0, start - CONTEXT_CHARS) : start],
        "suffix": text[end : end + CONTEXT_CHARS],
    }


def _check_span(article: Article, start: int, end: int, exact: str | None) -> tuple[int, int]:
    """Validate a span; whitespace at its edges is trimmed so highlights hug the words."""
    length = len(article.text)
    if start >= end:
        raise ApplicationError(MSG_SPAN_REVERSED.format(start=start, end=end))
    if start < 0 or end > length:
        raise ApplicationError(MSG_SPAN_OUT_OF_RANGE.format(start=start, end=end, length=length))
    if exact is not None and article.text[start:end] != exact:
        raise Conflict(MSG_QUOTE_MISMATCH.format(start=start, end=end))
    raw = article.text[start:end]
    if not raw.strip():
        raise ApplicationError(MSG_SPAN_BLANK)
    start += len(raw) - len(raw.lstrip())
    end -= len(raw) - len(raw.rstrip())
    return start, end


def claim_create(
    *,
    project: Project,
    statement: str,
    kind: str = ClaimKind.FACT,
    status: str = ClaimStatus.UNVERIFIED,
    tags: list[str] | None = None,
    notes: str = "",
    origin: str = ClaimOrigin.TRACKED,
    external_ref: str = "",
    actor: User | None = None,
) -> Claim:
    """A claim from its statement alone (tracked); matching is queued after commit."""
    if actor is not None:
        require_role(actor, project, Role.EDITOR)
    return _claim_new(
        project=project,
        statement=statement,
        kind=kind,
        status=status,
        tags=tags,
        notes=notes,
        origin=origin,
        external_ref=external_ref,
        actor=actor,
    )


def _claim_new(
    *,
    project: Project,
    statement: str,
    kind: str,
    status: str,
    origin: str,
    actor: User | None,
    tags: list[str] | None = None,
    notes: str = "",
    external_ref: str = "",
) -> Claim:
    """Save a new claim and queue its matching (the caller checked the actor's role)."""
    statement = " ".join(statement.split())
    if not statement:
        raise ApplicationError(MSG_STATEMENT_EMPTY)
    with transaction.atomic():
        claim = Claim(
            project=project,
            statement=statement,
            kind=kind,
            status=status,
            tags=tags or [],
            notes=notes,
            origin=origin,
            external_ref=external_ref,
            created_by=actor,
            match_requested_at=timezone.now(),
        )
        # The project and the author are rows already read (a query each to check them
        # again). Of the constraints, only a non-empty reference's uniqueness needs the
        # database; an empty statement was refused above.
        claim.full_clean(
            exclude=["embedding", "search_vector", "project", "created_by"],
            validate_constraints=bool(external_ref),
        )
        claim.save()
        enqueue(TASK_MATCH_CLAIM, claim.pk)
    return claim


def claim_update(
    *,
    claim: Claim,
    actor: User | None,
    expected_version: int | None = None,
    **fields: Any,
) -> Claim:
    """Change a claim's wording, kind, status, tags or notes; refuses a stale write.

    `expected_version` is the version the editor saw (If-Match / hidden form field). The update
    is a compare-and-set on it, so two editors cannot silently overwrite each other.
    """
    if actor is not None:
        require_role(actor, claim.project, Role.EDITOR)
    allowed = {"statement", "kind", "status", "verdict_summary", "tags", "notes"}
    unknown = set(fields) - allowed
    if unknown:
        raise ApplicationError(f"Unknown claim fields: {', '.join(sorted(unknown))}.")
    if "statement" in fields:
        fields["statement"] = " ".join(str(fields["statement"]).split())
        if not fields["statement"]:
            raise ApplicationError(MSG_STATEMENT_EMPTY)
    with transaction.atomic():
        current = Claim.objects.select_for_update().get(pk=claim.pk)
        if expected_version is not None and current.version != expected_version:
            raise PreconditionFailed(MSG_STALE.format(current=current.version))
        changed = {name for name, value in fields.items() if getattr(current, name) != value}
        if not changed:  # nothing to write: no new version, no history row
            return current
        for name in changed:
            setattr(current, name, fields[name])
        current.version += 1  # the row is locked: a plain increment is safe
        queue_matching = "statement" in changed and _wait_for_matching(current)
        current.full_clean(exclude=["embedding", "search_vector", "version"])
        current.save()
        if queue_matching:
            enqueue(TASK_MATCH_CLAIM, current.pk)
    return current


def _wait_for_matching(claim: Claim) -> bool:
    """Mark a claim the caller has locked and is about to save as waiting for matching; True
    when it was not waiting already (a matching task is then to be queued)."""
    was_waiting = claim.match_requested_at is not None
    claim.match_requested_at = timezone.now()
    return not was_waiting


def claim_request_matching(*, claim_id: int) -> bool:
    """Ask for the claim to be matched again (new wording, new mention), in the caller's
    transaction; True when a matching task was queued.

    A claim already waiting gets no second task: the run that takes it matches what it is then,
    once however many writes asked. Its mark is renewed, so a run that took the claim before
    this write leaves it waiting when it finishes (and queues the follow-up). Each UPDATE waits
    for a run's final write to the row and then sees it: if the run cleared the mark between
    the two statements, the first is tried again and queues the task.
    """
    now = timezone.now()
    claims = Claim.objects.filter(pk=claim_id)
    with transaction.atomic(savepoint=False):
        for _ in range(3):  # a second round only after a run cleared the mark meanwhile
            if claims.filter(match_requested_at=None).update(match_requested_at=now):
                enqueue(TASK_MATCH_CLAIM, claim_id)
                return True
            if claims.exclude(match_requested_at=None).update(match_requested_at=now):
                return False
    return False  # the claim is gone


def annotation_create(
    *,
    article: Article,
    start: int,
    end: int,
    claim: Claim | None = None,
    statement: str = "",
    kind: str = ClaimKind.FACT,
    status: str = ClaimStatus.UNVERIFIED,
    stance: str = Stance.ASSERTS,
    exact: str | None = None,
    origin: str = AnnotationOrigin.EDITOR,
    actor: User | None = None,
) -> Annotation:
    """Mark a span as a mention of `claim`, or of a new claim worded `statement`.

    1. Check role, same project, span inside the text, and (if given) that `exact` matches.
    2. Save the claim (when new) and the annotation with W3C selectors in one transaction.
    3. Queue matching of the claim in every other article after commit.
    """
    if actor is not None:
        require_role(actor, article.project, Role.EDITOR)
    if claim is not None and claim.project_id != article.project_id:
        raise ApplicationError(MSG_OTHER_PROJECT)
    start, end = _check_span(article, start, end, exact)
    try:
        with transaction.atomic():
            # A new claim's matching is queued by claim_create; it runs after commit and so
            # already sees this mention. Queue it here only for an existing claim.
            queue_matching = claim is not None
            if claim is None:
                claim = _claim_new(
                    project=article.project,
                    statement=statement or article.text[start:end],
                    kind=kind,
                    status=status,
                    origin=ClaimOrigin.EDITOR,
                    actor=actor,
                )
            annotation = Annotation(
                article=article,
                claim=claim,
                start=start,
                end=end,
                stance=stance,
                origin=origin,
                author=actor,
                **_selectors(article.text, start, end),
            )
            _annotation_save(annotation)
            if queue_matching:
                claim_request_matching(claim_id=claim.pk)
    except IntegrityError as exc:
        if Annotation.objects.filter(article=article, claim=claim, start=start, end=end).exists():
            raise Conflict(MSG_DUPLICATE_MENTION) from exc
        raise
    return annotation


def _annotation_save(annotation: Annotation) -> None:
    # The article, claim and author are rows already read; the span was checked by the caller.
    annotation.full_clean(
        exclude=["article", "claim", "author"],
        validate_unique=False,
        validate_constraints=False,
    )
    annotation.save()


def annotation_detach(*, annotation: Annotation, actor: User | None) -> None:
    """Remove a mention from its claim (the claim itself stays). History keeps the record."""
    if actor is not None:
        require_role(actor, annotation.article.project, Role.EDITOR)
    annotation.delete()


def claim_merge(*, source: Claim, target: Claim, actor: User | None) -> Claim:
    """Move `source`'s mentions, relations and decided candidates to `target`; delete `source`.

    Mentions already on the target (same span) are dropped rather than duplicated.
    """
    if source.pk == target.pk:
        raise ApplicationError(MSG_MERGE_SELF)
    if source.project_id != target.project_id:
        raise ApplicationError(MSG_OTHER_PROJECT)
    if actor is not None:
        require_role(actor, target.project, Role.EDITOR)
    from claims.models import MatchCandidate

    with transaction.atomic():
        target = Claim.objects.select_for_update().get(pk=target.pk)
        for mention in Annotation.objects.filter(claim=source):
            if Annotation.objects.filter(
                article_id=mention.article_id, claim=target, start=mention.start, end=mention.end
            ).exists():
                mention.delete()
            else:
                mention.claim = target
                mention.save(update_fields=["claim", "updated_at"])
        for relation in ClaimRelation.objects.filter(source_claim=source).exclude(
            target_claim=target
        ):
            ClaimRelation.objects.get_or_create(
                source_claim=target, target_claim=relation.target_claim, kind=relation.kind
            )
        for relation in ClaimRelation.objects.filter(target_claim=source).exclude(
            source_claim=target
        ):
            ClaimRelation.objects.get_or_create(
                source_claim=relation.source_claim, target_claim=target, kind=relation.kind
            )
        MatchCandidate.objects.filter(claim=source).delete()
        MatchCandidate.objects.filter(target_claim=source).delete()
        if source.notes:
            target.notes = (
                f"{target.notes}\n\nMerged from claim {source.pk}: {source.notes}".strip()
            )
        target.tags = sorted(set(target.tags) | set(source.tags))
        target.version += 1
        queue_matching = _wait_for_matching(target)
        target.save()
        source.delete()
        if queue_matching:
            enqueue(TASK_MATCH_CLAIM, target.pk)
    target.refresh_from_db()
    return target


def relation_create(
    *, source: Claim, target: Claim, kind: str, note: str = "", actor: User | None
) -> ClaimRelation:
    if source.project_id != target.project_id:
        raise ApplicationError(MSG_OTHER_PROJECT)
    if source.pk == target.pk:
        raise ApplicationError("A claim cannot be related to itself.")
    if actor is not None:
        require_role(actor, source.project, Role.EDITOR)
    if kind not in RelationKind.values:
        raise ApplicationError(f"Unknown relation “{kind}”.")
    relation, created = ClaimRelation.objects.get_or_create(
        source_claim=source,
        target_claim=target,
        kind=kind,
        defaults={"note": note, "created_by": actor},
    )
    if not created:
        raise Conflict("These claims are already related that way.")
    return relation
