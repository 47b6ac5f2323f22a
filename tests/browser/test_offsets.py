"""Selection → character offsets (static/claimtrack/reader.js), checked in Chromium against
Python's own slicing of the article text: overlapping highlights, emoji (two UTF-16 units, one
code point), newlines, markup characters, element boundary points and selections that reach
outside the text."""

from __future__ import annotations

import pytest

from claims.models import Annotation
from tests.browser.helpers import INSTALL_RANGE_HELPER, drag_select
from tests.factories import AnnotationFactory, ArticleFactory

pytestmark = pytest.mark.browser

TEXT = (
    "  Leading spaces stay.\n"
    "Emoji 🙂 and 🇺🇦 flags, <b>tags</b> & “quotes”.\n\n"
    "Overlap here: alpha beta gamma delta epsilon.\n"
    "Last line ends here."
)
ALPHA = TEXT.index("alpha beta gamma")
DELTA_END = TEXT.index("delta") + len("delta")


def _trimmed(start: int, end: int) -> dict[str, object]:
    """What the reader must report for [start, end): whitespace at the edges dropped."""
    raw = TEXT[start:end]
    start += len(raw) - len(raw.lstrip())
    end -= len(raw) - len(raw.rstrip())
    return {"start": start, "end": end, "exact": TEXT[start:end]}


@pytest.fixture
def article(project):
    article = ArticleFactory(project=project, text=TEXT)
    # Two overlapping mentions and one around the emoji, so boundaries fall inside <mark>s.
    AnnotationFactory(article=article, start=ALPHA, end=ALPHA + len("alpha beta gamma"))
    AnnotationFactory(article=article, start=TEXT.index("beta"), end=DELTA_END)
    AnnotationFactory(article=article, start=TEXT.index("🙂"), end=TEXT.index("flags"))
    return article


@pytest.fixture
def reader(page, login, editor, article, live_server):
    login(editor)
    page.goto(f"{live_server.url}{article.get_absolute_url()}")
    page.evaluate(INSTALL_RANGE_HELPER)
    return page


SPANS = [
    (0, len(TEXT)),  # everything
    (2, 22),  # the first line without its leading spaces
    (0, 8),  # leading whitespace is trimmed
    (TEXT.index("Emoji"), TEXT.index("flags") + 5),  # across emoji and a flag (2 code points)
    (TEXT.index("🙂"), TEXT.index("🙂") + 1),  # just the emoji
    (TEXT.index("<b>"), TEXT.index("</b>") + 4),  # markup characters are text
    (TEXT.index("“"), TEXT.index("”") + 1),  # curly quotes
    (TEXT.index("quotes"), TEXT.index("Overlap") + 7),  # across a blank line
    (ALPHA + 2, DELTA_END - 2),  # starts in one mark, ends in another
    (TEXT.index("beta"), TEXT.index("gamma") + 5),  # exactly the overlap
    (TEXT.index("gamma"), TEXT.index("Last") + 4),  # from a mark into plain text
    (TEXT.index("Last"), len(TEXT)),  # to the very end
]


def test_ranges_map_to_the_offsets_python_uses_and_back(reader) -> None:
    got = reader.evaluate(
        "(spans) => spans.map(([s, e]) =>"
        " window.Claimtrack.reader.rangeOffsets(window.__spanRange(s, e)))",
        SPANS,
    )
    assert got == [_trimmed(start, end) for start, end in SPANS]
    back = reader.evaluate(
        "(spans) => spans.map(([s, e]) => window.Claimtrack.reader.rangeFor(s, e).toString())",
        SPANS,
    )
    assert back == [TEXT[start:end] for start, end in SPANS]


def test_element_boundaries_and_selections_beyond_the_text(reader) -> None:
    """Boundary points on elements count like text points; a selection reaching outside the
    text is clamped to it; one entirely outside gives nothing."""
    marks = reader.evaluate(
        """() => {
            const marks = Array.from(document.querySelectorAll('#article-text mark'));
            const first = marks.find(m => m.textContent.startsWith('alpha'));
            const last = marks.find(m => m.textContent.endsWith('delta'));
            const range = document.createRange();
            range.setStart(first, 0);
            range.setEnd(last, last.childNodes.length);
            return window.Claimtrack.reader.rangeOffsets(range);
        }"""
    )
    assert marks == _trimmed(ALPHA, DELTA_END)
    whole = reader.evaluate(
        """() => {
            const el = document.getElementById('article-text');
            const range = document.createRange();
            range.setStart(el, 0);
            range.setEnd(el, el.childNodes.length);
            return window.Claimtrack.reader.rangeOffsets(range);
        }"""
    )
    assert whole == _trimmed(0, len(TEXT))
    head = reader.evaluate(
        """() => {
            const range = document.createRange();
            range.setStart(document.querySelector('h1'), 0);
            range.setEnd(window.__spanRange(0, 10).endContainer, 10);
            return window.Claimtrack.reader.rangeOffsets(range);
        }"""
    )
    assert head == _trimmed(0, 10)
    tail = reader.evaluate(
        """(s) => {
            const range = document.createRange();
            const start = window.__spanRange(s, s + 1);
            range.setStart(start.startContainer, start.startOffset);
            range.setEnd(document.querySelector('.reader-side'), 1);
            return window.Claimtrack.reader.rangeOffsets(range);
        }""",
        TEXT.index("Last"),
    )
    assert tail == _trimmed(TEXT.index("Last"), len(TEXT))
    outside = reader.evaluate(
        """() => {
            const range = document.createRange();
            range.selectNodeContents(document.querySelector('h1'));
            return window.Claimtrack.reader.rangeOffsets(range);
        }"""
    )
    assert outside is None


def test_dragging_across_highlights_and_emoji_saves_the_exact_span(reader) -> None:
    start, end = TEXT.index("Emoji"), TEXT.index("gamma") + 5
    drag_select(reader, start, end)
    reader.locator("#mark-popover").wait_for(state="visible")
    assert reader.locator("#mark-quote").inner_text() == TEXT[start:end]
    reader.fill("#mark-statement", "A claim across a blank line")
    reader.click("#mark-save")
    reader.locator(".toast").wait_for()
    mention = Annotation.objects.get(claim__statement="A claim across a blank line")
    assert (mention.start, mention.end, mention.exact) == (start, end, TEXT[start:end])
    # After the highlights were re-rendered the text is still exactly the article text.
    assert reader.locator("#article-text").evaluate("el => el.textContent") == TEXT
