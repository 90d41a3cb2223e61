/* The statement page: re-reads its banner and parties whenever a statement changed.
 *
 * console.js turns each server-sent "change" event into a "hotline:change" DOM
 * event with its topics; a draft, a revision, a signature, a withdrawal or an
 * expiry fires "statements". Only the status block is replaced: the sign form
 * lies outside it, so a password being typed and the focus stay where they are.
 * The block is rendered by the server in the reader's language, so this script
 * holds no words at all.
 */
(function () {
  "use strict";
  const section = document.getElementById("statement");
  const status = document.getElementById("statement-status");
  if (!section || !status) return;
  const id = section.dataset.statement;
  const TOPICS = { statements: true, everything: true };
  let pending = null;

  async function reload() {
    const response = await fetch("/statements/" + encodeURIComponent(id) + "/status", {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (response.ok) status.innerHTML = await response.text();
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
