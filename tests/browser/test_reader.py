"""The reader in a real browser: marking by mouse and keyboard, highlights after reload,
attaching to an existing claim, viewers, and markup in article text."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.models import Role
from claims.models import Annotation
from tests.browser.helpers import BASE_DIR, drag_select, screenshot, selected_text
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    ClaimFactory,
    MembershipFactory,
    SourceFactory,
)

pytestmark = pytest.mark.browser

DEMO_TEXT = (Path(BASE_DIR) / "fixtures" / "demo" / "000.txt").read_text(encoding="utf-8")
SENTENCE = (
    "The battle over Bakhmut has been ongoing for seven months and is the longest and "
    "bloodiest battle of the war."
)


@pytest.fixture
def demo_article(project):
    return ArticleFactory(
        project=project,
        source=SourceFactory(project=project, name="AP"),
        title="Zelensky: Putin will 'smell' weakness if Bakhmut falls",
        text=DEMO_TEXT,
    )


def test_log_in_and_out(page, login, editor, project, live_server) -> None:
    login(editor, via_form=True)
    assert page.locator("h1").inner_text() == "Your projects"
    assert page.get_by_role("link", name="Bridge collapse").is_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url


def test_editor_marks_a_sentence_with_the_mouse_and_sees_it_after_reload(
    page, login, editor, demo_article, live_server
) -> None:
    start = DEMO_TEXT.index(SENTENCE)
    end = start + len(SENTENCE)
    login(editor, via_form=True)
    page.goto(f"{live_server.url}/projects/{demo_article.project.slug}/")
    page.get_by_role("link", name=demo_article.title).click()
    page.wait_for_selector("#article-text")

    drag_select(page, start, end)
    assert selected_text(page).strip() == SENTENCE
    popover = page.locator("#mark-popover")
    popover.wait_for(state="visible")
    assert page.locator("#mark-quote").inner_text() == SENTENCE
    assert page.locator("#mark-statement").input_value() == SENTENCE
    page.fill("#mark-statement", "The battle for Bakhmut has lasted seven months")
    page.select_option("#mark-kind", "number")
    page.click("#mark-save")

    highlight = page.locator("#article-text mark.hl")
    highlight.first.wait_for()
    assert popover.is_hidden()
    mention = Annotation.objects.get()
    assert (mention.start, mention.end, mention.exact) == (start, end, SENTENCE)
    assert mention.claim.statement == "The battle for Bakhmut has lasted seven months"
    assert mention.claim.kind == "number"
    assert mention.author == editor
    page.wait_for_timeout(1700)  # let the new highlight's flash fade for the screenshot
    screenshot(page, "reader")

    page.reload()
    highlight = page.locator("#article-text mark.hl")
    assert "".join(highlight.all_inner_texts()) == SENTENCE
    assert (
        page.locator(".side-claim")
        .inner_text()
        .startswith("The battle for Bakhmut has lasted seven months")
    )

    page.locator(".side-claim a.statement").click()
    page.wait_for_url(f"**/claims/{mention.claim_id}/")
    assert page.locator("h1.statement").inner_text() == (
        "The battle for Bakhmut has lasted seven months"
    )
    assert SENTENCE in page.locator(".mention-card").inner_text()
    assert "AP" in page.locator(".mention-card header").inner_text()
    screenshot(page, "claim-page")
    page.get_by_role("link", name="Show in article").click()
    page.wait_for_url(f"**/articles/{demo_article.pk}/#annotation-{mention.pk}")
    assert page.js_errors == []


def test_editor_marks_a_span_with_the_keyboard(
    page, login, editor, demo_article, live_server
) -> None:
    login(editor)
    page.goto(f"{live_server.url}{demo_article.get_absolute_url()}")
    page.focus("#article-text")
    # The text begins " date 2023-03-29 Ukrainian...": extend over the first 16 characters.
    for _ in range(16):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Enter")
    page.locator("#mark-popover").wait_for(state="visible")
    assert page.locator("#mark-quote").inner_text() == DEMO_TEXT[1:16]
    assert page.evaluate("document.activeElement.id") == "mark-statement"
    page.keyboard.press("Control+Enter")
    page.locator("#article-text mark.hl").first.wait_for()
    mention = Annotation.objects.get()
    assert (mention.start, mention.end, mention.exact) == (1, 16, "date 2023-03-29")


def test_editor_attaches_a_span_to_an_existing_claim_found_by_typing(
    page, login, editor, demo_article, live_server
) -> None:
    claim = ClaimFactory(
        project=demo_article.project, statement="Putin would sell a Bakhmut victory abroad"
    )
    ClaimFactory(project=demo_article.project, statement="China stays neutral")
    quote = "Putin would “sell this victory” to the Russian people, China and Iran"
    start = DEMO_TEXT.index(quote)
    login(editor)
    page.goto(f"{live_server.url}{demo_article.get_absolute_url()}")
    drag_select(page, start, start + len(quote))
    page.locator("#mark-popover").wait_for(state="visible")
    page.select_option("#mark-stance", "reports")
    page.get_by_role("tab", name="Attach to existing claim").click()
    page.keyboard.type("sell victory")
    result = page.locator("#claim-results button.result")
    result.first.wait_for()
    assert result.all_inner_texts() == [claim.statement]
    result.first.click()
    page.click("#mark-attach")
    page.locator("#article-text mark.hl").first.wait_for()
    mention = Annotation.objects.get()
    assert mention.claim == claim
    assert mention.exact == quote
    assert mention.stance == "reports"


def test_viewer_can_read_but_not_mark(page, login, project, demo_article, live_server) -> None:
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    AnnotationFactory(article=demo_article, start=1, end=16)
    login(viewer)
    page.goto(f"{live_server.url}{demo_article.get_absolute_url()}")
    assert page.locator("#article-text mark.hl").count() == 1
    start = DEMO_TEXT.index(SENTENCE)
    drag_select(page, start, start + len(SENTENCE))
    assert selected_text(page).strip() == SENTENCE
    page.wait_for_timeout(300)
    assert page.locator("#mark-popover").count() == 0
    assert "needs the editor role" in page.locator(".how-to").inner_text()
    status = page.evaluate(
        """async (url) => {
            const token = document.querySelector('meta[name=csrf-token]').content;
            const body = new URLSearchParams({start: 1, end: 16, exact: 'date 2023-03-29',
                                              statement: 'x'});
            const r = await fetch(url, {method: 'POST', body, headers: {'X-CSRFToken': token}});
            return r.status;
        }""",
        f"/articles/{demo_article.pk}/mentions/",
    )
    assert status == 403
    assert Annotation.objects.count() == 1


def test_script_in_article_text_is_shown_as_text_and_never_runs(
    page, login, editor, project, live_server
) -> None:
    text = (
        "Before <script>window.__pwned = 'script'</script> and "
        '<img src="x" onerror="window.__pwned = \'img\'"> after.'
    )
    article = ArticleFactory(project=project, text=text, title="<b>Bold</b> title")
    AnnotationFactory(article=article, start=7, end=49)
    login(editor)
    page.goto(f"{live_server.url}{article.get_absolute_url()}")
    assert page.locator("#article-text").inner_text() == text
    assert page.locator("h1").inner_text() == "<b>Bold</b> title"
    assert page.locator("#article-text script, #article-text img").count() == 0
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None
