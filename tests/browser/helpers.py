"""Page-side helpers for the browser tests, written independently of the app's reader.js so
a bug there cannot hide itself: offsets are counted in code points, as Python does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# The repository root (tests/browser/helpers.py is two levels below it).
BASE_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = BASE_DIR / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's

# A DOM Range over the code-point span [start, end) of #article-text, built by walking its text
# nodes. Defined on window so several evaluate() calls can use it.
INSTALL_RANGE_HELPER = """
() => {
  window.__spanRange = (start, end) => {
    const el = document.getElementById('article-text');
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let seen = 0, startDone = false;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const chars = Array.from(node.data);
      const units = (cp) => chars.slice(0, cp).join('').length;
      if (!startDone && start < seen + chars.length) {
        range.setStart(node, units(start - seen)); startDone = true;
      }
      if (startDone && end <= seen + chars.length) {
        range.setEnd(node, units(end - seen)); return range;
      }
      seen += chars.length;
    }
    throw new Error('span ' + start + '-' + end + ' is outside the text');
  };
}
"""

# Viewport points on the first and last character of a span, after scrolling it into view.
DRAG_POINTS = """
([start, end]) => {
  const charRect = (i) => window.__spanRange(i, i + 1).getClientRects()[0];
  const top = charRect(start).top;
  if (top < 120 || top > window.innerHeight - 200) window.scrollBy(0, top - 200);
  const a = charRect(start), b = charRect(end - 1);
  return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2};
}
"""


def drag_select(page: Any, start: int, end: int) -> None:
    """Select the code-point span [start, end) of the article text with a mouse drag."""
    page.evaluate(INSTALL_RANGE_HELPER)
    p = page.evaluate(DRAG_POINTS, [start, end])
    page.mouse.move(p["x1"], p["y1"])
    page.mouse.down()
    page.mouse.move((p["x1"] + p["x2"]) / 2, (p["y1"] + p["y2"]) / 2, steps=5)
    page.mouse.move(p["x2"], p["y2"], steps=8)
    page.mouse.up()


def selected_text(page: Any) -> str:
    return page.evaluate("() => window.getSelection().toString()")


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot where CI keeps artifacts (test-artifacts/screenshots/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
