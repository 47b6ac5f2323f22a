/* The review queue: decide proposals by click or key without reloading the page.
 * a accept, r reject, s related-not-same, j/k next/previous. */
(function () {
  "use strict";

  const CT = window.Claimtrack;
  const root = document.getElementById("review");
  if (!root) return;
  const canReview = root.dataset.canReview === "true";
  const remaining = document.getElementById("remaining");
  const OUTCOME = {
    accepted: "Accepted: the passage is now a mention of the claim.",
    rejected: "Rejected: this pair will not be proposed again.",
    related: "Marked related, not the same: not proposed again.",
  };
  const KEYS = { a: "accept", r: "reject", s: "related" };

  function items() {
    return Array.from(root.querySelectorAll(".review-item"));
  }

  function current() {
    return root.querySelector(".review-item.current");
  }

  function setCurrent(item) {
    if (!item) return;
    items().forEach((el) => el.classList.toggle("current", el === item));
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function step(direction) {
    const all = items();
    const index = all.indexOf(current());
    const next = all[index + direction];
    if (next) setCurrent(next);
  }

  function nextOpen(after) {
    const all = items();
    const index = all.indexOf(after);
    return (
      all.slice(index + 1).find((el) => !el.classList.contains("decided")) ||
      all.slice(0, index).find((el) => !el.classList.contains("decided"))
    );
  }

  function settle(item, message, state, link) {
    const outcome = item.querySelector(".outcome");
    outcome.textContent = message;
    if (link) {
      const a = document.createElement("a");
      a.href = link;
      a.textContent = "Show in article";
      outcome.append(" ", a);
    }
    item.classList.add("decided", "state-" + state);
    item.querySelectorAll("button[data-decision]").forEach((b) => b.remove());
    remaining.textContent = String(Math.max(0, Number(remaining.textContent) - 1));
    const next = nextOpen(item);
    if (next) setCurrent(next);
    else document.getElementById("queue-done").hidden = false;
  }

  // After a decision: an Undo button (the server refuses it if someone decided again since)
  // and, for an accepted "same as", the offer to merge the two claims.
  function offerUndo(item, data) {
    const outcome = item.querySelector(".outcome");
    if (data.merge_url) {
      const merge = document.createElement("a");
      merge.href = data.merge_url;
      merge.textContent = "Merge the two claims…";
      outcome.append(" ", merge);
    }
    if (!data.undo_url) return;
    const undo = document.createElement("button");
    undo.type = "button";
    undo.className = "link undo";
    undo.textContent = "Undo";
    undo.addEventListener("click", async () => {
      undo.disabled = true;
      const result = await CT.post(data.undo_url, { token: data.token });
      if (result.ok) location.reload();
      else {
        undo.disabled = false;
        CT.toast(result.data.detail || "Could not undo the decision.", "error");
      }
    });
    outcome.append(" ", undo);
  }

  async function decide(item, decision) {
    if (!item || !canReview || item.classList.contains("decided") || item.dataset.busy) return;
    item.dataset.busy = "1";
    item.classList.add("busy");
    const result = await CT.post(item.dataset.url, { decision: decision });
    delete item.dataset.busy;
    item.classList.remove("busy");
    if (result.ok) {
      settle(item, OUTCOME[result.data.state] || result.data.label, result.data.state, result.data.mention_url);
      offerUndo(item, result.data);
    } else if (result.status === 409) {
      settle(item, result.data.detail, "taken");
    } else {
      item.querySelector(".outcome").textContent = result.data.detail || "Could not save the decision.";
      CT.toast(result.data.detail || "Could not save the decision.", "error");
    }
  }

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-decision]");
    const item = event.target.closest(".review-item");
    if (button && item) {
      setCurrent(item);
      decide(item, button.dataset.decision);
    } else if (item && !event.target.closest("a")) {
      setCurrent(item);
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || CT.typingIn(event.target)) return;
    if (event.key === "j") step(1);
    else if (event.key === "k") step(-1);
    else if (KEYS[event.key] && canReview) decide(current(), KEYS[event.key]);
    else return;
    event.preventDefault();
  });
})();
