/* Server-drawn parts of a page kept live: the conference grid, the channels list.
 *
 * An element with data-live-src (a URL answering that part as HTML) and
 * data-live-topics (the change topics that concern it) is re-read whenever
 * console.js passes on a server-sent change with one of those topics (as a
 * "hotline:change" DOM event), or "everything" (after a reconnect). The part
 * is rendered by the server in the reader's language, so this script holds no
 * words at all.
 *
 * The part is also re-read once as the script starts, since a change may come
 * between the server drawing the page and this script listening.
 *
 * The focus is never moved: while it is inside the part (a person choosing a
 * user to add, say), the new part waits and is put in when the focus leaves.
 */
(function () {
  "use strict";

  function keepLive(part) {
    const topics = (part.dataset.liveTopics || "").split(/\s+/).concat(["everything"]);
    let pending = null;
    let waiting = null; // HTML read while the focus was inside

    function put(html) {
      if (part.contains(document.activeElement)) {
        waiting = html;
        return;
      }
      waiting = null;
      part.innerHTML = html;
    }

    async function reload() {
      const response = await fetch(part.dataset.liveSrc, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "text/html", "X-Hotline-Background": "1" },
      });
      if (response.ok) put(await response.text());
    }

    part.addEventListener("focusout", function (event) {
      if (waiting !== null && !part.contains(event.relatedTarget)) put(waiting);
    });

    /* One re-read at a time, in order: a change that comes while one is under way
       is read after it, so an older answer never replaces a newer one. */
    let loading = false;
    let again = false;
    async function reloadInOrder() {
      if (loading) {
        again = true;
        return;
      }
      loading = true;
      try {
        do {
          again = false;
          await reload().catch(function () { /* console.js shows a lost connection */ });
        } while (again);
      } finally {
        loading = false;
      }
    }

    document.addEventListener("hotline:change", function (event) {
      const changed = (event.detail && event.detail.topics) || [];
      if (!changed.some(function (topic) { return topics.indexOf(topic) >= 0; })) return;
      if (pending) return; // one re-read for a burst of changes
      pending = setTimeout(function () {
        pending = null;
        reloadInOrder();
      }, 100);
    });

    /* Once at start: a change that came between the server drawing the page and this
       script listening (console.js's stream may already be open) is not lost. */
    reloadInOrder();
  }

  document.querySelectorAll("[data-live-src]").forEach(keepLive);
})();
