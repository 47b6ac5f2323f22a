// The mention span page: selecting words in the shown text fills in the new span's offsets.
// Offsets count code points, as the server does, so emoji and other astral characters agree.
(function () {
  "use strict";
  var body = document.querySelector("#span-text .span-body");
  var form = document.getElementById("span-form");
  if (!body || !form) return;
  var base = parseInt(document.getElementById("span-text").dataset.offset, 10) || 0;
  var status = document.getElementById("span-selected");

  function length(text) { return Array.from(text).length; }

  function offsetOf(node, offset) {
    var range = document.createRange();
    range.setStart(body, 0);
    range.setEnd(node, offset);
    return base + length(range.toString());
  }

  document.addEventListener("selectionchange", function () {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    var range = selection.getRangeAt(0);
    if (!body.contains(range.startContainer) || !body.contains(range.endContainer)) return;
    var exact = range.toString();
    form.elements.start.value = offsetOf(range.startContainer, range.startOffset);
    form.elements.end.value = offsetOf(range.endContainer, range.endOffset);
    form.elements.exact.value = exact;
    status.textContent = "Selected: “" + exact + "”. Save to use it.";
  });
})();
