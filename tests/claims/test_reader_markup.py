"""The reader's text and side panel drawn in one pass: untrusted text stays text, overlaps are
cut as before, the markup keeps the attributes reader.js reads."""

from __future__ import annotations

import random
import re

import pytest
from django.template.defaultfilters import truncatechars
from django.urls import reverse

from claims import highlights, reader_markup
from claims.models import AnchorState, Annotation, Claim
from tests.factories import AnnotationFactory, ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<img src=x onerror="alert(1)">'


def test_reader_escapes_marked_text_statements_and_quotes(client, project, viewer) -> None:
    text = f"Plain start. Marked {HOSTILE} & 'quoted' part. Plain end."
    article = ArticleFactory(project=project, text=text)
    claim = ClaimFactory(project=project, statement=f"Statement {HOSTILE}")
    start = text.index("Marked")
    AnnotationFactory(article=article, claim=claim, start=start, end=text.index(" Plain end"))
    client.force_login(viewer)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "<img" not in page
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    mark = re.search(r'<mark class="hl depth-1"[^>]*>(.*?)</mark>', page, re.S)
    assert mark is not None
    assert mark.group(1) == f"Marked {escaped} &amp; &#x27;quoted&#x27; part."
    assert f'title="• Statement {escaped}"' in page
    assert f'dir="auto">Statement {escaped}</a>' in page
    assert f"<bdi>Marked {escaped} &amp; &#x27;quoted&#x27; part.</bdi>" in page


def test_side_panel_links_each_claim_and_mention_with_its_state(client, project, viewer) -> None:
    long_quote = "word " * 40
    article = ArticleFactory(project=project, text=long_quote + "tail.")
    mention = AnnotationFactory(article=article, start=0, end=len(long_quote) - 1)
    Annotation.objects.filter(pk=mention.pk).update(anchor_state=AnchorState.MOVED)
    client.force_login(viewer)
    page = client.get(reverse("article-marks", args=[article.pk])).content.decode()
    claim = mention.claim
    assert f'<li class="side-claim" data-claim="{claim.pk}">' in page
    assert f'href="{claim.get_absolute_url()}"' in page
    assert f'<span class="status status-{claim.status}">{claim.get_status_display()}</span>' in page
    assert f'href="#annotation-{mention.pk}" data-mention="{mention.pk}"' in page
    assert f"<bdi>{truncatechars(mention.exact, 100)}</bdi>" in page
    assert '<span class="warn">Re-anchored by quote</span>' in page
    assert f'<span class="anchor" id="annotation-{mention.pk}"></span>' in page


def test_segments_carry_exactly_the_mentions_covering_them() -> None:
    """The sweep against the definition, on random overlapping, nested and touching spans."""
    rng = random.Random(5)
    text = "x" * 300
    spans = []
    for pk in range(1, 80):
        start = rng.randrange(0, 290)
        spans.append(
            Annotation(pk=pk, claim_id=pk % 7, start=start, end=rng.randrange(start + 1, 301))
        )
    spans.sort(key=lambda m: (m.start, -m.end, m.pk))
    parts = highlights.segments(text, spans)
    assert "".join(p.text for p in parts) == text
    for part in parts:
        assert part.mentions == [m for m in spans if m.start <= part.start and m.end >= part.end]
        assert part.anchors == [m.pk for m in spans if m.start == part.start]


def test_segments_markup_joins_to_the_escaped_text() -> None:
    text = "a < b & c > d"
    mention = Annotation(pk=3, claim=Claim(pk=9, statement="s < t"), start=2, end=5)
    parts = highlights.segments(text, [mention])
    markup = reader_markup.segments_markup(parts)
    assert re.sub(r"<[^>]+>", "", markup) == "a &lt; b &amp; c &gt; d"
    assert '<span class="anchor" id="annotation-3"></span>' in markup
    assert 'data-mentions="3" data-claims="9" title="• s &lt; t"' in markup
