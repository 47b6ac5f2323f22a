"""What the editors' workload works on: the desk (a project, its owner and editors who sign
in with a password), the articles the clients post, the long article with its marks, the spans
the clients mark and the articles they open, and the check that nothing acknowledged was lost.

Every text is generated (benchmarks.corpus) from the run's seed. Titles carry a tag and a
number (`[post 0001]`) so each article the bench sent can be found again by its title.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils.crypto import get_random_string

from annotations.models import Article, Project, Role
from benchmarks.corpus import NewsWriter, SyntheticArticle

ARTICLE_WORDS = 800
LONG_ARTICLE_WORDS = 5_000
LONG_ARTICLE_MARKS = 200
# One long-article mark in five covers the first half of a sentence already marked (another
# claim's mention there): the reader then shows overlapping highlights, as real desks do.
OVERLAP_EVERY = 5


@dataclass
class Desk:
    project: Project
    owner: User
    editors: list[User]
    password: str


def desk_create(*, clients: int) -> Desk:
    """A project with an owner and `clients` editors, each with a password (they sign in over
    HTTP as anyone would)."""
    from annotations.services import membership_set, project_create

    password = get_random_string(24)
    users = get_user_model().objects
    owner = users.create_user("bench-owner", password=password)
    project = project_create(name="Editors desk", owner=owner, description="Synthetic, throwaway.")
    editors = []
    for i in range(clients):
        editor = users.create_user(f"bench-editor-{i:02d}", password=password)
        membership_set(project=project, user=editor, role=Role.EDITOR)
        editors.append(editor)
    return Desk(project=project, owner=owner, editors=editors, password=password)


def write_articles(
    writer: NewsWriter, count: int, tag: str, words: int = ARTICLE_WORDS
) -> list[SyntheticArticle]:
    """`count` articles of at least `words` words, titled `... [tag 0001]`."""
    articles = []
    for i in range(count):
        article = writer.article(words=words)
        article.title = f"{article.title} [{tag} {i + 1:04d}]"
        articles.append(article)
    return articles


def as_payload(article: SyntheticArticle) -> dict[str, Any]:
    """The article as the API takes it (and as a bulk file's line)."""
    return {
        "title": article.title,
        "text": article.text,
        "outlet": article.outlet,
        "published_at": article.published_at.isoformat(),
    }


def sentence_spans(text: str, synthetic: SyntheticArticle) -> list[tuple[int, int, str]]:
    """(start, end, sentence) of each generated sentence found in the stored text."""
    spans, at = [], 0
    for sentence in synthetic.sentences:
        start = text.find(sentence.text, at)
        if start >= 0:
            spans.append((start, start + len(sentence.text), sentence.text))
            at = start + len(sentence.text)
    return spans


def long_article_create(*, desk: Desk, writer: NewsWriter) -> tuple[Article, list[int]]:
    """The long article, loaded and marked through the product's services as an editor would:
    LONG_ARTICLE_MARKS mentions, most of them new claims. Returns it and its claims' ids."""
    from annotations.services import article_create
    from claims.services import annotation_create

    synthetic = writer.article(words=LONG_ARTICLE_WORDS)
    article = article_create(
        project=desk.project,
        actor=desk.owner,
        title=f"{synthetic.title} [long 0001]",
        **{k: v for k, v in as_payload(synthetic).items() if k != "title"},
    )
    spans = sentence_spans(article.text, synthetic)
    whole = LONG_ARTICLE_MARKS - LONG_ARTICLE_MARKS // OVERLAP_EVERY
    step = max(1, len(spans) // whole)
    marked = spans[::step][:whole]
    claims: list[int] = []
    for start, end, exact in marked:
        mention = annotation_create(
            article=article, start=start, end=end, exact=exact, actor=desk.owner
        )
        claims.append(mention.claim_id)
    for i, (start, _end, exact) in enumerate(marked[: LONG_ARTICLE_MARKS - whole]):
        half = exact[: exact.rfind(" ", 0, len(exact) // 2 + 1)] or exact
        other = claims[(i * OVERLAP_EVERY + 1) % len(claims)]
        annotation_create(
            article=article,
            start=start,
            end=start + len(half),
            claim=_claim(other),
            exact=half,
            actor=desk.owner,
        )
    return article, claims


def _claim(pk: int) -> Any:
    from claims.models import Claim

    return Claim.objects.get(pk=pk)


def span_items(
    *, project: Project, articles: list[SyntheticArticle], count: int, rng: random.Random
) -> list[dict[str, Any]]:
    """`count` span writes over the stored articles, every other one a new claim (the others
    attach an existing claim): distinct sentences while there are enough of them."""
    by_title = {a.title: a for a in articles}
    rows = Article.objects.filter(project=project, title__in=by_title).values_list(
        "id", "title", "text"
    )
    spans = [
        (pk, start, end, exact)
        for pk, title, text in rows
        for start, end, exact in sentence_spans(text, by_title[title])
    ]
    if not spans:
        raise RuntimeError("no stored article to mark spans in")
    rng.shuffle(spans)
    return [
        dict(zip(("article", "start", "end", "exact"), spans[i % len(spans)], strict=True))
        | {"new": i % 2 == 0}
        for i in range(count)
    ]


def view_items(*, article_ids: list[int], count: int, rng: random.Random) -> list[dict[str, int]]:
    return [{"article": rng.choice(article_ids)} for _ in range(count)]


def article_ids(project: Project, tags: tuple[str, ...]) -> list[int]:
    """Ids of the project's articles whose title carries one of `tags`."""
    ids: list[int] = []
    for tag in tags:
        ids += Article.objects.filter(project=project, title__contains=f"[{tag} ").values_list(
            "id", flat=True
        )
    return ids


def lost_writes(
    *, created: list[dict[str, Any]], bulk_titles: list[str], bulk_acknowledged: int
) -> dict[str, int]:
    """Acknowledged writes missing from the database, by kind."""
    from claims.models import Annotation, Claim

    def missing(model: Any, ids: list[int]) -> int:
        return len(set(ids)) - model.objects.filter(pk__in=set(ids)).count()

    articles = [c["article"] for c in created if "article" in c]
    mentions = [c["annotation"] for c in created if "annotation" in c]
    claims = [c["claim"] for c in created if "claim" in c]
    stored = Article.objects.filter(title__in=bulk_titles).count()
    return {
        "articles": missing(Article, articles),
        "bulk_articles": max(0, bulk_acknowledged - stored),
        "annotations": missing(Annotation, mentions),
        "claims": missing(Claim, claims),
    }
