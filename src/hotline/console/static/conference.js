/* The conference page: re-reads its grid whenever a conference or a message changed.
 *
 * console.js turns each server-sent "change" event into a "hotline:change" DOM
 * event with its topics; a receipt fires "messages", a roster, an answer or an
 * acknowledgement fires "conferences". The grid is rendered by the server in
 * the reader's language, so this script holds no words at all.
 */
(function () {
  "use strict";
  const section = document.getElementById("conference");
  const grid = document.getElementById("conference-grid");
  if (!section || !grid) return;
  const id = section.dataset.conference;
  const TOPICS = { conferences: true, messages: true, everything: true };
  let pending = null;

  async function reload() {
    const response = await fetch("/conferences/" + encodeURIComponent(id) + "/grid", {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (response.ok) grid.innerHTML = await response.text();
  }

  document.addEventListener("hotline:change", function (event) {
    const topics = (event.detail && event.detail.topics) || [];
    if (!topics.some(function (topic) { return TOPICS[topic]; })) return;
    if (pending) return; // one re-read for a burst of changes
    pending = setTimeout(function () {
      pending = null;
      reload().catch(function () { /* console.js shows a lost connection */ });
    }, 100);
  });
})();
