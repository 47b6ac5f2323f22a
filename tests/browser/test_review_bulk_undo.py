"""Bulk reject in the review queue, then undo one decision, in headless Chromium."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from claims.models import Annotation, CandidateState, MatchCandidate
from tests.browser.helpers import screenshot
from tests.factories import ArticleFactory, ClaimFactory, MatchCandidateFactory, PassageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "The harbour budget doubled after the storms, auditors found"
_N = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_worker_takes_the_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queued tasks stay in the outbox: the session's worker re-matching the claim after an
    accept would drop these hand-made proposals (their passages carry no embedding) while the
    test looks at them."""
    monkeypatch.setattr("common.outbox._send", lambda message: False)
    monkeypatch.setattr("common.outbox._send_many", lambda messages: None)


def _proposals(project: Any, count: int) -> list[MatchCandidate]:
    claim = ClaimFactory(project=project, statement="The harbour budget doubled.")
    made = []
    for score in (0.9, 0.8, 0.7)[:count]:
        text = f"{TEXT} (report {next(_N)})."
        article = ArticleFactory(project=project, text=text, source__name=f"Outlet {score}")
        passage = PassageFactory(article=article, start=0, end=len(text), text=text)
        made.append(MatchCandidateFactory(passage=passage, claim=claim, score=score))
    return made


@pytest.mark.parametrize("width", [390, 1280])
def test_editor_bulk_rejects_selected_proposals_then_undoes_one(
    page, login, editor, project, live_server, width
) -> None:
    first, second, third = _proposals(project, 3)
    page.set_viewport_size({"width": width, "height": 900})
    login(editor)
    page.goto(f"{live_server.url}/projects/{project.slug}/review/")

    page.check(f"#candidate-{first.pk} input[name=ids]")
    page.check(f"#candidate-{second.pk} input[name=ids]")
    page.click("#bulk-reject")
    page.wait_for_selector("text=2 proposals rejected.")

    assert page.locator(".review-item").count() == 1  # only the third is still waiting
    states = dict(MatchCandidate.objects.values_list("pk", "state"))
    assert states[first.pk] == states[second.pk] == CandidateState.REJECTED
    assert states[third.pk] == CandidateState.PENDING
    recent = page.locator(".recent-decisions li")
    assert recent.count() == 2
    screenshot(page, f"review-bulk-rejected-{width}")

    page.click(f"#decided-{first.pk} button:has-text('Undo')")
    page.wait_for_selector("text=Decision undone: the proposal is back in the review queue.")

    assert page.locator(".review-item").count() == 2
    assert page.locator(f"#candidate-{first.pk}").is_visible()
    assert MatchCandidate.objects.get(pk=first.pk).state == CandidateState.PENDING
    assert page.locator(".recent-decisions li").count() == 1
    box = page.locator("#bulk-form").bounding_box()
    assert box is not None and box["x"] + box["width"] <= width  # the bar fits the screen
    screenshot(page, f"review-bulk-undone-{width}")
    assert page.js_errors == []


def test_undo_beside_a_just_accepted_card_removes_the_mention_and_requeues(
    page, login, editor, project, live_server
) -> None:
    (proposal,) = _proposals(project, 1)
    login(editor)
    page.goto(f"{live_server.url}/projects/{project.slug}/review/")
    card = page.locator(f"#candidate-{proposal.pk}")
    card.get_by_role("button", name="Accept").click()
    undo = card.locator("button.undo")
    undo.wait_for()
    assert MatchCandidate.objects.get(pk=proposal.pk).annotation_id is not None

    undo.click()
    page.locator(f"#candidate-{proposal.pk}:not(.decided)").wait_for()

    proposal.refresh_from_db()
    assert proposal.state == CandidateState.PENDING and proposal.annotation_id is None
    assert not Annotation.objects.exists()
    assert page.js_errors == []
