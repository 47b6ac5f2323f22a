/* Claimtrack: helpers shared by the pages. Plain JavaScript, no build step.
 *
 * Every POST carries the CSRF token from <meta name="csrf-token">. Server messages are put on
 * the page with textContent only, never as HTML.
 */
(function () {
  "use strict";

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /* {ok, status, data} from a response. A login page instead of JSON means the session ended
   * (login_required redirected the request), which must not pass for success. */
  async function answer(response) {
    const type = response.headers.get("content-type") || "";
    if (!type.includes("application/json")) {
      const detail = response.redirected
        ? "You have been logged out. Reload the page and log in again."
        : "The server answered " + response.status + ".";
      return { ok: false, status: response.status, data: { detail: detail } };
    }
    return { ok: response.ok, status: response.status, data: await response.json() };
  }

  /* POST form fields; resolves to {ok, status, data} and never throws. */
  async function post(url, fields) {
    const body = new URLSearchParams();
    Object.entries(fields || {}).forEach(([key, value]) => {
      if (value !== undefined && value !== null) body.append(key, String(value));
    });
    try {
      const response = await fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      return await answer(response);
    } catch (err) {
      return { ok: false, status: 0, data: { detail: "The server could not be reached." } };
    }
  }

  async function getJSON(url) {
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      return await answer(response);
    } catch (err) {
      return { ok: false, status: 0, data: { detail: "The server could not be reached." } };
    }
  }

  let toastTimer = null;
  /* A short status line at the bottom of the page; `link` = {href, text} is optional. */
  function toast(message, kind, link) {
    const el = document.getElementById("toast");
    if (!el) return;
    el.textContent = message;
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      el.append(" ", a);
    }
    el.className = "toast " + (kind || "ok");
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => {
      el.hidden = true;
    }, 6000);
  }

  /* True when a keyboard shortcut should be left to a form field. */
  function typingIn(target) {
    return Boolean(
      target &&
        (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
    );
  }

  window.Claimtrack = Object.assign(window.Claimtrack || {}, {
    csrfToken: csrfToken,
    post: post,
    getJSON: getJSON,
    toast: toast,
    typingIn: typingIn,
  });
})();
