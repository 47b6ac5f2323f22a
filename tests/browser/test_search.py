"""Searching the project page in a real browser: typing a search narrows the articles and the
claims, and the URL carries the query (so it can be bookmarked, shared and exported)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from annotations.models import ProcessingState
from tests.browser.helpers import screenshot
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    ClaimFactory,
    PassageFactory,
    SourceFactory,
)

pytestmark = pytest.mark.browser

BRIDGE = "The new bridge will take three years to build, the minister said."
HARBOUR = "The harbour budget doubled after the storms, auditors found."


def _article(project, outlet: str, title: str, text: str):
    article = ArticleFactory(
        project=project,
        source=SourceFactory(project=project, name=outlet),
        title=title,
        text=text,
        processing_state=ProcessingState.PROCESSED,
    )
    PassageFactory(article=article, start=0, end=len(text), text=text)
    return article


@pytest.mark.parametrize("width", [390, 1280])
def test_typing_a_search_narrows_the_project_page_and_the_url_keeps_it(
    page, login, viewer, project, live_server, width
) -> None:
    bridge_article = _article(project, "Herald", "Bridge delays", BRIDGE)
    harbour_article = _article(project, "Gazette", "Harbour money", HARBOUR)
    bridge = ClaimFactory(project=project, statement="The bridge takes three years to build.")
    harbour = ClaimFactory(project=project, statement="The harbour budget doubled.")
    AnnotationFactory(article=bridge_article, claim=bridge, start=4, end=14)
    AnnotationFactory(article=harbour_article, claim=harbour, start=4, end=24)
    page.set_viewport_size({"width": width, "height": 900})
    login(viewer)
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    assert page.locator("#article-table tbody tr").count() == 2

    page.get_by_role("searchbox").fill("harbour")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**?q=harbour")

    # Only what was asked: empty fields stay out of the URL.
    assert parse_qs(urlparse(page.url).query) == {"q": ["harbour"]}
    assert page.locator(f"#article-{harbour_article.pk}").is_visible()
    assert page.locator(f"#article-{bridge_article.pk}").count() == 0
    claims = page.locator(".claim-list").inner_text()
    assert "harbour budget" in claims and "bridge" not in claims
    # The search box keeps the words, and the export links carry them.
    assert page.get_by_role("searchbox").input_value() == "harbour"
    csv_link = page.get_by_role("link", name="CSV", exact=True).get_attribute("href") or ""
    assert "q=harbour" in csv_link and f"project={project.pk}" in csv_link
    # Nothing sticks out sideways on a phone.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    screenshot(page, f"project-search-{width}")

    # "all claims" opens the claim list with the same search.
    page.get_by_role("link", name="all claims").click()
    page.wait_for_url(f"**/projects/{project.slug}/claims/?q=harbour")
    assert page.locator("table.claims tbody tr").count() == 1
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    screenshot(page, f"claim-list-search-{width}")
    assert not page.js_errors  # type: ignore[attr-defined]
