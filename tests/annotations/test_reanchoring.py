"""Re-anchoring annotations after the article text is corrected.

Property-based: random edits of real article text (the demo fixtures) never lose an annotation,
and an annotation that is placed always points at text equal to its quote.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from annotations.services import article_create, article_revise
from claims.models import AnchorState, Annotation
from claims.services import annotation_create
from claims.services.anchoring import reanchor
from common.errors import PreconditionFailed

ARTICLE = (Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "003.txt").read_text()
QUOTE = "the seven-month-long battle for Bakhmut"
Q_START = ARTICLE.index(QUOTE)
Q_END = Q_START + len(QUOTE)


def _anchor(text: str):
    return reanchor(
        text,
        start=Q_START,
        end=Q_END,
        exact=QUOTE,
        prefix=ARTICLE[Q_START - 32 : Q_START],
        suffix=ARTICLE[Q_END : Q_END + 32],
    )


edits = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=len(ARTICLE)),  # where
        st.integers(min_value=0, max_value=40),  # how many characters to delete
        st.text(alphabet="abc xyz.,\n", max_size=40),  # what to insert
    ),
    min_size=1,
    max_size=5,
)


def _apply(text: str, ops: list[tuple[int, int, str]], *, avoid: tuple[int, int] | None) -> str:
    """Apply edits from the end backwards; with `avoid`, edits never touch that span, where it
    is by then (an edit before it moves it: two deletions at one place reach twice as far)."""
    for where, delete, insert in sorted(ops, reverse=True):
        where = min(where, len(text))
        if avoid is not None:
            start, end = avoid
            if (where < end and where + delete > start) or start < where < end:
                continue
            if where <= start:
                shift = len(insert) - min(delete, len(text) - where)
                avoid = (start + shift, end + shift)
        text = text[:where] + insert + text[where + delete :]
    return text


@given(ops=edits)
# Found by Hypothesis: two deletions at one place, each short of the quote, reach into it.
@example(ops=[(Q_START - 79, 40, ""), (Q_START - 79, 40, "")])
@settings(max_examples=200, deadline=None)
def test_edits_outside_the_quote_always_refind_it_exactly(ops) -> None:
    new_text = _apply(ARTICLE, ops, avoid=(Q_START, Q_END))
    anchor = _anchor(new_text)
    assert anchor is not None
    assert new_text[anchor.start : anchor.end] == QUOTE
    assert anchor.state in {AnchorState.ANCHORED, AnchorState.MOVED}


@given(ops=edits)
@settings(max_examples=200, deadline=None)
def test_any_edit_gives_a_true_anchor_or_an_orphan(ops) -> None:
    new_text = _apply(ARTICLE, ops, avoid=None)
    anchor = _anchor(new_text)
    if anchor is None:
        assert QUOTE not in new_text
        return
    assert 0 <= anchor.start < anchor.end <= len(new_text)
    if anchor.state in {AnchorState.ANCHORED, AnchorState.MOVED}:
        assert new_text[anchor.start : anchor.end] == QUOTE


def test_a_typo_fixed_inside_the_quote_is_a_fuzzy_anchor() -> None:
    new_text = ARTICLE.replace(QUOTE, "the seven-month long battle for Bakhmut")
    anchor = _anchor(new_text)
    assert anchor is not None and anchor.state == AnchorState.FUZZY
    assert new_text[anchor.start : anchor.end].endswith("battle for Bakhmut")


def test_a_repeated_quote_is_placed_by_its_context() -> None:
    text = "Alpha said yes. Beta said yes. Gamma said yes."
    anchor = reanchor(
        "Intro. " + text,
        start=16,
        end=29,
        exact="Beta said yes",
        prefix="Alpha said yes. ",
        suffix=". Gamma",
    )
    assert anchor is not None and anchor.start == 7 + 16


@pytest.mark.django_db
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=edits)
def test_revising_real_text_keeps_every_annotation(project, editor, ops) -> None:
    Annotation.objects.all().delete()
    project.articles.all().delete()
    article = article_create(project=project, text=ARTICLE, actor=editor)
    marked = [
        annotation_create(article=article, start=Q_START, end=Q_END, statement="s1", actor=editor),
        annotation_create(article=article, start=100, end=180, statement="s2", actor=editor),
    ]
    new_text = _apply(ARTICLE, ops, avoid=None)
    if new_text == ARTICLE or not new_text.strip():
        return
    revised = article_revise(article=article, text=new_text, actor=editor, expected_revision=1)
    assert revised.revision == 2
    kept = list(Annotation.objects.filter(article=article))
    assert {a.pk for a in kept} == {a.pk for a in marked}
    for annotation in kept:
        if annotation.anchor_state != AnchorState.ORPHANED:
            assert new_text[annotation.start : annotation.end] == annotation.exact


@pytest.mark.django_db
def test_a_stale_revision_is_refused(project, editor) -> None:
    article = article_create(project=project, text="First version of the text.", actor=editor)
    article_revise(
        article=article, text="Second version of the text.", actor=editor, expected_revision=1
    )
    with pytest.raises(PreconditionFailed):
        article_revise(article=article, text="Third version.", actor=editor, expected_revision=1)
