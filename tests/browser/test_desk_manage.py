"""The editor's desk in a real browser: an owner creates a project and adds a member; an
editor adjusts a mention's span by selecting text and by nudging; the review card's reasons
line and its "why?" toggle (390 px and 1280 px wide)."""

from __future__ import annotations

import pytest

from annotations.models import Membership, Project, Role
from tests.browser.helpers import screenshot
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    ClaimFactory,
    MatchCandidateFactory,
    PassageFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser

TEXT = "The bridge closed in May. Repairs cost 4 million euros. The mayor resigned."

# Select the code-point span [start, end) of the span page's text (one text node per part).
SELECT_SPAN = """
([start, end]) => {
  const body = document.querySelector('#span-text .span-body');
  const base = parseInt(document.getElementById('span-text').dataset.offset, 10) || 0;
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let seen = base, started = false;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const n = Array.from(node.data).length;
    const units = (cp) => Array.from(node.data).slice(0, cp).join('').length;
    if (!started && start < seen + n) { range.setStart(node, units(start - seen)); started = true; }
    if (started && end <= seen + n) { range.setEnd(node, units(end - seen)); break; }
    seen += n;
  }
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}
"""


def test_owner_creates_a_project_and_adds_a_member(page, login, outsider, live_server) -> None:
    dana = UserFactory(username="dana", email="dana@paper.example")
    login(outsider)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="New project").first.click()
    page.fill("#id_name", "Port strike")
    page.fill("#id_description", "Dock workers' strike, day by day")
    page.get_by_role("button", name="Create project").click()
    page.locator("#add-member").wait_for()
    assert "You are its owner" in page.locator(".messages").inner_text()
    page.fill("#id_who", "dana@paper.example")
    page.select_option("#id_role", "editor")
    page.get_by_role("button", name="Add member").click()
    page.locator(".message.success").filter(has_text="dana added as editor").wait_for()
    rows = page.locator("table.members tbody tr")
    assert rows.count() == 2
    project = Project.objects.get(name="Port strike")
    assert Membership.objects.get(project=project, user=dana).role == Role.EDITOR
    assert Membership.objects.get(project=project, user=outsider).role == Role.OWNER
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        screenshot(page, f"project-members-{width}")
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"members page scrolls sideways at {width} px"

    # The last owner cannot step down: the page says why and nothing changes.
    page.select_option(f"#role-{Membership.objects.get(user=outsider).pk}", "viewer")
    page.locator(f"#member-{Membership.objects.get(user=outsider).pk}").get_by_role(
        "button", name="Change role"
    ).click()
    assert "at least one owner" in page.locator(".message.error").inner_text()
    assert page.js_errors == []


def test_editor_adjusts_a_mention_span(page, login, editor, project, live_server) -> None:
    article = ArticleFactory(project=project, text=TEXT, title="Bridge")
    start = TEXT.index("Repairs")
    mention = AnnotationFactory(
        article=article,
        claim=ClaimFactory(project=project, statement="Repairs cost 4 million euros"),
        start=start,
        end=start + len("Repairs cost"),
    )
    login(editor)
    page.goto(f"{live_server.url}{mention.claim.get_absolute_url()}")
    page.get_by_role("link", name="Adjust span").click()
    assert page.locator("#current-span").inner_text() == "Repairs cost"

    end = start + len("Repairs cost 4 million euros")
    page.evaluate(SELECT_SPAN, [start, end])
    page.locator("#span-selected").filter(has_text="Repairs cost 4 million euros").wait_for()
    assert page.input_value("#id_start") == str(start)
    assert page.input_value("#id_end") == str(end)
    page.get_by_role("button", name="Save span").click()
    page.locator(".message.success").wait_for()
    assert page.locator("#current-span").inner_text() == "Repairs cost 4 million euros"
    mention.refresh_from_db()
    assert (mention.start, mention.end) == (start, end)

    page.get_by_role("button", name="◀ End").click()
    page.locator(".message.success").wait_for()
    assert page.locator("#current-span").inner_text() == "Repairs cost 4 million"

    page.fill("#id_start", "25")
    page.fill("#id_end", "26")
    page.get_by_role("button", name="Save span").click()
    assert "only whitespace" in page.locator(".form-errors").inner_text()
    mention.refresh_from_db()
    assert mention.exact == "Repairs cost 4 million"
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        screenshot(page, f"mention-span-{width}")
    assert page.js_errors == []


def test_review_card_reads_in_words_and_why_reveals_signals(
    page, login, editor, project, live_server
) -> None:
    claim = ClaimFactory(project=project, statement="The battle for Bakhmut has lasted six months")
    sentence = "The battle for Artyomovsk has lasted seven months."
    article = ArticleFactory(
        project=project, text=sentence, source=SourceFactory(project=project, name="RT")
    )
    passage = PassageFactory(article=article, ordinal=0, start=0, end=len(sentence), text=sentence)
    MatchCandidateFactory(
        claim=claim,
        passage=passage,
        score=0.734,
        signals={
            "semantic": 0.81,
            "numbers": {"match": [], "conflict": [["6 months", "7 months"]], "missing": []},
            "actors": {"match": [], "variant": [["Bakhmut", "Artyomovsk"]], "missing": []},
            "lexical": {"shared": ["battle", "lasted"], "query_coverage": 0.6},
        },
    )
    login(editor)
    page.goto(f"{live_server.url}/projects/{project.slug}/review/")
    card = page.locator(".review-item").first
    line = card.locator(".reasons-line")
    assert line.locator(".likely").inner_text() == "73% likely"
    assert card.locator(".reason").all_inner_texts() == [
        "says 7 months where the claim says 6 months",
        "names Bakhmut as Artyomovsk",
        "shared words: battle, lasted",
    ]
    assert "negative" in card.locator(".reason").first.get_attribute("class")
    signals = card.locator("details.why .signals")
    assert not signals.is_visible()  # the engine's chips are hidden by default
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        screenshot(page, f"review-reasons-{width}")
    card.locator("details.why > summary").click()
    assert signals.is_visible()
    assert "semantic: 0.81" in signals.inner_text()
    assert "numbers conflict: 6 months vs 7 months" in signals.inner_text()
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        screenshot(page, f"review-reasons-why-{width}")
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"review card scrolls sideways at {width} px"
    assert page.js_errors == []
