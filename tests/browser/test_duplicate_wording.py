"""The reader warns when a new claim is worded like an existing one, in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from claims.models import Annotation, Claim
from tests.browser.helpers import BASE_DIR, drag_select, screenshot
from tests.factories import ArticleFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.browser

DEMO_TEXT = (Path(BASE_DIR) / "fixtures" / "demo" / "000.txt").read_text(encoding="utf-8")
SENTENCE = (
    "The battle over Bakhmut has been ongoing for seven months and is the longest and "
    "bloodiest battle of the war."
)


@pytest.mark.parametrize("choice", ["existing", "anyway"])
def test_reader_warns_of_the_same_wording_and_lets_the_editor_choose(
    page, login, editor, project, live_server, choice
) -> None:
    article = ArticleFactory(
        project=project, source=SourceFactory(project=project, name="AP"), text=DEMO_TEXT
    )
    existing = ClaimFactory(project=project, statement="Bakhmut battle lasted seven months")
    start = DEMO_TEXT.index(SENTENCE)
    login(editor)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{article.get_absolute_url()}")
    page.wait_for_selector("#article-text")
    drag_select(page, start, start + len(SENTENCE))
    page.locator("#mark-popover").wait_for(state="visible")
    page.fill("#mark-statement", "  bakhmut BATTLE lasted   seven months ")
    page.click("#mark-save")

    error = page.locator("#mark-error")
    error.get_by_text("already exists in this project").wait_for()
    link = error.get_by_role("link")
    assert link.inner_text() == f"“{existing.statement}”"
    assert link.get_attribute("href") == existing.get_absolute_url()
    assert Claim.objects.count() == 1 and not Annotation.objects.exists()
    screenshot(page, f"reader-duplicate-warning-{choice}")

    page.click("#mark-use-existing" if choice == "existing" else "#mark-create-anyway")
    page.locator("#article-text mark.hl").first.wait_for()
    mention = Annotation.objects.get()
    if choice == "existing":
        assert mention.claim_id == existing.pk and Claim.objects.count() == 1
    else:
        assert mention.claim_id != existing.pk and Claim.objects.count() == 2
    assert page.js_errors == []
