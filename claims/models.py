"""Claims, their mentions in articles, how they relate, the matcher's proposals and the
editable alias table."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from pgvector.django import HnswIndex
from simple_history.models import HistoricalRecords

from annotations.models import EMBEDDING_DIM, TEXT_SEARCH_CONFIG, Article
from common.fields import VectorField
from common.models import TimeStampedModel


class ClaimKind(models.TextChoices):
    FACT = "fact", "Statement of fact"
    NUMBER = "number", "Number or statistic"
    QUOTE = "quote", "Quotation"
    PREDICTION = "prediction", "Prediction"
    OPINION = "opinion", "Opinion"


class ClaimStatus(models.TextChoices):
    """The editorial verdict. UNVERIFIED until someone checks it."""

    UNVERIFIED = "unverified", "Unverified"
    IN_PROGRESS = "in_progress", "Being checked"
    TRUE = "true", "True"
    MOSTLY_TRUE = "mostly_true", "Mostly true"
    MISLEADING = "misleading", "Misleading"
    FALSE = "false", "False"
    UNPROVEN = "unproven", "Unproven"


class ClaimOrigin(models.TextChoices):
    EDITOR = "editor", "Marked by an editor"
    TRACKED = "tracked", "Tracked (typed in)"
    IMPORT = "import", "Imported"


class Claim(TimeStampedModel):
    project = models.ForeignKey(
        "annotations.Project", on_delete=models.CASCADE, related_name="claims"
    )
    statement = models.TextField(help_text="The claim in normalised wording.")
    kind = models.CharField(max_length=12, choices=ClaimKind.choices, default=ClaimKind.FACT)
    status = models.CharField(
        max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.UNVERIFIED
    )
    verdict_summary = models.TextField(blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    notes = models.TextField(blank=True)
    origin = models.CharField(
        max_length=10, choices=ClaimOrigin.choices, default=ClaimOrigin.EDITOR
    )
    # Where an imported fact-check came from (ClaimReview url, CSV id): re-imports update it.
    external_ref = models.CharField(max_length=500, blank=True)
    embedding = VectorField(dimensions=EMBEDDING_DIM, null=True, blank=True)
    # Computed by PostgreSQL from the statement on every write, so a statement edited by hand
    # is searchable at once and matching needs no second UPDATE.
    search_vector = models.GeneratedField(
        expression=SearchVector("statement", config=TEXT_SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Optimistic concurrency: bumped on every write, sent as the ETag.
    version = models.PositiveIntegerField(default=1)
    # When a write last asked for the claim to be matched (new wording, new mention), set in
    # that write's transaction; null once a matching run has matched what it asked for. A run
    # clears it only if it is unchanged since the run took the claim (claims.matching.waiting).
    match_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The PostgreSQL session of the run matching the claim, empty when none
    # (annotations.services.holds).
    held_by = models.CharField(max_length=40, blank=True, default="", editable=False)
    history = HistoricalRecords(
        excluded_fields=["embedding", "search_vector", "match_requested_at", "held_by"]
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(statement=""), name="claims_claim_statement_not_empty"
            ),
            models.UniqueConstraint(
                fields=["project", "external_ref"],
                condition=~Q(external_ref=""),
                name="claims_claim_unique_external_ref",
            ),
        ]
        indexes = [
            # claim lists and exports: a project's claims, newest first
            models.Index(fields=["project", "-created_at"], name="claim_project_created"),
            # claim-to-claim matching: nearest claims to a claim
            HnswIndex(
                name="claim_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            # search-as-you-type when attaching a span to an existing claim
            GinIndex(fields=["search_vector"], name="claim_search_gin"),
            # matching runs and the sweep: a project's claims waiting for matching, oldest first
            models.Index(
                fields=["project", "match_requested_at"],
                name="claim_match_waiting",
                condition=Q(match_requested_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.statement[:100]

    def get_absolute_url(self) -> str:
        return reverse("claim-detail", kwargs={"pk": self.pk})


class AnchorState(models.TextChoices):
    ANCHORED = "anchored", "Anchored"
    # Re-found by quote after the text changed, not at its old position.
    MOVED = "moved", "Re-anchored by quote"
    FUZZY = "fuzzy", "Re-anchored by fuzzy match"
    # The text changed and the quote could not be found: kept for an editor, never deleted.
    ORPHANED = "orphaned", "Orphaned"


class Stance(models.TextChoices):
    ASSERTS = "asserts", "Asserts"
    REPORTS = "reports", "Reports (attributed)"
    DISPUTES = "disputes", "Disputes"
    DENIES = "denies", "Denies"


class AnnotationOrigin(models.TextChoices):
    EDITOR = "editor", "Marked by an editor"
    CANDIDATE = "candidate", "Accepted candidate"
    IMPORT = "import", "Imported"


class Annotation(TimeStampedModel):
    """A span of an article that states a claim, stored as a W3C text selector pair:
    TextPositionSelector (start, end) and TextQuoteSelector (exact, prefix, suffix)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="annotations")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="mentions")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    exact = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    stance = models.CharField(max_length=10, choices=Stance.choices, default=Stance.ASSERTS)
    anchor_state = models.CharField(
        max_length=10, choices=AnchorState.choices, default=AnchorState.ANCHORED
    )
    origin = models.CharField(
        max_length=10, choices=AnnotationOrigin.choices, default=AnnotationOrigin.EDITOR
    )
    note = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Optimistic concurrency: bumped on every write, sent as the ETag.
    version = models.PositiveIntegerField(default=1)
    # The table names date from when mentions lived beside the articles; the span triggers
    # (annotations migration 0003) and matching's SQL name them, so they stay.
    history = HistoricalRecords(table_name="annotations_historicalannotation")

    class Meta:
        db_table = "annotations_annotation"
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="annotations_annotation_start_before_end"
            ),
            models.CheckConstraint(
                condition=~Q(exact=""), name="annotations_annotation_exact_not_empty"
            ),
            models.UniqueConstraint(
                fields=["article", "claim", "start", "end"],
                name="annotations_annotation_unique_span_per_claim",
            ),
        ]
        indexes = [
            # the reader: an article's annotations in text order
            models.Index(fields=["article", "start"], name="annotation_article_start"),
        ]

    def __str__(self) -> str:
        return f"“{self.exact[:60]}” ({self.article_id}:{self.start}-{self.end})"

    def get_absolute_url(self) -> str:
        return f"{self.article.get_absolute_url()}#annotation-{self.pk}"


class RelationKind(models.TextChoices):
    SAME_AS = "same_as", "Same as"
    SUPPORTS = "supports", "Supports"
    CONTRADICTS = "contradicts", "Contradicts"
    REFINES = "refines", "Refines"


class ClaimRelation(TimeStampedModel):
    source_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="relations_out")
    target_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="relations_in")
    kind = models.CharField(max_length=12, choices=RelationKind.choices)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(source_claim=F("target_claim")), name="claims_relation_not_to_self"
            ),
            models.UniqueConstraint(
                fields=["source_claim", "target_claim", "kind"], name="claims_relation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_claim_id} {self.get_kind_display().lower()} {self.target_claim_id}"


class CandidateState(models.TextChoices):
    PENDING = "pending", "Pending review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    # "Related, not the same": remembered like a rejection, never proposed again.
    RELATED = "related", "Related, not the same"


class MatchCandidate(TimeStampedModel):
    """A machine proposal: this claim is stated in that passage (or is the same as that claim).

    Exactly one target: a passage (with an optional sub-span inside it) or another claim.
    """

    project = models.ForeignKey(
        "annotations.Project", on_delete=models.CASCADE, related_name="candidates"
    )
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="candidates")
    passage = models.ForeignKey(
        "annotations.Passage",
        on_delete=models.CASCADE,
        related_name="candidates",
        null=True,
        blank=True,
    )
    # Denormalised from the passage so the review queue and evaluation filter by article.
    article = models.ForeignKey(
        "annotations.Article",
        on_delete=models.CASCADE,
        related_name="candidates",
        null=True,
        blank=True,
    )
    target_claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="candidates_as_target", null=True, blank=True
    )
    # The proposed span in article offsets (the passage or a clause of it).
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    score = models.FloatField()
    # Which signals fired and what they contributed, for the review screen:
    # {"semantic": 0.71, "lexical": 0.4, "numbers": {"match": [...], "conflict": [...]}, ...}
    signals = models.JSONField(default=dict)
    engine_version = models.CharField(max_length=40)
    state = models.CharField(
        max_length=10, choices=CandidateState.choices, default=CandidateState.PENDING
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # The mention created when the candidate was accepted.
    annotation = models.ForeignKey(
        Annotation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords(excluded_fields=["signals", "score", "engine_version"])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(passage__isnull=False, target_claim__isnull=True, article__isnull=False)
                )
                | (Q(passage__isnull=True, target_claim__isnull=False)),
                name="claims_candidate_exactly_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(claim=F("target_claim")), name="claims_candidate_not_to_self"
            ),
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(start__lt=F("end")),
                name="claims_candidate_start_before_end",
            ),
            models.UniqueConstraint(
                fields=["claim", "passage"],
                condition=Q(passage__isnull=False),
                name="claims_candidate_unique_claim_passage",
            ),
            models.UniqueConstraint(
                fields=["claim", "target_claim"],
                condition=Q(target_claim__isnull=False),
                name="claims_candidate_unique_claim_claim",
            ),
        ]
        indexes = [
            # the review queue: a project's pending candidates, best first
            models.Index(
                fields=["project", "state", "-score"], name="candidate_project_state_score"
            ),
            # a claim page's candidates and evaluation by (claim, article)
            models.Index(fields=["claim", "article"], name="candidate_claim_article"),
        ]

    def __str__(self) -> str:
        target = (
            f"passage {self.passage_id}" if self.passage_id else f"claim {self.target_claim_id}"
        )
        return f"Claim {self.claim_id} → {target} ({self.score:.2f}, {self.state})"


class Alias(TimeStampedModel):
    """Name variants and transliterations editors maintain: `variant` means `canonical`.

    Project-wide when `project` is set, for every project when it is empty. The matcher reads
    this table; no alias is written into its code or settings.
    """

    project = models.ForeignKey(
        "annotations.Project",
        on_delete=models.CASCADE,
        related_name="aliases",
        null=True,
        blank=True,
    )
    canonical = models.CharField(max_length=200)
    variant = models.CharField(max_length=200)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "variant"],
                nulls_distinct=False,
                name="claims_alias_unique_variant",
            ),
            models.CheckConstraint(
                condition=~Q(canonical=F("variant")), name="claims_alias_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant} = {self.canonical}"
