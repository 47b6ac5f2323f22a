"""The project benchmarks.request_path measures: a 5,000-word article with 200 marks, an
article of ordinary length to mark spans in, and the requests an editor makes on them.

The marks are written straight to the tables (they are what is read, not what is timed):
whole sentences and, inside some of them, a clause marked as another claim or again as the
same one, so the reader draws overlaps; most claims are mentioned once, some several times.
Claims carry an embedding, as the worker leaves them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from annotations.models import EMBEDDING_DIM, Article, ProcessingState, Project, Role, Source
from annotations.services import membership_set, project_create
from annotations.services.extraction import content_hash
from benchmarks.corpus import NewsWriter, SyntheticArticle, article_offsets
from claims.models import Annotation, Claim, ClaimStatus
from claims.services.claims import CONTEXT_CHARS

LONG_WORDS = 5_000
POSTED_WORDS = 800
MARKS = 200
# Of the marks, this many are a clause inside an already marked sentence (an overlap).
INNER_MARKS = 50
# Of the marks, this many name a claim already mentioned earlier in the article.
REPEATED_MARKS = 60
# Articles and spans drawn for the writes: each run posts a text of its own.
WRITES = 64

Request = Callable[[int], tuple[str, str, Any]]


@dataclass
class RequestFixture:
    project: Project
    editor: Any
    long_article: Article
    target: Article
    claims: list[Claim]
    spans: list[tuple[int, int, str]]
    texts: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, *, seed: int) -> RequestFixture:
        writer = NewsWriter(seed)
        users = get_user_model().objects
        owner = users.create_user("bench-owner", password=None)
        editor = users.create_user("bench-editor", password=None)
        project = project_create(name="Request path desk", owner=owner)
        membership_set(project=project, user=editor, role=Role.EDITOR)
        source = Source.objects.create(project=project, name="Bench Herald")
        long_synthetic = _article_of(writer, LONG_WORDS)
        long_article = _article(project, source, long_synthetic)
        claims = _marks(long_article, long_synthetic, editor, random.Random(seed))
        target_synthetic = writer.article()
        target = _article(project, source, target_synthetic)
        texts = [_article_of(writer, POSTED_WORDS).text for _ in range(WRITES)]
        spans = article_offsets(target_synthetic)
        return cls(project, editor, long_article, target, claims, spans, texts)

    def describe(self) -> dict[str, Any]:
        marks = Annotation.objects.filter(article=self.long_article)
        return {
            "words": len(self.long_article.text.split()),
            "characters": len(self.long_article.text),
            "marks": marks.count(),
            "claims": marks.values("claim").distinct().count(),
            "posted_article_words": round(sum(len(t.split()) for t in self.texts) / WRITES),
        }

    def requests(self, offset: int = 0) -> dict[str, tuple[Request, int]]:
        """Name -> (run number -> (method, url, JSON body), expected status)."""
        long_pk = self.long_article.pk

        def get(url: str) -> Request:
            return lambda i: ("GET", url, None)

        def post_article(i: int) -> tuple[str, str, Any]:
            text = self.texts[(offset + i) % WRITES]
            body = {"project": self.project.pk, "text": text}
            return "POST", reverse("api:article-list"), body

        def post_new_claim(i: int) -> tuple[str, str, Any]:
            start, end, exact = self.spans[(offset + i) % len(self.spans)]
            body = {"article": self.target.pk, "start": start, "end": end, "exact": exact}
            return "POST", reverse("api:annotation-list"), {**body, "statement": exact}

        def post_mention(i: int) -> tuple[str, str, Any]:
            k = offset + i  # each (claim, span) once: the same pair twice is a conflict
            claim = self.claims[k % len(self.claims)]
            start, end, exact = self.spans[k // len(self.claims) % len(self.spans)]
            body = {"article": self.target.pk, "start": start, "end": end, "exact": exact}
            return "POST", reverse("api:annotation-list"), {**body, "claim": claim.pk}

        return {
            "reader_page": (get(reverse("article-read", kwargs={"pk": long_pk})), 200),
            "reader_marks": (get(reverse("article-marks", kwargs={"pk": long_pk})), 200),
            "api_article": (get(reverse("api:article-detail", kwargs={"pk": long_pk})), 200),
            "api_annotations": (
                get(reverse("api:article-annotations", kwargs={"pk": long_pk})),
                200,
            ),
            "article_post": (post_article, 201),
            "span_new_claim": (post_new_claim, 201),
            "span_existing_claim": (post_mention, 201),
        }


def _article_of(writer: NewsWriter, length: int) -> SyntheticArticle:
    """An article of at least `length` words."""
    sentences = []
    words = 0
    while words < length:
        sentence = writer.sentence()
        sentences.append(sentence)
        words += len(sentence.text.split())
    return writer.article(sentences)


def _article(project: Project, source: Source, synthetic: SyntheticArticle) -> Article:
    now = timezone.now()
    text = synthetic.text
    return Article.objects.create(
        project=project,
        source=source,
        title=synthetic.title,
        byline=synthetic.byline,
        published_at=synthetic.published_at,
        text=text,
        content_hash=content_hash(text),
        processing_state=ProcessingState.PROCESSED,
        processed_at=now,
        matched_at=now,
    )


def _marks(
    article: Article, synthetic: SyntheticArticle, author: Any, rng: random.Random
) -> list[Claim]:
    """MARKS mentions over the article: whole sentences first, then clauses inside them."""
    sentences = article_offsets(synthetic)
    whole = sorted(rng.sample(sentences, MARKS - INNER_MARKS))
    inner = []
    for start, _end, text in rng.sample(whole, INNER_MARKS):
        words = text.split(" ")
        cut = start + len(" ".join(words[: max(2, len(words) // 2)]))
        inner.append((start, cut, text[: cut - start]))
    spans = sorted(whole + inner)
    statuses = list(ClaimStatus.values)
    vectors = np.random.default_rng(rng.randrange(2**32)).standard_normal(
        (len(spans), EMBEDDING_DIM)
    )
    claims = Claim.objects.bulk_create(
        Claim(
            project=article.project,
            statement=exact,
            status=rng.choice(statuses),
            embedding=(v / np.linalg.norm(v)).astype(np.float32).tolist(),
            created_by=author,
        )
        for (_, _, exact), v in zip(spans[: len(spans) - REPEATED_MARKS], vectors, strict=False)
    )
    text = article.text
    mentions = []
    for index, (start, end, exact) in enumerate(spans):
        claim = claims[index] if index < len(claims) else rng.choice(claims[:index])
        mentions.append(
            Annotation(
                article=article,
                claim=claim,
                start=start,
                end=end,
                exact=exact,
                prefix=text[max(0, start - CONTEXT_CHARS) : start],
                suffix=text[end : end + CONTEXT_CHARS],
                author=author,
            )
        )
    Annotation.objects.bulk_create(mentions)
    return claims
