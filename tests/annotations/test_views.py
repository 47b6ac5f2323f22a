"""Browser pages for projects and articles: roles, rendering, loading, live state, query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from annotations.forms import MSG_ONE_SOURCE
from annotations.models import Article, ProcessingState
from annotations.services.extraction import ExtractedArticle
from claims import highlights
from claims.models import AnchorState
from common.models import OutboxMessage
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    ClaimFactory,
    MatchCandidateFactory,
    ProjectFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

TEXT = "The bridge closed in May. Repairs cost 4 million euros. The mayor resigned."


def _article(project, **kwargs) -> Article:
    return ArticleFactory(project=project, text=kwargs.pop("text", TEXT), **kwargs)


# --- Login and the project list -------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client) -> None:
    response = client.get(reverse("project-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_has_a_csrf_protected_form(client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert b'name="password"' in response.content


def test_logout_is_a_post_button_on_every_page(client, editor) -> None:
    client.force_login(editor)
    page = client.get(reverse("project-list")).content.decode()
    assert re.search(r'<form method="post" action="/accounts/logout/"', page)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("project-list")).status_code == 302


def test_project_list_shows_only_the_users_projects_with_counts(
    client, project, editor, django_assert_max_num_queries
) -> None:
    ProjectFactory(name="Secret desk")
    _article(project)
    ClaimFactory(project=project)
    client.force_login(editor)
    with django_assert_max_num_queries(4):
        response = client.get(reverse("project-list"))
    page = response.content.decode()
    assert "Bridge collapse" in page
    assert "Secret desk" not in page
    project_row = response.context["projects"][0]
    assert (project_row.article_count, project_row.claim_count) == (1, 1)


def test_outsider_sees_no_projects(client, project, outsider) -> None:
    client.force_login(outsider)
    response = client.get(reverse("project-list"))
    assert list(response.context["projects"]) == []
    assert "not a member of any project" in response.content.decode()


# --- The project page -----------------------------------------------------------------------


def test_project_page_lists_articles_with_outlet_date_state_and_claim_count(
    client, project, viewer
) -> None:
    source = SourceFactory(project=project, name="The Gazette")
    article = _article(
        project,
        source=source,
        title="Bridge shut",
        published_at=dt.datetime(2024, 5, 2, tzinfo=dt.UTC),
        processing_state=ProcessingState.PROCESSED,
    )
    AnnotationFactory(article=article)
    AnnotationFactory(article=article, start=26, end=55)
    client.force_login(viewer)
    page = client.get(reverse("project-detail", args=[project.slug])).content.decode()
    row = page[page.index(f'id="article-{article.pk}"') :].split("</tr>")[0]
    assert "The Gazette" in row
    assert "2024-05-02" in row
    assert "Bridge shut" in row
    assert "Processed" in row
    assert '<td class="num">2</td>' in row


def test_project_page_lists_the_projects_claims(client, project, viewer) -> None:
    claim = ClaimFactory(project=project, statement="Repairs cost four million euros")
    client.force_login(viewer)
    page = client.get(reverse("project-detail", args=[project.slug])).content.decode()
    assert "Repairs cost four million euros" in page
    assert claim.get_absolute_url() in page


def test_project_page_hides_project_from_outsider(client, project, outsider) -> None:
    client.force_login(outsider)
    response = client.get(reverse("project-detail", args=[project.slug]))
    assert response.status_code == 404
    assert "Bridge collapse" not in response.content.decode()


def test_project_page_queries_do_not_grow_with_articles_and_claims(
    client, project, editor, django_assert_max_num_queries
) -> None:
    for i in range(12):
        article = _article(project, text=f"{TEXT} Number {i}.")
        AnnotationFactory(article=article)
    client.force_login(editor)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("project-detail", args=[project.slug]))
    assert len(response.context["articles"]) == 12


def test_editor_sees_the_add_article_form_and_viewer_does_not(
    client, project, editor, viewer
) -> None:
    url = reverse("project-detail", args=[project.slug])
    client.force_login(editor)
    assert "Add an article" in client.get(url).content.decode()
    client.force_login(viewer)
    assert "Add an article" not in client.get(url).content.decode()


def test_editor_adds_pasted_article_and_lands_in_the_reader(client, project, editor) -> None:
    client.force_login(editor)
    response = client.post(
        reverse("article-add", args=[project.slug]),
        {"text": TEXT, "title": "Bridge", "outlet": "Gazette", "published_at": "2024-05-02"},
    )
    article = Article.objects.get(project=project)
    assert response.status_code == 302
    assert response["Location"] == article.get_absolute_url()
    assert article.source is not None and article.published_at is not None
    assert (article.title, article.source.name) == ("Bridge", "Gazette")
    assert article.published_at.date() == dt.date(2024, 5, 2)
    assert OutboxMessage.objects.filter(task_name="annotations.process_article").exists()


def test_editor_uploads_a_text_file(client, project, editor) -> None:
    client.force_login(editor)
    upload = SimpleUploadedFile("bridge.txt", TEXT.encode(), content_type="text/plain")
    response = client.post(reverse("article-add", args=[project.slug]), {"file": upload})
    assert response.status_code == 302
    assert Article.objects.get(project=project).text == TEXT


def test_editor_adds_an_article_from_a_url(client, project, editor, monkeypatch) -> None:
    def fake_fetch(url: str) -> ExtractedArticle:
        return ExtractedArticle(text=TEXT, title="From the web", url=url, outlet="Web Times")

    monkeypatch.setattr("annotations.services.articles.fetch_url", fake_fetch)
    client.force_login(editor)
    response = client.post(
        reverse("article-add", args=[project.slug]), {"url": "https://example.org/bridge"}
    )
    assert response.status_code == 302
    article = Article.objects.get(project=project)
    assert article.source is not None
    assert (article.title, article.source.name) == ("From the web", "Web Times")


def test_adding_a_duplicate_article_says_so_and_links_to_it(client, project, editor) -> None:
    existing = _article(project, title="Already here")
    client.force_login(editor)
    response = client.post(reverse("article-add", args=[project.slug]), {"text": TEXT}, follow=True)
    # Post/redirect/get: the browser ends on the project page, not on the POST URL.
    assert response.redirect_chain == [(f"{project.get_absolute_url()}#add-article", 302)]
    page = response.content.decode()
    assert "already in the project" in page
    assert reverse("article-read", args=[existing.pk]) in page


def test_adding_an_article_needs_exactly_one_source(client, project, editor) -> None:
    client.force_login(editor)
    response = client.post(
        reverse("article-add", args=[project.slug]),
        {"text": TEXT, "url": "https://example.org/x", "title": "Kept title"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"{project.get_absolute_url()}#add-article"
    page = response.content.decode()
    assert MSG_ONE_SOURCE in page
    assert 'value="Kept title"' in page  # what was typed survives the redirect
    assert not Article.objects.exists()
    # Shown once: a reload shows a fresh form.
    assert MSG_ONE_SOURCE not in client.get(project.get_absolute_url()).content.decode()


def test_viewer_cannot_add_an_article(client, project, viewer) -> None:
    client.force_login(viewer)
    response = client.post(reverse("article-add", args=[project.slug]), {"text": TEXT})
    assert response.status_code == 403
    assert not Article.objects.exists()


def test_outsider_cannot_add_an_article(client, project, outsider) -> None:
    client.force_login(outsider)
    response = client.post(reverse("article-add", args=[project.slug]), {"text": TEXT})
    assert response.status_code == 404


def test_article_table_polls_while_an_article_is_processed(client, project, viewer) -> None:
    article = _article(project, processing_state=ProcessingState.PROCESSING)
    client.force_login(viewer)
    url = reverse("project-articles", args=[project.slug])
    assert 'hx-trigger="every 2s"' in client.get(url).content.decode()
    Article.objects.filter(pk=article.pk).update(processing_state=ProcessingState.PROCESSED)
    fragment = client.get(url).content.decode()
    assert "hx-trigger" not in fragment
    assert "Processed" in fragment


# --- The reader -----------------------------------------------------------------------------


def test_reader_shows_markup_in_the_text_as_text(client, project, viewer) -> None:
    article = _article(project, text='Before <script>alert("x")</script> <b>after</b> & more.')
    client.force_login(viewer)
    page = client.get(article.get_absolute_url()).content.decode()
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &lt;b&gt;after&lt;/b&gt; &amp;" in page
    )
    assert '<script>alert("x")' not in page


def test_reader_text_container_holds_exactly_the_article_text(client, project, viewer) -> None:
    article = _article(project, text="Line one.\n\n  Indented <b> line two.\nEnd.")
    AnnotationFactory(article=article, start=0, end=9)
    AnnotationFactory(article=article, start=5, end=24)
    client.force_login(viewer)
    page = client.get(article.get_absolute_url()).content.decode()
    found = re.search(r'<div id="article-text"[^>]*>(.*?)</div>', page, re.S)
    assert found is not None
    text = re.sub(r"<[^>]+>", "", found.group(1))
    unescaped = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped == article.text


def test_reader_highlights_overlapping_mentions_with_a_deeper_shade(
    client, project, viewer
) -> None:
    article = _article(project)
    first = AnnotationFactory(article=article, start=0, end=25)
    second = AnnotationFactory(article=article, start=4, end=55)
    client.force_login(viewer)
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'id="annotation-{first.pk}"' in page
    assert f'id="annotation-{second.pk}"' in page
    overlap = re.search(r'<mark class="hl depth-2" data-mentions="([\d ]+)"', page)
    assert overlap is not None
    assert set(overlap.group(1).split()) == {str(first.pk), str(second.pk)}


def test_reader_side_panel_lists_the_articles_claims(client, project, viewer) -> None:
    article = _article(project)
    mention = AnnotationFactory(
        article=article, claim=ClaimFactory(project=project, statement="The bridge closed")
    )
    client.force_login(viewer)
    response = client.get(article.get_absolute_url())
    page = response.content.decode()
    assert "The bridge closed" in page
    assert f'href="#annotation-{mention.pk}"' in page


def test_reader_offers_marking_to_editors_only(client, project, editor, viewer) -> None:
    article = _article(project)
    client.force_login(editor)
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'id="mark-popover"' in page
    assert 'data-can-mark="true"' in page
    client.force_login(viewer)
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'id="mark-popover"' not in page
    assert 'data-can-mark="false"' in page


def test_reader_hides_article_from_outsider(client, project, outsider) -> None:
    article = _article(project)
    client.force_login(outsider)
    assert client.get(article.get_absolute_url()).status_code == 404
    assert client.get(reverse("article-marks", args=[article.pk])).status_code == 404
    assert client.get(reverse("article-state", args=[article.pk])).status_code == 404


def test_reader_query_count_does_not_grow_with_mentions(
    client, project, editor, django_assert_max_num_queries
) -> None:
    article = _article(project)
    for start in range(0, 40, 4):
        AnnotationFactory(article=article, start=start, end=start + 10)
    client.force_login(editor)
    with django_assert_max_num_queries(8):
        client.get(article.get_absolute_url())


def test_article_state_polls_until_processed_and_matched(client, project, viewer) -> None:
    article = _article(project, processing_state=ProcessingState.PENDING)
    client.force_login(viewer)
    url = reverse("article-state", args=[article.pk])
    assert 'hx-trigger="every 2s"' in client.get(url).content.decode()
    Article.objects.filter(pk=article.pk).update(
        processing_state=ProcessingState.PROCESSED,
        processed_at=timezone.now() - dt.timedelta(minutes=5),
    )
    MatchCandidateFactory(passage__article=article)
    fragment = client.get(url).content.decode()
    assert "hx-trigger" not in fragment
    assert "1 proposal to review" in fragment


def test_article_state_polls_while_the_article_waits_for_matching(client, project, viewer) -> None:
    article = _article(project, processing_state=ProcessingState.PROCESSED)
    client.force_login(viewer)
    url = reverse("article-state", args=[article.pk])
    Article.objects.filter(pk=article.pk).update(processed_at=timezone.now(), matched_at=None)
    assert 'hx-trigger="every 2s"' in client.get(url).content.decode()
    Article.objects.filter(pk=article.pk).update(matched_at=timezone.now())
    assert "hx-trigger" not in client.get(url).content.decode()


def test_article_marks_fragment_renders_text_and_claims(client, project, viewer) -> None:
    article = _article(project)
    AnnotationFactory(article=article, claim=ClaimFactory(project=project, statement="Closed"))
    client.force_login(viewer)
    fragment = client.get(reverse("article-marks", args=[article.pk])).content.decode()
    assert fragment.startswith('<div id="reader-body"')
    assert "Closed" in fragment


# --- Segments (pure) ------------------------------------------------------------------------


def test_segments_join_to_the_text_and_carry_every_covering_mention(project) -> None:
    article = _article(project)
    a = AnnotationFactory(article=article, start=0, end=10)
    b = AnnotationFactory(article=article, start=5, end=20)
    parts = highlights.segments(article.text, [a, b])
    assert "".join(p.text for p in parts) == article.text
    assert [(p.start, p.end, p.depth) for p in parts] == [
        (0, 5, 1),
        (5, 10, 2),
        (10, 20, 1),
        (20, len(article.text), 0),
    ]
    assert parts[0].anchors == [a.pk]
    assert parts[1].anchors == [b.pk]


def test_segments_leave_out_orphaned_and_out_of_range_mentions(project) -> None:
    article = _article(project)
    orphan = AnnotationFactory(article=article, start=0, end=10)
    orphan.anchor_state = AnchorState.ORPHANED
    beyond = AnnotationFactory(article=article, start=0, end=10)
    beyond.end = len(article.text) + 5
    parts = highlights.segments(article.text, [orphan, beyond])
    assert len(parts) == 1
    assert parts[0].mentions == []
