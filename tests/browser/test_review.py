"""The review queue and the project page in a real browser: deciding proposals with the
keyboard without a reload, and the processing state updating live."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.models import Article, ProcessingState
from claims.models import CandidateState, MatchCandidate
from tests.browser.helpers import BASE_DIR, screenshot
from tests.factories import (
    AliasFactory,
    AnnotationFactory,
    ArticleFactory,
    ClaimFactory,
    MatchCandidateFactory,
    PassageFactory,
    SourceFactory,
)

pytestmark = pytest.mark.browser

DEMO = Path(BASE_DIR) / "fixtures" / "demo"
AP_TEXT = (DEMO / "000.txt").read_text(encoding="utf-8")
RT_TEXT = (DEMO / "004.txt").read_text(encoding="utf-8")


def _passage(article, sentence, ordinal):
    start = article.text.index(sentence)
    return PassageFactory(
        article=article, ordinal=ordinal, start=start, end=start + len(sentence), text=sentence
    )


@pytest.fixture
def candidates(project):
    """Two proposals on real demo text: a claim from the AP report, passages in RT's."""
    AliasFactory(project=project, canonical="Bakhmut", variant="Artyomovsk")
    ap = ArticleFactory(
        project=project, text=AP_TEXT, source=SourceFactory(project=project, name="AP")
    )
    rt = ArticleFactory(
        project=project, text=RT_TEXT, source=SourceFactory(project=project, name="RT")
    )
    battle = ClaimFactory(
        project=project, statement="The battle for Bakhmut is the bloodiest of the war"
    )
    sentence = "The battle over Bakhmut has been ongoing for seven months and is the longest and bloodiest battle of the war."
    start = AP_TEXT.index(sentence)
    AnnotationFactory(article=ap, claim=battle, start=start, end=start + len(sentence))
    sell = ClaimFactory(
        project=project, statement="Putin would sell a victory in Bakhmut to China and Iran"
    )
    best = MatchCandidateFactory(
        claim=battle,
        passage=_passage(
            rt,
            "The battle for Artyomovsk has been one of the fiercest and bloodiest in the Ukraine conflict so far.",
            0,
        ),
        score=0.83,
        signals={
            "semantic": 0.74,
            "actors": {"variant": [["Bakhmut", "Artyomovsk"]]},
            "numbers": {"missing": ["seven months"]},
        },
    )
    second = MatchCandidateFactory(
        claim=sell,
        passage=_passage(
            rt, "Zelensky was elected in 2019 on a promise to end the hostilities in Donbass", 1
        ),
        score=0.55,
        signals={"semantic": 0.38, "dates": {"conflict": [["2023", "2019"]]}},
    )
    return best, second


def test_editor_accepts_and_rejects_proposals_with_the_keyboard(
    page, login, editor, project, candidates, live_server
) -> None:
    best, second = candidates
    login(editor)
    page.goto(f"{live_server.url}/projects/{project.slug}/review/")
    items = page.locator(".review-item")
    assert items.count() == 2
    assert items.first.get_attribute("id") == f"candidate-{best.pk}"
    assert "current" in items.first.get_attribute("class")
    shortcuts = page.locator(".shortcuts").inner_text()
    for hint in ("a\naccept", "r\nreject", "s\nrelated, not the same", "j\nnext", "k\nprevious"):
        assert hint.replace("\n", " ") in shortcuts.replace("\n", " ")
    first_text = items.first.locator(".review-target blockquote")
    assert first_text.locator("mark").all_inner_texts()[:2] == ["battle", "Artyomovsk"]
    # The card says it in words; the matcher's chips wait behind "why?".
    assert items.first.locator(".reason.negative").inner_text() == "does not mention seven months"
    chip = items.first.locator(".signal.negative")
    assert not chip.is_visible()
    assert chip.text_content() == "numbers missing: seven months"
    screenshot(page, "review-queue")

    page.keyboard.press("j")
    assert "current" in items.nth(1).get_attribute("class")
    page.keyboard.press("k")
    assert "current" in items.first.get_attribute("class")

    page.keyboard.press("a")
    page.locator(f"#candidate-{best.pk}.decided.state-accepted").wait_for()
    assert "current" in items.nth(1).get_attribute("class")
    page.keyboard.press("r")
    page.locator(f"#candidate-{second.pk}.decided.state-rejected").wait_for()
    assert page.locator("#remaining").inner_text() == "0"
    screenshot(page, "review-queue-decided")

    best.refresh_from_db()
    second.refresh_from_db()
    assert (best.state, second.state) == (CandidateState.ACCEPTED, CandidateState.REJECTED)
    assert best.annotation.exact.startswith("The battle for Artyomovsk")
    assert best.reviewer == editor
    assert page.js_errors == []

    page.reload()
    assert page.locator(".review-item").count() == 0
    assert "Nothing to review" in page.locator("main").inner_text()


def test_related_not_same_by_click_updates_in_place(
    page, login, editor, project, candidates, live_server
) -> None:
    best, _ = candidates
    login(editor)
    page.goto(f"{live_server.url}/projects/{project.slug}/review/")
    page.locator(f"#candidate-{best.pk} button[data-decision=related]").click()
    outcome = page.locator(f"#candidate-{best.pk} .outcome")
    outcome.wait_for()
    page.locator(f"#candidate-{best.pk}.decided").wait_for()
    assert "related, not the same" in outcome.inner_text().lower()
    assert MatchCandidate.objects.get(pk=best.pk).state == CandidateState.RELATED


def test_viewer_sees_the_queue_but_keys_decide_nothing(
    page, login, viewer, project, candidates, live_server
) -> None:
    login(viewer)
    page.goto(f"{live_server.url}/projects/{project.slug}/review/")
    assert page.locator("button[data-decision]").count() == 0
    page.keyboard.press("a")
    page.wait_for_timeout(300)
    assert not MatchCandidate.objects.exclude(state=CandidateState.PENDING).exists()


def test_project_page_shows_processing_state_live(
    page, login, editor, project, live_server
) -> None:
    article = ArticleFactory(
        project=project, title="Still processing", processing_state=ProcessingState.PROCESSING
    )
    login(editor)
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    row = page.locator(f"#article-{article.pk}")
    assert "Processing" in row.inner_text()
    Article.objects.filter(pk=article.pk).update(processing_state=ProcessingState.PROCESSED)
    page.locator(f"#article-{article.pk} .state-processed").wait_for(timeout=6000)
    # Once nothing is pending the table stops polling.
    assert page.locator("#article-table[hx-trigger]").count() == 0
