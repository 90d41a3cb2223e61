/*
 * hotline operator console: what rings, presence requests, and the call tables.
 *
 * On every page: an incoming call rings (a banner with Answer and Decline, and
 * a tone every 2 s when sound is on) until it is answered, declined, missed or
 * the caller hangs up; an incoming presence request ("principal at the
 * machine") shows until someone answers it, and the answer to one of ours shows
 * until dismissed. On /calls and /traffic the call record table is kept live,
 * on /calls the presence table and the peers' cards (line state, Video call,
 * Audio call, Request principal at the machine).
 *
 * The call itself (WebRTC, its panel) is call.js's, loaded before this file:
 * Answer and the call buttons go through window.hotlineCall, and call.js's
 * "hotline:call" events say when its call changed. Everything is re-read from
 * the JSON API on each "calls" or "presence" notice of the event stream
 * (console.js passes them on as "hotline:change"), and every 5 s regardless.
 * Words come from console.js's table (t()).
 */
"use strict";

(function () {
  const shared = window.hotlineConsole;
  const calling = window.hotlineCall;
  if (!shared || !calling) return;
  const t = shared.t;
  const api = shared.api;
  const readJson = shared.readJson;
  const alerts = document.getElementById("call-alerts");
  if (!alerts) return; // the login and error pages
  const canAnswerPresence = alerts.dataset.canAnswerPresence === "true";
  const background = { background: true };

  const RING_EVERY_MS = 2000;
  const ALERTS_EVERY_MS = 5000;
  /* An answered presence request is shown to the requesting side this long. */
  const PRESENCE_ANSWER_SHOWN_MS = 3600 * 1000;
  const SEEN_KEY = "hotline-presence-seen";

  const STATES = shared.callWords.states;
  const OUTCOMES = shared.callWords.outcomes;
  const KINDS = { video: t("video"), audio: t("audio") };
  const LINE_STATES = { up: t("up"), degraded: t("degraded"), down: t("down"), silent: t("silent") };

  /* -- helpers ------------------------------------------------------------ */

  function byId(id) {
    return document.getElementById(id);
  }

  function clone(templateId) {
    return byId(templateId).content.firstElementChild.cloneNode(true);
  }

  function setText(root, selector, text) {
    const element = root.querySelector(selector);
    if (element) element.textContent = text;
    return element;
  }

  function callPath(id, action) {
    return "/api/calls/" + encodeURIComponent(id) + (action ? "/" + action : "");
  }

  /* -- ringing and presence, on every page ---------------------------------------- */

  let liveCalls = readJson("calls-live-data") || [];
  let recentPresence = readJson("presence-recent-data") || [];

  function ringingCalls() {
    return liveCalls.filter(function (record) {
      return record.direction === "in" && record.state === "ringing" && !calling.carrying(record.id);
    });
  }

  function renderIncoming() {
    const box = byId("incoming-calls");
    box.replaceChildren.apply(
      box,
      ringingCalls().map(function (record) {
        const item = clone("incoming-call-template");
        item.dataset.callId = record.id;
        item.dataset.kind = record.kind;
        item.dataset.peer = record.peer;
        item.dataset.channel = record.channel;
        const words = { party: record.peer, channel: record.channel };
        setText(
          item,
          ".incoming-text",
          record.kind === "video"
            ? t("Video call from %(party)s on channel %(channel)s", words)
            : t("Audio call from %(party)s on channel %(channel)s", words)
        );
        const answer = item.querySelector('[data-testid="call-answer"]');
        if (answer) {
          answer.addEventListener("click", function () {
            calling.answer(record);
          });
        }
        const decline = item.querySelector('[data-testid="call-decline"]');
        if (decline) {
          decline.addEventListener("click", function () {
            declineCall(record, decline);
          });
        }
        return item;
      })
    );
  }

  async function declineCall(record, button) {
    button.disabled = true;
    try {
      await api("POST", callPath(record.id, "decline"));
    } catch (error) {
      button.disabled = false;
      button.title = t("Failed: %(reason)s", { reason: error.message });
    }
    refreshAlerts();
  }

  window.setInterval(function () {
    if (ringingCalls().length) shared.ring();
  }, RING_EVERY_MS);

  function seenAnswers() {
    try {
      return JSON.parse(window.localStorage.getItem(SEEN_KEY) || "[]");
    } catch (error) {
      return [];
    }
  }

  function markSeen(id) {
    const seen = seenAnswers().filter(function (other) {
      return other !== id;
    });
    seen.push(id);
    window.localStorage.setItem(SEEN_KEY, JSON.stringify(seen.slice(-50)));
  }

  function presenceAnswerText(request) {
    const time = request.display && request.display.answered_at ? request.display.answered_at : request.answered_at;
    return t("%(party)s: the principal is at the machine — %(name)s at %(time)s", {
      party: request.peer,
      name: request.answered_by,
      time: time,
    });
  }

  function renderPresenceAlerts() {
    const requests = byId("presence-requests");
    requests.replaceChildren.apply(
      requests,
      recentPresence
        .filter(function (request) {
          return request.direction === "in" && !request.answered_at;
        })
        .map(function (request) {
          const item = clone("presence-request-template");
          item.dataset.id = request.id;
          item.dataset.peer = request.peer;
          setText(item, ".presence-text", t("%(party)s requests the principal at the machine (channel %(channel)s)", {
            party: request.peer,
            channel: request.channel,
          }));
          setText(item, ".presence-note", request.note ? "«" + request.note + "»" : "");
          const button = item.querySelector('[data-testid="presence-answer"]');
          if (button) {
            button.addEventListener("click", function () {
              answerPresence(request.id, button);
            });
          }
          return item;
        })
    );
    const seen = seenAnswers();
    const now = shared.serverNow();
    const answers = byId("presence-answers");
    answers.replaceChildren.apply(
      answers,
      recentPresence
        .filter(function (request) {
          return (
            request.direction === "out" &&
            request.answered_at &&
            seen.indexOf(request.id) < 0 &&
            now - Date.parse(request.answered_at) < PRESENCE_ANSWER_SHOWN_MS
          );
        })
        .map(function (request) {
          const item = clone("presence-answered-template");
          item.dataset.id = request.id;
          item.dataset.peer = request.peer;
          setText(item, ".presence-text", presenceAnswerText(request));
          item.querySelector('[data-testid="presence-dismiss"]').addEventListener("click", function () {
            markSeen(request.id);
            item.remove();
          });
          return item;
        })
    );
  }

  async function answerPresence(id, button) {
    button.disabled = true;
    try {
      await api("POST", "/api/presence/" + encodeURIComponent(id) + "/answer");
    } catch (error) {
      button.disabled = false;
      button.title = t("Failed: %(reason)s", { reason: error.message });
    }
    refreshPresence();
  }

  /* -- the call and presence tables (/calls, /traffic) ----------------------------- */

  let callRows = readJson("calls-data");
  let presenceRows = readJson("presence-data");

  function fingerprintOf(record, party) {
    const ours = record.direction === "out" ? record.caller : record.callee;
    const fingerprint = party === ours ? record.our_fingerprint : record.peer_fingerprint;
    return fingerprint || "—";
  }

  function renderCallRow(record) {
    const row = clone("call-row-template");
    row.dataset.id = record.id;
    row.dataset.state = record.state;
    row.dataset.outcome = record.outcome || "";
    row.dataset.direction = record.direction;
    row.dataset.kind = record.kind;
    row.dataset.peer = record.peer;
    row.dataset.duration = record.duration === null || record.duration === undefined ? "" : String(record.duration);
    const display = record.display || {};
    setText(row, ".call-direction", record.direction === "out" ? "→ " + t("out") : "← " + t("in"));
    setText(row, ".call-caller", record.caller + (record.placed_by ? " (" + record.placed_by + ")" : ""));
    setText(row, ".call-callee", record.callee + (record.answered_by ? " (" + record.answered_by + ")" : ""));
    setText(row, ".call-channel code", record.channel);
    setText(row, ".call-kind", KINDS[record.kind] || record.kind);
    setText(row, ".call-requested", display.requested_at || record.requested_at || "");
    setText(row, ".call-answered", display.answered_at || "—");
    setText(row, ".call-ended", display.ended_at || "—");
    setText(row, ".call-duration", display.duration || "—");
    const outcome = row.querySelector(".outcome");
    outcome.textContent = record.outcome ? OUTCOMES[record.outcome] || record.outcome : STATES[record.state] || record.state;
    outcome.className = "badge outcome " + (record.outcome ? "outcome-" + record.outcome : "call-state-" + record.state);
    setText(row, ".call-reason", record.reason || "");
    setText(row, ".caller-party", record.caller + ":");
    setText(row, ".callee-party", record.callee + ":");
    setText(row, ".caller-fingerprint", fingerprintOf(record, record.caller));
    setText(row, ".callee-fingerprint", fingerprintOf(record, record.callee));
    const button = row.querySelector('[data-testid="call-row-hangup"]');
    // A live call no page here carries (a closed tab) can still be ended from its row.
    if (button && record.state !== "ended" && !calling.carrying(record.id)) {
      button.hidden = false;
      button.addEventListener("click", function () {
        button.disabled = true;
        api("POST", callPath(record.id, "hangup"), {})
          .then(refreshTables)
          .catch(function (error) {
            button.disabled = false;
            button.title = t("Failed: %(reason)s", { reason: error.message });
          });
      });
    }
    return row;
  }

  function renderCalls() {
    const table = byId("calls");
    if (!table || !callRows) return;
    table.replaceChildren.apply(table, callRows.map(renderCallRow));
    const empty = byId("no-calls");
    empty.textContent = t("No calls yet.");
    empty.hidden = callRows.length > 0;
  }

  function renderPresenceRow(request) {
    const row = clone("presence-row-template");
    row.dataset.id = request.id;
    row.dataset.direction = request.direction;
    row.dataset.answered = request.answered_at ? "true" : "false";
    const display = request.display || {};
    setText(row, ".presence-direction", request.direction === "out" ? "→ " + t("out") : "← " + t("in"));
    setText(row, ".presence-peer", request.peer);
    setText(row, ".presence-channel code", request.channel);
    setText(row, ".presence-requested", (display.requested_at || request.requested_at) + " (" + request.requested_by + ")");
    setText(row, ".presence-row-note", request.note || "");
    const cell = row.querySelector(".presence-answer-cell");
    if (request.answered_at) {
      cell.textContent = t("the principal is at the machine: %(name)s at %(time)s", {
        name: request.answered_by,
        time: display.answered_at || request.answered_at,
      });
    } else if (request.direction === "in" && canAnswerPresence) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = t("The principal is at the machine");
      button.setAttribute("data-testid", "presence-row-answer");
      button.addEventListener("click", function () {
        answerPresence(request.id, button);
      });
      cell.appendChild(button);
    } else {
      cell.textContent = t("waiting for an answer");
    }
    return row;
  }

  function renderPresenceTable() {
    const table = byId("presence");
    if (!table || !presenceRows) return;
    table.replaceChildren.apply(table, presenceRows.map(renderPresenceRow));
    const empty = byId("no-presence");
    empty.textContent = t("No presence requests yet.");
    empty.hidden = presenceRows.length > 0;
  }

  /* -- the calls page's controls ---------------------------------------------------- */

  function showResult(text, kind) {
    const result = byId("call-result");
    if (result) {
      result.textContent = text;
      result.className = "compose-result" + (kind ? " " + kind : "");
    }
  }

  function channelOf(card) {
    const input = card ? card.querySelector(".call-channel-input") : null;
    return input && input.value ? input.value : "";
  }

  document.querySelectorAll(".call-start").forEach(function (button) {
    button.addEventListener("click", function () {
      const card = button.closest(".call-peer");
      showResult("", "");
      calling.place(button.dataset.peer, button.dataset.kind, channelOf(card));
    });
  });

  document.querySelectorAll(".presence-ask").forEach(function (button) {
    button.addEventListener("click", function () {
      const card = button.closest(".call-peer");
      button.disabled = true;
      showResult(t("Sending…"), "");
      api("POST", "/api/presence", { to: button.dataset.peer, channel: channelOf(card) })
        .then(function (request) {
          const result = byId("call-result");
          if (result) result.dataset.presenceId = request.id;
          showResult(t("Asked %(party)s for the principal at the machine.", { party: request.peer }), "ok");
          refreshPresence();
        })
        .catch(function (error) {
          showResult(t("Failed: %(reason)s", { reason: error.message }), "error");
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  });

  function showLines(status) {
    if (!status || !status.peers) return;
    status.peers.forEach(function (peer) {
      document.querySelectorAll(".call-peer").forEach(function (card) {
        if (card.dataset.peer !== peer.party) return;
        card.dataset.state = peer.state;
        const state = card.querySelector(".peer-state");
        state.textContent = LINE_STATES[peer.state] || peer.state;
        state.className = "badge peer-state state-" + peer.state;
      });
    });
  }

  /* -- live updates ------------------------------------------------------------------- */

  const coalesced = shared.coalesced;

  const refreshAlerts = coalesced(async function () {
    liveCalls = await api("GET", "/api/calls?live=true", undefined, background);
    renderIncoming();
  });

  const refreshPresence = coalesced(async function () {
    const list = await api("GET", "/api/presence?limit=50", undefined, background);
    recentPresence = list;
    renderPresenceAlerts();
    if (presenceRows) {
      presenceRows = list;
      renderPresenceTable();
    }
  });

  const refreshTables = coalesced(async function () {
    if (!callRows) return;
    callRows = await api("GET", "/api/calls?limit=100", undefined, background);
    renderCalls();
  });

  document.addEventListener("hotline:change", function (event) {
    const topics = (event.detail && event.detail.topics) || [];
    const all = topics.indexOf("everything") >= 0;
    if (all || topics.indexOf("calls") >= 0) {
      refreshAlerts();
      refreshTables();
    }
    if (all || topics.indexOf("presence") >= 0) refreshPresence();
  });
  document.addEventListener("hotline:status", function (event) {
    showLines(event.detail);
  });
  document.addEventListener("hotline:call", function () {
    renderIncoming(); // the call answered here rings no more
    refreshTables();
  });

  /* -- start -------------------------------------------------------------------------- */

  showLines(readJson("status-data"));
  renderIncoming();
  renderPresenceAlerts();
  renderCalls();
  renderPresenceTable();
  window.setInterval(function () {
    refreshAlerts();
    refreshPresence();
  }, ALERTS_EVERY_MS);
})();
