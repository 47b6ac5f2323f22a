/* The reader: map a text selection to character offsets, and mark it as a claim.
 *
 * Offsets are those of the article text on the server, counted in Unicode code points (Python
 * string indexes), not UTF-16 units: an emoji counts one. #article-text renders the text exactly
 * (white-space: pre-wrap, no added nodes with text), so the text before a boundary point is
 * the article text before that offset. The quote is sent along; the server refuses the mark if
 * its text at those offsets differs.
 */
(function () {
  "use strict";

  const CT = window.Claimtrack;
  const reader = document.getElementById("reader");
  if (!reader) return;

  /* ---- Offsets ------------------------------------------------------------------------ */

  function textEl() {
    return document.getElementById("article-text");
  }

  function codePointLength(text) {
    let n = 0;
    for (const _ of text) n += 1; // for..of walks code points
    return n;
  }

  function codePointSlice(text, start, end) {
    return Array.from(text).slice(start, end).join("");
  }

  /* Offset of the boundary point (node, offset), clamped to the container's text. */
  function offsetOf(container, node, offset) {
    const whole = document.createRange();
    whole.selectNodeContents(container);
    const where = whole.comparePoint(node, offset);
    if (where < 0) return 0;
    if (where > 0) return codePointLength(container.textContent);
    const before = document.createRange();
    before.setStart(container, 0);
    before.setEnd(node, offset);
    return codePointLength(before.toString());
  }

  /* {start, end, exact} for a Range, whitespace at the edges trimmed; null if nothing left. */
  function rangeOffsets(range, container) {
    container = container || textEl();
    if (!container || !range || range.collapsed) return null;
    if (!range.intersectsNode(container)) return null;
    const text = container.textContent;
    let start = offsetOf(container, range.startContainer, range.startOffset);
    let end = offsetOf(container, range.endContainer, range.endOffset);
    const chars = Array.from(text);
    while (start < end && /\s/.test(chars[start])) start += 1;
    while (end > start && /\s/.test(chars[end - 1])) end -= 1;
    if (start >= end) return null;
    return { start: start, end: end, exact: chars.slice(start, end).join("") };
  }

  function selectionOffsets() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    return rangeOffsets(selection.getRangeAt(0));
  }

  /* The inverse, for tests and for flashing a span: a Range over [start, end). */
  function rangeFor(start, end, container) {
    container = container || textEl();
    const range = document.createRange();
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    let seen = 0;
    let startSet = false;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const length = codePointLength(node.data);
      const unitsAt = (cp) => codePointSlice(node.data, 0, cp).length;
      if (!startSet && start <= seen + length) {
        range.setStart(node, unitsAt(start - seen));
        startSet = true;
      }
      if (startSet && end <= seen + length) {
        range.setEnd(node, unitsAt(end - seen));
        return range;
      }
      seen += length;
    }
    return null;
  }

  CT.reader = {
    codePointLength: codePointLength,
    rangeOffsets: rangeOffsets,
    selectionOffsets: selectionOffsets,
    rangeFor: rangeFor,
  };

  /* ---- Linking highlights and the claims panel --------------------------------------- */

  function marksOfClaim(id) {
    return document.querySelectorAll('#article-text mark[data-claims~="' + CSS.escape(id) + '"]');
  }

  function focusClaim(id, on) {
    marksOfClaim(id).forEach((mark) => mark.classList.toggle("focus", on));
  }

  function flash(elements) {
    elements.forEach((el) => {
      el.classList.remove("flash");
      void el.offsetWidth; // restart the animation
      el.classList.add("flash");
    });
  }

  function flashMention(id) {
    flash(document.querySelectorAll('#article-text mark[data-mentions~="' + CSS.escape(id) + '"]'));
  }

  document.addEventListener("mouseover", (event) => {
    const item = event.target.closest && event.target.closest(".side-claim");
    if (item) focusClaim(item.dataset.claim, true);
  });
  document.addEventListener("mouseout", (event) => {
    const item = event.target.closest && event.target.closest(".side-claim");
    if (item) focusClaim(item.dataset.claim, false);
  });
  document.addEventListener("click", (event) => {
    const jump = event.target.closest && event.target.closest("a.jump");
    if (jump) {
      setTimeout(() => flashMention(jump.dataset.mention), 50);
      return;
    }
    const mark = event.target.closest && event.target.closest("#article-text mark");
    const selection = window.getSelection();
    if (!mark || (selection && !selection.isCollapsed)) return;
    document.querySelectorAll(".side-claim.focus").forEach((el) => el.classList.remove("focus"));
    mark.dataset.claims.split(" ").forEach((id, index) => {
      const item = document.querySelector('.side-claim[data-claim="' + CSS.escape(id) + '"]');
      if (!item) return;
      item.classList.add("focus");
      if (index === 0) item.scrollIntoView({ block: "nearest", behavior: "smooth" });
    });
  });
  if (location.hash.startsWith("#annotation-")) {
    flashMention(location.hash.slice("#annotation-".length));
  }

  /* ---- Marking ----------------------------------------------------------------------- */

  if (reader.dataset.canMark !== "true") return;

  const popover = document.getElementById("mark-popover");
  const quoteEl = document.getElementById("mark-quote");
  const errorEl = document.getElementById("mark-error");
  const newForm = document.getElementById("mark-new");
  const statementEl = document.getElementById("mark-statement");
  const existingForm = document.getElementById("mark-existing");
  const searchEl = document.getElementById("claim-search");
  const resultsEl = document.getElementById("claim-results");
  const claimInput = document.getElementById("mark-claim");
  const choiceEl = document.getElementById("attach-choice");
  const attachButton = document.getElementById("mark-attach");
  let pending = null; // the span the popover marks: {start, end, exact}
  let statementEdited = false;
  let returnTo = null; // what had focus when the panel opened: it gets focus back on close

  function textIsIntact() {
    const container = textEl();
    return (
      container && codePointLength(container.textContent) === Number(container.dataset.length)
    );
  }

  function normalizedWording(exact) {
    return exact
      .replace(/\s+/g, " ")
      .replace(/^["'“”‘’«»\s]+|["'“”‘’«»\s]+$/g, "")
      .trim();
  }

  function showError(message) {
    errorEl.textContent = message;
    errorEl.hidden = !message;
  }

  function place(range) {
    const rect = range.getBoundingClientRect();
    popover.hidden = false;
    const width = popover.offsetWidth;
    const left = Math.max(8, Math.min(rect.left, window.innerWidth - width - 16));
    let top = rect.bottom + 10;
    if (top + popover.offsetHeight > window.innerHeight && rect.top > popover.offsetHeight + 10) {
      top = rect.top - popover.offsetHeight - 10;
    }
    popover.style.left = left + window.scrollX + "px";
    popover.style.top = top + window.scrollY + "px";
  }

  function openFor(span, range, focus) {
    if (!textIsIntact()) {
      CT.toast("This page is out of date; reload it before marking.", "error");
      return;
    }
    const sameSpan = pending && pending.start === span.start && pending.end === span.end;
    if (popover.hidden) returnTo = document.activeElement;
    pending = span;
    quoteEl.textContent = span.exact;
    if (!sameSpan && popover.hidden) document.getElementById("mark-stance").selectedIndex = 0;
    if (!sameSpan && (!statementEdited || popover.hidden)) {
      statementEl.value = normalizedWording(span.exact);
      statementEdited = false;
    }
    showError("");
    place(range);
    if (focus) {
      (existingForm.hidden ? statementEl : searchEl).focus();
    }
  }

  function close() {
    popover.hidden = true;
    pending = null;
    statementEdited = false;
    showError("");
  }

  /* Close and give focus back to where it was (the text, if that is gone or was nothing). */
  function closeAndReturn() {
    const back = returnTo;
    close();
    returnTo = null;
    if (back && back !== document.body && document.contains(back)) back.focus();
    else if (textEl()) textEl().focus();
  }

  /* ---- Focus trap: while the panel is open, Tab cycles through its controls. ---------- */

  const FOCUSABLE = "button, select, textarea, input:not([type=hidden]), a[href], [tabindex]";

  function panelControls() {
    return Array.from(popover.querySelectorAll(FOCUSABLE)).filter(
      (el) => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length > 0
    );
  }

  function trapTab(event) {
    const controls = panelControls();
    if (!controls.length) return;
    const first = controls[0];
    const last = controls[controls.length - 1];
    const active = document.activeElement;
    if (!popover.contains(active)) {
      // From the text (or anywhere) the panel's controls come next, forwards from the first.
      (event.shiftKey ? last : first).focus();
    } else if (event.shiftKey && active === first) {
      last.focus();
    } else if (!event.shiftKey && active === last) {
      first.focus();
    } else {
      return;
    }
    event.preventDefault();
  }

  function selectTab(name) {
    const existing = name === "existing";
    newForm.hidden = existing;
    existingForm.hidden = !existing;
    popover.querySelectorAll("[role=tab]").forEach((tab) => {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    });
    (existing ? searchEl : statementEl).focus();
  }

  function openFromSelection(focus) {
    const span = selectionOffsets();
    if (!span) return false;
    openFor(span, window.getSelection().getRangeAt(0), focus);
    return true;
  }

  document.addEventListener("mouseup", (event) => {
    if (popover.contains(event.target)) return;
    setTimeout(() => {
      if (!openFromSelection(false) && textEl() && textEl().contains(event.target)) {
        if (!statementEdited) close();
      }
    }, 0);
  });

  /* Touch selections (long press, drag handles) end with no mouseup: open the panel once the
   * selection has settled. A mouse drag in progress waits for its mouseup instead. */
  const SELECTION_SETTLE_MS = 300;
  let selectionTimer = null;
  let mouseHeld = false;
  document.addEventListener("pointerdown", (event) => {
    if (event.pointerType === "mouse") mouseHeld = true;
  });
  document.addEventListener("pointerup", () => {
    mouseHeld = false;
  });
  document.addEventListener("selectionchange", () => {
    clearTimeout(selectionTimer);
    selectionTimer = setTimeout(() => {
      if (mouseHeld || popover.contains(document.activeElement)) return;
      const span = selectionOffsets();
      if (!span) return;
      if (!popover.hidden && pending && pending.start === span.start && pending.end === span.end) {
        return;
      }
      openFromSelection(false);
    }, SELECTION_SETTLE_MS);
  });

  /* Keyboard selection: arrows move a caret in the text, Shift+arrows extend the selection,
   * Ctrl/Alt+arrows go by word, Enter (or m) opens the panel. */
  const MOVES = {
    ArrowLeft: ["backward", "character"],
    ArrowRight: ["forward", "character"],
    ArrowUp: ["backward", "line"],
    ArrowDown: ["forward", "line"],
    Home: ["backward", "lineboundary"],
    End: ["forward", "lineboundary"],
  };

  function caretIntoText() {
    const selection = window.getSelection();
    const container = textEl();
    if (selection.rangeCount && container.contains(selection.anchorNode)) return;
    const range = rangeFor(0, 0, container);
    if (range) {
      selection.removeAllRanges();
      selection.addRange(range);
    }
  }

  document.addEventListener("focusin", (event) => {
    if (event.target === textEl()) caretIntoText();
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !popover.hidden) {
      closeAndReturn();
      return;
    }
    if (event.key === "Tab" && !popover.hidden) {
      trapTab(event);
      return;
    }
    if (event.target !== textEl()) return;
    const move = MOVES[event.key];
    if (move) {
      const granularity =
        (event.ctrlKey || event.altKey) && move[1] === "character" ? "word" : move[1];
      caretIntoText();
      window.getSelection().modify(event.shiftKey ? "extend" : "move", move[0], granularity);
      event.preventDefault();
      return;
    }
    if ((event.key === "Enter" || event.key === "m") && !event.ctrlKey && !event.metaKey) {
      if (openFromSelection(true)) event.preventDefault();
    }
  });

  statementEl.addEventListener("input", () => {
    statementEdited = true;
  });
  statementEl.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      newForm.requestSubmit();
    }
  });
  popover.addEventListener("click", (event) => {
    if (event.target.closest("[data-action=close]")) closeAndReturn();
    const tab = event.target.closest("[role=tab]");
    if (tab) selectTab(tab.dataset.tab);
  });

  async function refreshMarks() {
    if (window.htmx) {
      await window.htmx.ajax("GET", reader.dataset.marksUrl, {
        target: "#reader-body",
        swap: "outerHTML",
      });
    } else {
      location.reload();
    }
  }

  // The server found a claim worded the same way: link it, and let the editor attach the span
  // to it or create the new claim anyway. Built with textContent: the wording is untrusted.
  function showDuplicate(duplicate, fields) {
    showError(duplicate.detail + " ");
    const link = document.createElement("a");
    link.href = duplicate.url;
    link.textContent = "“" + duplicate.statement + "”";
    link.target = "_blank";
    const useIt = document.createElement("button");
    useIt.type = "button";
    useIt.className = "primary";
    useIt.id = "mark-use-existing";
    useIt.textContent = "Use the existing claim";
    useIt.addEventListener("click", () => save({ claim: duplicate.existing_claim }));
    const anyway = document.createElement("button");
    anyway.type = "button";
    anyway.id = "mark-create-anyway";
    anyway.textContent = "Create a new claim anyway";
    anyway.addEventListener("click", () => save(Object.assign({}, fields, { allow_duplicate: "1" })));
    errorEl.append(link, " ", useIt, " ", anyway);
  }

  async function save(fields) {
    if (!pending) return;
    showError("");
    const stance = document.getElementById("mark-stance").value;
    const result = await CT.post(
      reader.dataset.mentionUrl,
      Object.assign({ stance: stance }, pending, fields)
    );
    if (!result.ok && result.data.duplicate) {
      showDuplicate(result.data.duplicate, fields);
      return;
    }
    if (!result.ok) {
      showError(result.data.detail || "The claim could not be saved.");
      return;
    }
    const mention = result.data;
    close();
    window.getSelection().removeAllRanges();
    await refreshMarks();
    returnTo = null;
    if (textEl()) textEl().focus({ preventScroll: true }); // the swapped-in text, where it was
    flashMention(String(mention.id));
    CT.toast("Marked: " + mention.claim.statement, "ok", {
      href: mention.claim.url,
      text: "Open claim",
    });
  }

  newForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const statement = statementEl.value.trim();
    if (!statement) {
      showError("Give the claim a wording.");
      statementEl.focus();
      return;
    }
    save({
      statement: statement,
      kind: newForm.elements.kind.value,
      status: newForm.elements.status.value,
    });
  });

  existingForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (claimInput.value) save({ claim: claimInput.value });
  });

  /* Search-as-you-type over the project's claims. */
  let searchTimer = null;
  let searchSeq = 0;

  function choose(claim) {
    claimInput.value = claim.id;
    choiceEl.textContent = "Attach to: " + claim.statement;
    attachButton.disabled = false;
    attachButton.focus();
  }

  function showResults(results) {
    resultsEl.replaceChildren();
    if (!results.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = "No claim matches.";
      resultsEl.append(li);
      return;
    }
    results.forEach((claim) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "result";
      button.textContent = claim.statement;
      button.addEventListener("click", () => choose(claim));
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = claim.status + " · " + claim.mentions + " mention(s)";
      li.append(button, meta);
      resultsEl.append(li);
    });
  }

  searchEl.addEventListener("input", () => {
    clearTimeout(searchTimer);
    claimInput.value = "";
    attachButton.disabled = true;
    choiceEl.textContent = "Pick a claim from the list.";
    const query = searchEl.value.trim();
    if (!query) {
      resultsEl.replaceChildren();
      return;
    }
    searchTimer = setTimeout(async () => {
      const seq = ++searchSeq;
      const url = reader.dataset.searchUrl + "?q=" + encodeURIComponent(query);
      const result = await CT.getJSON(url);
      if (seq !== searchSeq) return; // a newer query is on its way
      if (result.ok) showResults(result.data.results);
      else showError(result.data.detail || "Search failed.");
    }, 200);
  });

  resultsEl.addEventListener("keydown", (event) => {
    const buttons = Array.from(resultsEl.querySelectorAll("button.result"));
    const index = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && index < buttons.length - 1) buttons[index + 1].focus();
    else if (event.key === "ArrowUp") (index > 0 ? buttons[index - 1] : searchEl).focus();
    else return;
    event.preventDefault();
  });
  searchEl.addEventListener("keydown", (event) => {
    const first = resultsEl.querySelector("button.result");
    if (event.key === "ArrowDown" && first) {
      event.preventDefault();
      first.focus();
    }
  });
})();
