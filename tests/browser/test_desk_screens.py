"""The editor's desk on any screen and in any script, in a real browser: no sideways scroll
from phone to desktop, right-to-left text, a colour per claim, project navigation, undated
articles, post/redirect/get on a failed add, and the mark panel by keyboard and touch."""

from __future__ import annotations

from typing import Any

import pytest

from annotations.models import Article
from tests.browser.helpers import INSTALL_RANGE_HELPER, screenshot
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    ClaimFactory,
    MatchCandidateFactory,
    PassageFactory,
    SourceFactory,
)

pytestmark = pytest.mark.browser

TEXT = (
    "The battle over Bakhmut has been ongoing for seven months. "
    "China sent nonlethal aid to the front, officials said on Tuesday.\n\n"
    "A long unbroken identifier follows: "
    "https://example.org/a/really/long/path/that/does/not/break/anywhere/at/all/ever\n\n"
    "The mayor said the city would be rebuilt within three years."
)
ARABIC = (
    "استمرت معركة باخموت سبعة أشهر، وهي أطول معركة في الحرب.\n\nقال المسؤولون ذلك يوم الثلاثاء."
)


def _desk(project: Any) -> dict[str, Any]:
    """A project with an undated article, two claims marked in it and a pending proposal."""
    source = SourceFactory(project=project, name="Associated Press International Wire")
    article = ArticleFactory(
        project=project,
        source=source,
        title="Zelensky: Putin will 'smell' weakness if Bakhmut falls, and a long title besides",
        text=TEXT,
    )
    seven = ClaimFactory(project=project, statement="The battle for Bakhmut lasted seven months")
    aid = ClaimFactory(project=project, statement="China sent nonlethal aid")
    AnnotationFactory(article=article, claim=seven, start=0, end=57)
    AnnotationFactory(article=article, claim=aid, start=59, end=96)
    other = ArticleFactory(
        project=project, text="Bakhmut: seven months of fighting, the army says."
    )
    passage = PassageFactory(article=other, start=0, end=33)
    MatchCandidateFactory(passage=passage, claim=seven)
    return {"article": article, "claims": [seven, aid]}


def _no_sideways_scroll(page: Any) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth, location.pathname]"
    )
    assert widths[0] <= widths[1], f"{widths[2]} is {widths[0]} px wide in {widths[1]} px"


@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_scrolls_sideways(page, login, editor, project, live_server, width) -> None:
    desk = _desk(project)
    login(editor)
    page.set_viewport_size({"width": width, "height": 900})
    claim = desk["claims"][0]
    pages = {
        "projects": "/",
        "project": project.get_absolute_url(),
        "reader": desk["article"].get_absolute_url(),
        "review": f"/projects/{project.slug}/review/",
        "claim": claim.get_absolute_url(),
        "matrix": f"/projects/{project.slug}/matrix/",
    }
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        if name == "project":
            page.click("details.add-article > summary")  # the open form must fit too
        _no_sideways_scroll(page)
        screenshot(page, f"desk-{name}-{width}")
    assert page.js_errors == []


def test_arabic_article_reads_right_to_left(page, login, viewer, project, live_server) -> None:
    article = ArticleFactory(project=project, title="معركة باخموت", text=ARABIC)
    claim = ClaimFactory(project=project, statement="استمرت معركة باخموت سبعة أشهر")
    AnnotationFactory(article=article, claim=claim, start=0, end=30)
    login(viewer)
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}{article.get_absolute_url()}")
    direction = "el => getComputedStyle(el).direction"
    assert page.eval_on_selector("#article-text", direction) == "rtl"
    assert page.eval_on_selector(".side-claim .statement", direction) == "rtl"
    # The page chrome stays left-to-right.
    assert page.eval_on_selector(".how-to", direction) == "ltr"
    _no_sideways_scroll(page)
    screenshot(page, "desk-reader-arabic-390")


def test_each_paragraph_of_a_mixed_article_takes_its_own_direction(
    page, login, viewer, project, live_server
) -> None:
    english = "The battle lasted seven months, the commander said."
    article = ArticleFactory(project=project, text=f"{english}\n\n{ARABIC}")
    login(viewer)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{article.get_absolute_url()}")
    edges = page.eval_on_selector(
        "#article-text",
        """(el, texts) => {
            const style = getComputedStyle(el), box = el.getBoundingClientRect();
            const left = box.left + parseFloat(style.paddingLeft);
            const right = box.right - parseFloat(style.paddingRight);
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            const rect = (text) => {
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    const at = node.data.indexOf(text);
                    if (at >= 0) {
                        const range = document.createRange();
                        range.setStart(node, at);
                        range.setEnd(node, at + text.length);
                        return range.getClientRects()[0];
                    }
                }
                return null;
            };
            const en = rect(texts[0]);
            walker.currentNode = el;
            const ar = rect(texts[1]);
            return {left, right, enLeft: en.left, arRight: ar.right};
        }""",
        [english[:20], ARABIC.split("\n")[0][:12]],
    )
    # The English paragraph starts at the left edge, the Arabic one at the right edge.
    assert abs(edges["enLeft"] - edges["left"]) < 4, edges
    assert abs(edges["arRight"] - edges["right"]) < 4, edges
    screenshot(page, "desk-reader-mixed-direction-1280")


def test_each_claim_has_its_own_colour_and_the_legend_shows_it(
    page, login, viewer, project, live_server
) -> None:
    desk = _desk(project)
    login(viewer)
    page.goto(f"{live_server.url}{desk['article'].get_absolute_url()}")
    background = "el => getComputedStyle(el).backgroundColor"
    seven, aid = (str(c.pk) for c in desk["claims"])
    mark_seven = page.eval_on_selector(f'mark[data-claims="{seven}"]', background)
    mark_aid = page.eval_on_selector(f'mark[data-claims="{aid}"]', background)
    assert mark_seven != mark_aid
    legend_seven = page.locator(f'.side-claim[data-claim="{seven}"]')
    legend_aid = page.locator(f'.side-claim[data-claim="{aid}"]')
    assert legend_seven.locator(".swatch").evaluate(background) == mark_seven
    assert legend_aid.locator(".swatch").evaluate(background) == mark_aid
    assert "seven months" in legend_seven.inner_text()
    assert "nonlethal aid" in legend_aid.inner_text()
    screenshot(page, "desk-reader-colours-1280")


def test_project_pages_link_to_each_other(page, login, viewer, project, live_server) -> None:
    desk = _desk(project)
    login(viewer)
    page.goto(f"{live_server.url}{desk['article'].get_absolute_url()}")
    nav = page.get_by_role("navigation", name="Project")
    for name in ["Articles", "Claims", "Review queue", "Claims × sources"]:
        assert nav.get_by_role("link", name=name, exact=True).count() == 1
    nav.get_by_role("link", name="Review queue").click()
    page.wait_for_url(f"**/projects/{project.slug}/review/")
    current = page.locator(".project-nav [aria-current=page]")
    assert current.inner_text() == "Review queue"
    page.get_by_role("navigation", name="Project").get_by_role(
        "link", name="Claims × sources"
    ).click()
    page.wait_for_url(f"**/projects/{project.slug}/matrix/")
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Articles").click()
    page.wait_for_url(f"**{project.get_absolute_url()}")


def test_article_without_a_date_is_shown_as_undated(
    page, login, viewer, project, live_server
) -> None:
    desk = _desk(project)
    login(viewer)
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    row = page.locator(f"#article-{desk['article'].pk}")
    assert "undated" in row.inner_text()
    page.goto(f"{live_server.url}{desk['article'].get_absolute_url()}")
    assert "undated" in page.locator(".byline").inner_text()


def test_failed_add_article_ends_on_the_project_page_and_reload_does_not_repost(
    page, login, editor, project, live_server
) -> None:
    desk = _desk(project)
    login(editor)
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    page.click("details.add-article > summary")
    page.fill("#id_text", TEXT)  # a duplicate of the article already there
    page.fill("#id_title", "My typed title")
    page.click("details.add-article button[type=submit]")
    page.wait_for_url(f"{live_server.url}{project.get_absolute_url()}#add-article")
    error = page.locator(".add-article .form-errors")
    assert "already in the project" in error.inner_text()
    assert page.input_value("#id_title") == "My typed title"
    assert error.get_by_role("link", name="Open it").get_attribute("href") == (
        desk["article"].get_absolute_url()
    )
    page.reload()  # a GET: nothing is posted again, and the error was shown once
    assert page.locator(".add-article .form-errors").count() == 0
    assert Article.objects.filter(project=project).count() == 2


def _open_panel_by_keyboard(page: Any) -> None:
    page.focus("#article-text")
    for _ in range(10):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Enter")
    page.locator("#mark-popover").wait_for(state="visible")


def test_tab_stays_in_the_mark_panel_and_escape_returns_focus(
    page, login, editor, project, live_server
) -> None:
    desk = _desk(project)
    login(editor)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}{desk['article'].get_absolute_url()}")
    _open_panel_by_keyboard(page)
    inside = "() => document.getElementById('mark-popover').contains(document.activeElement)"
    seen = set()
    for _ in range(12):  # more presses than the panel has controls: it must wrap around
        page.keyboard.press("Tab")
        assert page.evaluate(inside)
        seen.add(page.evaluate("document.activeElement.id || document.activeElement.className"))
    assert "mark-statement" in seen and "mark-save" in seen
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(inside)
    page.keyboard.press("Escape")
    assert page.locator("#mark-popover").is_hidden()
    assert page.evaluate("document.activeElement.id") == "article-text"
    assert page.js_errors == []


def test_tab_from_the_text_reaches_the_open_panel_first(
    page, login, editor, project, live_server
) -> None:
    desk = _desk(project)
    login(editor)
    page.goto(f"{live_server.url}{desk['article'].get_absolute_url()}")
    page.focus("#article-text")
    for _ in range(10):
        page.keyboard.press("Shift+ArrowRight")
    page.locator("#mark-popover").wait_for(state="visible")  # opened by selectionchange
    assert page.evaluate("document.activeElement.id") == "article-text"
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.dataset.action")
    assert first == "close"  # the panel's first control
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "article-text"


def test_article_text_shows_a_focus_ring_and_a_skip_link_leads_to_main(
    page, login, viewer, project, live_server
) -> None:
    desk = _desk(project)
    login(viewer)
    page.goto(f"{live_server.url}{desk['article'].get_absolute_url()}")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert skip.is_visible() and skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.focus("#article-text")
    outline = page.eval_on_selector(
        "#article-text",
        "el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]",
    )
    assert outline[0] != "none" and float(outline[1].removesuffix("px")) >= 2
    screenshot(page, "desk-reader-focus-1280")


def test_a_selection_without_mouseup_opens_the_panel(
    page, login, editor, project, live_server
) -> None:
    desk = _desk(project)
    login(editor)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}{desk['article'].get_absolute_url()}")
    page.evaluate(INSTALL_RANGE_HELPER)
    start = TEXT.index("officials said")
    end = start + len("officials said")
    # As a touch long-press does: the selection changes, no mouse event follows.
    page.evaluate(
        """() => {
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(window.__spanRange(START, END));
        }""".replace("START", str(start)).replace("END", str(end))
    )
    page.locator("#mark-popover").wait_for(state="visible")
    assert page.locator("#mark-quote").inner_text() == "officials said"
    _no_sideways_scroll(page)
    screenshot(page, "desk-reader-touch-390")
