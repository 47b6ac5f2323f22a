"""Projects, their members, outlets, articles and their passages: the texts, and nothing of
what is marked in them (that sits in the layer above, which points here)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast
from django.urls import reverse
from pgvector.django import HalfVectorField, IvfflatIndex
from simple_history.models import HistoricalRecords

from annotations.languages import language_notice
from common.fields import VectorField
from common.models import TimeStampedModel

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2
# Full-text configuration of the passage and claim search vectors.
TEXT_SEARCH_CONFIG = "english"


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


class Project(TimeStampedModel):
    """A story desk: the articles of one story, the claims tracked in it, and who works on it."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    # Per-project matching settings (e.g. {"match_threshold": 0.6}); unset keys fall back to
    # settings.CLAIMTRACK_MATCHING.
    matching_settings = models.JSONField(default=dict, blank=True)
    members: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="projects"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("project-detail", kwargs={"slug": self.slug})


class Membership(TimeStampedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"], name="annotations_membership_one_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"


class Source(TimeStampedModel):
    """An outlet (newspaper, agency, broadcaster, blog) that published articles of a project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True)
    url = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"], name="annotations_source_unique_name_per_project"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProcessingState(models.TextChoices):
    PENDING = "pending", "Waiting to be processed"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"


class Article(TimeStampedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="articles")
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="articles", null=True, blank=True
    )
    title = models.CharField(max_length=500, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    byline = models.CharField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=16, default="en")
    text = models.TextField()
    # sha256 of the normalised text; a project holds each text once.
    content_hash = models.CharField(max_length=64, editable=False)
    # Bumped by each correction of the text; annotations are re-anchored against it.
    revision = models.PositiveIntegerField(default=1)
    processing_state = models.CharField(
        max_length=12, choices=ProcessingState.choices, default=ProcessingState.PENDING
    )
    processing_error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # When the matcher last proposed the project's claims for this article's passages; cleared
    # each time the article is processed, so null on a processed article means "to match".
    matched_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The PostgreSQL session of the run processing or matching the article, empty when none
    # (annotations.services.holds).
    held_by = models.CharField(max_length=40, blank=True, default="", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["processing_error", "matched_at", "held_by"])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "content_hash"],
                name="annotations_article_unique_text_per_project",
            ),
            models.CheckConstraint(
                condition=~Q(text=""), name="annotations_article_text_not_empty"
            ),
        ]
        indexes = [
            # project page: a project's articles, newest first
            models.Index(fields=["project", "-published_at"], name="article_project_published"),
            # the processing queue and the live state on the project page
            # processed_at too: the matcher's per-run check of what changed (count, latest)
            # then reads the index alone.
            models.Index(
                fields=["project", "processing_state", "processed_at"],
                name="article_project_state",
            ),
            # the articles waiting for matching (few at any time): a matching run takes
            # several of them at once
            models.Index(
                fields=["project", "processed_at"],
                name="article_match_waiting",
                condition=Q(processing_state="processed", matched_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        source = f"{self.source} – " if self.source_id else ""
        return f"{source}{self.title or f'Article {self.pk}'}"

    def get_absolute_url(self) -> str:
        return reverse("article-read", kwargs={"pk": self.pk})

    @property
    def language_notice(self) -> str:
        """Shown on the reader and the review card where the embedding model does not serve
        the article's language (plain text: templates escape it)."""
        return language_notice(self.language)


def half_embedding() -> Cast:
    """`Passage.embedding` cast to halfvec: the expression the passage vector index is built on,
    which a nearest-passage search must order by to use it."""
    return Cast("embedding", HalfVectorField(dimensions=EMBEDDING_DIM))


class Passage(models.Model):
    """A sentence (or clause) of an article: the unit the matcher retrieves and scores."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="passages")
    ordinal = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    embedding = VectorField(dimensions=EMBEDDING_DIM, null=True, blank=True)
    # Computed by PostgreSQL on insert (one write per passage; an UPDATE afterwards would
    # write every row and its HNSW entry twice).
    search_vector = models.GeneratedField(
        expression=SearchVector("text", config=TEXT_SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    # The clause windows of the sentence the matcher scores on their own (offsets in the
    # passage text, flattened start/end pairs), and the vectors the matcher reads: `embedding`
    # then one per clause window, float16 bytes, from the same model pass (bytes load much
    # faster than vectors parsed from text). NULL: computed when needed.
    clause_bounds = ArrayField(models.PositiveIntegerField(), default=list, blank=True)
    unit_vectors = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "ordinal"], name="annotations_passage_unique_ordinal"
            ),
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="annotations_passage_start_before_end"
            ),
        ]
        indexes = [
            # semantic retrieval: nearest passages to a claim or mention embedding. IVFFlat,
            # whose inserts are far cheaper than HNSW's in a large archive; built with one
            # list, rebuilt with more as the table grows (annotations.services.vector_index).
            # Over the vectors cast to halfvec (float16): a search reads half the bytes, and
            # finds the same nearest passages as exact search on the float32 vectors (the
            # bench measures its speed and that recall).
            IvfflatIndex(
                OpClass(half_embedding(), name="halfvec_cosine_ops"),
                name="passage_embedding_ivfflat",
                lists=1,
            ),
            # lexical retrieval: full-text search over passages
            GinIndex(fields=["search_vector"], name="passage_search_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}#{self.ordinal}: {self.text[:60]}"
