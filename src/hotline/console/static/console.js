/*
 * hotline operator console: live views, clocks, alarms and forms (calls: call.js).
 *
 * Plain JavaScript, no build step, no library. The server renders each page in
 * the user's language and embeds the data it shows as JSON blocks; this script
 * draws from them at once, then keeps them live: it listens to the server-sent
 * events at /api/events and re-reads the JSON API on each change (and every
 * 5 s, should the event stream be down). Each change is also passed on as a
 * "hotline:change" DOM event with its topics, which call.js follows. Every word it shows comes from the
 * page's string table (t()), so this file holds no language of its own.
 *
 * Requests: JSON, with the session's CSRF token in X-CSRF-Token on anything
 * that changes state; refreshes say X-Hotline-Background so that they do not
 * count as the operator's activity (idle sessions still end).
 */
"use strict";

(function () {
  const body = document.body;
  const page = body.dataset.page || "";
  const language = body.dataset.language || document.documentElement.lang || "en";
  const strings = readJson("console-strings") || {};
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrfToken = csrfMeta ? csrfMeta.getAttribute("content") : "";
  const serverOffset = Number(body.dataset.serverNow || Date.now()) - Date.now();
  const numbers = new Intl.NumberFormat(language, { maximumFractionDigits: 1 });

  /* -- helpers ------------------------------------------------------------ */

  function t(msgid, args) {
    let text = Object.prototype.hasOwnProperty.call(strings, msgid) ? strings[msgid] : msgid;
    if (args) {
      text = text.replace(/%\((\w+)\)s/g, function (whole, key) {
        return Object.prototype.hasOwnProperty.call(args, key) ? String(args[key]) : whole;
      });
    }
    return text;
  }

  function readJson(id) {
    const element = document.getElementById(id);
    if (!element) return null;
    try {
      return JSON.parse(element.textContent);
    } catch (error) {
      return null;
    }
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function clone(templateId) {
    const template = byId(templateId);
    return template.content.firstElementChild.cloneNode(true);
  }

  function setText(root, selector, text) {
    const element = root.querySelector(selector);
    if (element) element.textContent = text;
    return element;
  }

  function badge(element, kind, value, label) {
    if (!element) return;
    element.textContent = label;
    element.className = element.className
      .split(" ")
      .filter(function (name) {
        return name && name.indexOf(kind + "-") !== 0;
      })
      .concat([kind + "-" + value])
      .join(" ");
  }

  async function api(method, path, payload, options) {
    const headers = { Accept: "application/json" };
    if (options && options.background) headers["X-Hotline-Background"] = "1";
    const init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") {
      headers["X-CSRF-Token"] = csrfToken;
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload === undefined ? {} : payload);
    }
    const response = await fetch(path, init);
    if (response.status === 401) {
      window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
      throw Object.assign(new Error("logged out"), { status: 401 });
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    if (!response.ok) {
      const detail = data && typeof data.detail === "string" ? data.detail : response.statusText;
      throw Object.assign(new Error(refusal(data, detail)), { status: response.status, data: data });
    }
    return data;
  }

  /* One polite live region for outcomes (sent, acknowledged, failed): screen readers say
     them without the focus having to move there. */
  function announce(text) {
    const region = byId("announcer");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = text;
    }, 50);
  }

  /* Each cell learns its column's name (data-label), shown before it when a narrow
     screen stacks the table as cards. Cells drawn later are labelled as they come. */
  function labelTables() {
    document.querySelectorAll("table").forEach(function (table) {
      const heads = [];
      table.querySelectorAll("thead tr:first-child > th").forEach(function (th) {
        for (let span = 0; span < (th.colSpan || 1); span += 1) heads.push(th.textContent.trim());
      });
      table.querySelectorAll("tbody > tr, tfoot > tr").forEach(function (tr) {
        let column = 0;
        Array.prototype.forEach.call(tr.children, function (cell) {
          if (cell.tagName === "TD" && !cell.dataset.label && heads[column]) cell.dataset.label = heads[column];
          column += cell.colSpan || 1;
        });
      });
    });
  }

  /* -- labels ------------------------------------------------------------- */

  const LINE_STATES = {
    up: t("up"),
    degraded: t("degraded"),
    down: t("down"),
    silent: t("silent"),
  };
  const PRECEDENCES = {
    flash: t("FLASH"),
    immediate: t("IMMEDIATE"),
    priority: t("PRIORITY"),
    routine: t("ROUTINE"),
  };
  const ALARM_KINDS = {
    "test-missed": t("Link test missed"),
    "peer-test-missed": t("Peer's link test missed"),
    "line-down": t("Line down"),
    "route-down": t("Route down"),
    "ack-overdue": t("Acknowledgement overdue"),
    "record-conflict": t("Record conflict"),
    "cosign-overdue": t("Record not cosigned"),
    "store-damaged": t("Stored messages damaged"),
    "restored-behind": t("Restored behind the peer"),
    "key-revoked": t("Key revoked"),
    "revoked-key-used": t("Revoked key used"),
    "key-expiring": t("Key expiring"),
  };
  /* Each alarm kind's meaning, filled in from the alarm's peer and route (msgids: i18n.py). */
  // What a refusal means, in the reader's language, from the API's error class (its
  // "error"); the terminal's own detail (English, as logged) follows in brackets for
  // whoever has to dig. A class not listed shows its detail alone.
  const REFUSALS = {
    InvalidArgument: "The terminal refused what was entered.",
    ReleaseRefused: "This message cannot be released.",
    StatementInvalid: "The statement was refused.",
    UnknownFormat: "There is no such notification format.",
    UnknownPeer: "That party is not a peer of this terminal.",
    PeerRemoved: "That party has been removed: its line is refused.",
    UnknownMessage: "There is no such message here.",
    UnknownStatement: "There is no such statement here.",
    MessageTooLarge: "The message is too large for the line.",
    CallError: "The call cannot do that in its present state.",
    AuthenticationFailed: "Wrong password.",
    PermissionDenied: "Your role does not allow this.",
    FencedOut: "This terminal is no longer the active one.",
  };

  function refusal(data, detail) {
    const summary = data && Object.prototype.hasOwnProperty.call(REFUSALS, data.error)
      ? REFUSALS[data.error]
      : null;
    return summary ? t(summary) + " (" + detail + ")" : detail;
  }

  const ALARM_SUMMARIES = {
    "test-missed": "No receipt came in time for a link test on route %(route)s.",
    "peer-test-missed": "%(peer)s reports that a link test from it got no receipt in time.",
    "line-down": "No route to %(peer)s works; messages wait until one does.",
    "route-down": "Route %(route)s is down; the other routes carry the traffic.",
    "ack-overdue": "A message waits past its deadline for a person's acknowledgement.",
    "record-conflict": "%(peer)s holds a record that disagrees with ours.",
    "cosign-overdue": "%(peer)s has not cosigned our record in time.",
    "store-damaged": "Stored messages failed their checks.",
    "restored-behind": "This terminal was restored behind what %(peer)s holds.",
    "key-revoked": "%(peer)s revoked one of its keys: read the detail.",
    "revoked-key-used": "Something signed by a key %(peer)s revoked arrived and was refused.",
    "key-expiring": "Our %(route)s key expires soon: rotate it, as the detail says.",
  };
  const STEPS = {
    queued: t("queued"),
    sent: t("sent"),
    delivered: t("delivered"),
    received: t("received"),
    acknowledged: t("acknowledged"),
  };

  let lineStates = {};

  function lineStateOf(message) {
    return Object.prototype.hasOwnProperty.call(lineStates, message.peer)
      ? lineStates[message.peer]
      : message.line_state;
  }

  function stateLabel(message) {
    if (message.direction === "out" && message.state === "queued" && lineStateOf(message) === "down") {
      return t("queued (line down)");
    }
    if (message.direction === "in" && message.state === "delivered") return STEPS.received;
    return STEPS[message.state] || message.state;
  }

  function ackStatus(message) {
    if (message.acknowledgement) {
      return t("acknowledged by %(name)s at %(time)s", {
        name: message.acknowledgement.by,
        time: message.acknowledgement.display,
      });
    }
    if (message.direction === "in") return t("not yet acknowledged");
    if (message.state === "delivered") return t("delivered — nobody has acknowledged it yet");
    return t("not delivered");
  }

  /* -- clocks --------------------------------------------------------------- */

  function startClocks() {
    const clocks = [];
    document.querySelectorAll('[data-testid="clock"]').forEach(function (element) {
      try {
        const format = new Intl.DateTimeFormat(language, {
          timeZone: element.dataset.timezone,
          hour: "2-digit",
          minute: "2-digit",
          second: "2-digit",
          hourCycle: "h23",
        });
        clocks.push({ element: element, format: format, zulu: element.dataset.zulu === "true" });
      } catch (error) {
        /* a zone this browser does not know: keep the server's reading */
      }
    });
    function tick() {
      const now = new Date(Date.now() + serverOffset);
      clocks.forEach(function (clock) {
        // 24-hour HH:MM:SS with colons in every language: these are watch clocks.
        const parts = {};
        clock.format.formatToParts(now).forEach(function (part) {
          parts[part.type] = part.value;
        });
        clock.element.textContent =
          parts.hour + ":" + parts.minute + ":" + parts.second + (clock.zulu ? "Z" : "");
      });
    }
    tick();
    window.setInterval(tick, 1000);
  }

  /* -- alarms: banner and sound -------------------------------------------- */

  let unacknowledged = 0;
  let audio = null;
  let soundWanted = window.sessionStorage.getItem("hotline-sound") === "on";
  const soundButton = byId("sound-toggle");

  function soundRunning() {
    return audio !== null && audio.state === "running";
  }

  function showSoundState() {
    if (!soundButton) return;
    const on = soundWanted && soundRunning();
    soundButton.textContent = on ? t("Sound on") : t("Enable sound");
    soundButton.classList.toggle("on", on);
    soundButton.setAttribute("aria-pressed", on ? "true" : "false");
  }

  function ensureAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (audio === null) audio = new Context();
    // Browsers start audio only after a user gesture; this runs from one.
    audio.resume().then(showSoundState, showSoundState);
  }

  function beep() {
    if (!soundRunning()) return;
    const start = audio.currentTime;
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = "square";
    oscillator.frequency.setValueAtTime(880, start);
    oscillator.frequency.setValueAtTime(660, start + 0.18);
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.36);
    oscillator.connect(gain);
    gain.connect(audio.destination);
    oscillator.start(start);
    oscillator.stop(start + 0.4);
  }

  if (soundButton) {
    soundButton.addEventListener("click", function () {
      if (soundWanted && soundRunning()) {
        soundWanted = false;
      } else {
        soundWanted = true;
        ensureAudio();
      }
      window.sessionStorage.setItem("hotline-sound", soundWanted ? "on" : "off");
      showSoundState();
    });
    if (soundWanted) {
      // Wanted on an earlier page: resume at the first gesture on this one.
      document.addEventListener("pointerdown", ensureAudio, { once: true });
      document.addEventListener("keydown", ensureAudio, { once: true });
    }
    showSoundState();
  }

  window.setInterval(function () {
    if (unacknowledged > 0 && soundWanted) beep();
  }, 3000);

  /* A call ringing (call.js asks): a softer two-tone burble than the alarm's. */
  function ring() {
    if (!soundWanted || !soundRunning()) return;
    const start = audio.currentTime;
    [0, 0.45].forEach(function (offset) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = "sine";
      oscillator.frequency.setValueAtTime(440, start + offset);
      oscillator.frequency.setValueAtTime(480, start + offset + 0.1);
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.3, start + offset + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.38);
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.4);
    });
  }

  function showAlarmBanner(status) {
    unacknowledged = status.unacknowledged_alarms || 0;
    const banner = byId("alarm-banner");
    if (!banner) return;
    if (unacknowledged > 0) {
      banner.textContent = t("ALARM: %(count)s open alarm(s) not acknowledged", { count: unacknowledged });
      banner.hidden = false;
      banner.classList.add("flashing");
    } else {
      banner.hidden = true;
      banner.classList.remove("flashing");
    }
  }

  const alarmBanner = byId("alarm-banner");
  if (alarmBanner) {
    alarmBanner.addEventListener("click", function () {
      if (page !== "line") window.location.href = "/";
    });
  }

  /* -- line view ------------------------------------------------------------ */

  function sparkline(spark) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + spark.width + " " + spark.height);
    svg.setAttribute("class", "sparkline");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    const title = document.createElementNS(ns, "title");
    title.textContent = spark.samples
      ? t("%(ms)s ms", { ms: numbers.format(spark.max_ms) })
      : t("no samples yet");
    svg.appendChild(title);
    const baseline = document.createElementNS(ns, "line");
    baseline.setAttribute("x1", "0");
    baseline.setAttribute("x2", String(spark.width));
    baseline.setAttribute("y1", String(spark.height - 0.5));
    baseline.setAttribute("y2", String(spark.height - 0.5));
    baseline.setAttribute("class", "sparkline-base");
    svg.appendChild(baseline);
    if (spark.path) {
      const path = document.createElementNS(ns, "path");
      path.setAttribute("d", spark.path);
      path.setAttribute("class", "sparkline-path");
      svg.appendChild(path);
    }
    return svg;
  }

  function renderRoute(route, peer) {
    const row = clone("route-template");
    row.dataset.state = route.state;
    row.dataset.active = route.active ? "true" : "false";
    setText(row, ".route-address code", route.address);
    setText(
      row,
      ".route-role",
      (route.active ? t("carrying") : t("standby")) +
        // On the listening side the routes are our own addresses: the peer dials them.
        (peer && peer.we_dial === false ? " · " + t("our address; %(peer)s dials it", { peer: peer.party }) : "")
    );
    badge(row.querySelector(".route-state"), "state", route.state, LINE_STATES[route.state] || route.state);
    setText(row, ".route-rtt", route.rtt_ms === null ? "—" : t("%(ms)s ms", { ms: numbers.format(route.rtt_ms) }));
    row.querySelector(".route-spark").appendChild(sparkline(route.sparkline));
    const test = route.last_test;
    const testCell = setText(
      row,
      ".route-test",
      test
        ? t("Last test: %(result)s at %(time)s", { result: test.ok ? t("passed") : t("missed"), time: test.display })
        : t("No link test yet")
    );
    // A pass is green only while the route is up: on a route that is down now, an old pass
    // is history, shown plain (green there read as "all is well").
    if (test) testCell.classList.add(!test.ok ? "test-missed" : route.state === "up" ? "test-ok" : "test-stale");
    // The peer tests the routes too (in its own slots): its newest test that arrived here.
    if (route.peer_test && peer) {
      const theirs = document.createElement("div");
      theirs.className = "route-peer-test";
      theirs.dataset.testid = "route-peer-test";
      theirs.textContent = t("%(peer)s's test arrived at %(time)s", { peer: peer.party, time: route.peer_test.display });
      testCell.appendChild(theirs);
    }
    if (route.last_error) row.title = route.last_error;
    return row;
  }

  function renderPeer(peer) {
    const card = clone("peer-template");
    card.setAttribute("data-testid", "peer-" + peer.party);
    card.dataset.state = peer.state;
    setText(card, ".peer-name", peer.party);
    badge(card.querySelector(".peer-state"), "state", peer.state, LINE_STATES[peer.state] || peer.state);
    setText(card, ".peer-carrier", peer.carrier || "—");
    setText(card, ".peer-queued", numbers.format(peer.queued));
    setText(card, ".peer-contact", peer.last_contact ? peer.display.last_contact : t("never"));
    // "In use": people's traffic (not link tests) went over the line lately.
    const used = setText(
      card,
      ".peer-used",
      peer.in_use
        ? t("in use")
        : peer.last_used ? t("last used %(time)s", { time: peer.display.last_used }) : t("not used yet")
    );
    used.dataset.inUse = peer.in_use ? "true" : "false";
    const rows = card.querySelector(".route-rows");
    peer.routes.forEach(function (route) {
      rows.appendChild(renderRoute(route, peer));
    });
    return card;
  }

  function renderAlarm(alarm) {
    const item = clone("alarm-template");
    item.dataset.id = alarm.id;
    item.dataset.acknowledged = alarm.acknowledged ? "true" : "false";
    item.classList.toggle("acknowledged", alarm.acknowledged);
    setText(item, ".alarm-kind", ALARM_KINDS[alarm.kind] || alarm.kind);
    setText(item, ".alarm-where", alarm.peer + (alarm.route ? " · " + alarm.route : ""));
    setText(item, ".alarm-since", alarm.since ? t("since %(time)s", { time: alarm.display.since }) : "");
    // What it means, in the reader's language, from the alarm's own fields; the terminal's
    // technical detail (English, as logged) stays beside it for whoever has to dig.
    const summary = ALARM_SUMMARIES[alarm.kind];
    setText(
      item,
      ".alarm-detail",
      summary ? t(summary, { peer: alarm.peer, route: alarm.route || "" }) : alarm.detail
    );
    const technical = item.querySelector(".alarm-technical");
    if (technical) {
      technical.hidden = !summary || !alarm.detail;
      technical.textContent = summary ? alarm.detail : "";
    }
    setText(item, ".alarm-seen", alarm.acknowledged ? t("seen by %(name)s", { name: alarm.acknowledged_by }) : "");
    const button = item.querySelector('[data-testid="alarm-ack"]');
    if (button) {
      if (alarm.acknowledged) {
        button.remove();
      } else {
        button.addEventListener("click", function () {
          button.disabled = true;
          api("POST", "/api/alarms/" + encodeURIComponent(alarm.id) + "/ack")
            .then(refresh)
            .then(function () {
              // The next alarm still waiting, or the list itself; and say what happened.
              const next = document.querySelector('[data-testid="alarm-ack"]:not([disabled])');
              const list = byId("alarms");
              if (next) next.focus();
              else if (list) list.focus();
              announce(t("seen by %(name)s", { name: body.dataset.user || "" }));
            })
            .catch(function (error) {
              button.disabled = false;
              button.title = t("Failed: %(reason)s", { reason: error.message });
            });
        });
      }
    }
    return item;
  }

  let drawnLine = { peers: null, alarms: null };

  function renderLine(status) {
    const peersKey = JSON.stringify(status.peers);
    const alarmsKey = JSON.stringify(status.alarms);
    const unchanged = { peers: drawnLine.peers === peersKey, alarms: drawnLine.alarms === alarmsKey };
    drawnLine = { peers: peersKey, alarms: alarmsKey };
    const peers = unchanged.peers ? null : byId("peers");
    if (peers) {
      peers.replaceChildren.apply(peers, status.peers.map(renderPeer));
      byId("no-peers").hidden = status.peers.length > 0;
    }
    const alarms = unchanged.alarms ? null : byId("alarms");
    if (alarms) {
      if (status.alarms.length) {
        alarms.replaceChildren.apply(alarms, status.alarms.map(renderAlarm));
      } else {
        const none = document.createElement("li");
        none.className = "empty";
        none.textContent = t("No open alarms.");
        alarms.replaceChildren(none);
      }
    }
  }

  function applyStatus(status) {
    lineStates = {};
    status.peers.forEach(function (peer) {
      lineStates[peer.party] = peer.state;
    });
    showAlarmBanner(status);
    if (page === "line") renderLine(status);
    if (page === "traffic") renderMessages();
    document.dispatchEvent(new CustomEvent("hotline:status", { detail: status }));
  }

  /* -- handling markings (docs/protocol/markings.md) ------------------------ */

  /*
   * The server has already left out what this reader may not see; here the banner
   * is written and the embargo counted down. The marking lines are shown as signed.
   */
  function showMarking(row, marking) {
    const banner = row.querySelector(".marking-banner");
    if (!banner || !marking || !marking.marked) return;
    const lines = marking.banner.concat(marking.flags.map(function (flag) { return t(flag); }));
    if (!marking.readable) lines.push(t("Text withheld: eyes only"));
    banner.textContent = lines.join(" · ");
    banner.hidden = false;
    row.classList.add(marking.released ? "is-released" : "is-marked");
    const countdown = row.querySelector(".embargo-countdown");
    if (countdown && marking.countdown) {
      countdown.dataset.until = marking.embargo_until;
      countdown.hidden = false;
      tickEmbargo(countdown);
    }
  }

  function twoDigits(n) {
    return (n < 10 ? "0" : "") + n;
  }

  /* "2d 03:04:05" to the embargo's end, from the server's clock. */
  function tickEmbargo(element) {
    const left = Math.ceil((Date.parse(element.dataset.until) - (Date.now() + serverOffset)) / 1000);
    if (left <= 0) {
      element.textContent = t("Embargo over");
      element.dataset.over = "true";
      return;
    }
    const days = Math.floor(left / 86400);
    const clock = twoDigits(Math.floor((left % 86400) / 3600)) + ":" + twoDigits(Math.floor((left % 3600) / 60)) + ":" + twoDigits(left % 60);
    const text = t("Embargoed: public in %(time)s", { time: (days ? days + "d " : "") + clock });
    if (element.textContent !== text) element.textContent = text;
  }

  /* "04:12 left to acknowledge", or "overdue by 01:03", to an acknowledgement deadline,
     from the server's clock: on the traffic rows, a message, and the watch floor. */
  function tickDeadline(element) {
    if (element.hidden) return;
    const left = Math.round((Date.parse(element.dataset.deadline) - (Date.now() + serverOffset)) / 1000);
    const span = Math.abs(left);
    const hours = Math.floor(span / 3600);
    const clock = (hours ? hours + ":" : "") + twoDigits(Math.floor((span % 3600) / 60)) + ":" + twoDigits(span % 60);
    const text = left > 0
      ? t("%(time)s left to acknowledge", { time: clock })
      : t("overdue by %(time)s", { time: clock });
    element.dataset.overdue = left > 0 ? "false" : "true";
    if (element.textContent !== text) element.textContent = text;
  }

  function tickCountdowns() {
    document.querySelectorAll(".embargo-countdown[data-until]").forEach(tickEmbargo);
    document.querySelectorAll(".ack-countdown[data-deadline]").forEach(tickDeadline);
  }

  window.setInterval(tickCountdowns, 1000);
  tickCountdowns();
  /* A part drawn by the server (the watch floor's board) shows its countdowns at once. */
  if (window.MutationObserver) {
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        record.addedNodes.forEach(function (node) {
          if (node.querySelectorAll) node.querySelectorAll(".ack-countdown[data-deadline]").forEach(tickDeadline);
        });
      });
    }).observe(document.body, { childList: true, subtree: true });
  }

  const releaseForm = byId("release-form");
  if (releaseForm) {
    releaseForm.addEventListener("submit", function (event) {
      event.preventDefault();
      const result = byId("release-result");
      result.textContent = t("Sending…");
      const text = byId("release-text").value.trim();
      api("POST", "/api/messages/" + encodeURIComponent(releaseForm.dataset.id) + "/release", { public_text: text || null })
        .then(function () {
          result.textContent = t("Released.");
          window.location.reload();
        })
        .catch(function (error) {
          result.textContent = t("Failed: %(reason)s", { reason: error.message });
        });
    });
  }

  /* -- traffic -------------------------------------------------------------- */

  let messages = readJson("messages-data") || [];

  function renderMessage(message) {
    const row = clone("message-template");
    row.dataset.id = message.id;
    row.dataset.state = message.state;
    row.dataset.direction = message.direction;
    row.dataset.precedence = message.precedence;
    row.classList.add("precedence-" + message.precedence);
    if (message.exercise) row.classList.add("is-exercise");
    badge(row.querySelector(".precedence"), "precedence", message.precedence, PRECEDENCES[message.precedence] || message.precedence);
    setText(row, ".serial", String(message.serial));
    const link = setText(row, ".time-group", message.time_group);
    link.href = "/messages/" + encodeURIComponent(message.id);
    // Every link reads a time group; its name says which message it opens.
    link.setAttribute(
      "aria-label",
      t("Message %(serial)s, %(time)s, %(direction)s %(peer)s, %(precedence)s", {
        serial: message.serial,
        time: message.time_group,
        direction: message.direction === "out" ? t("out") : t("in"),
        peer: message.peer,
        precedence: PRECEDENCES[message.precedence] || message.precedence,
      })
    );
    setText(row, ".direction", message.direction === "out" ? "→ " + t("out") : "← " + t("in"));
    setText(row, ".message-peer", message.peer);
    setText(row, ".channel code", message.channel);
    row.querySelector(".exercise-label").hidden = !message.exercise;
    // A notification reads in this user's language, from its data; a text exactly as signed.
    const notice = message.notice;
    const formatBadge = row.querySelector(".format-badge");
    row.dataset.format = notice ? notice.format : "";
    row.dataset.restricted = message.restricted ? "true" : "false";
    if (message.restricted) {
      // A channel restricted to others: the traffic exists, its text is not here.
      setText(row, ".text-body", t("restricted to channel %(channel)s", { channel: message.channel }));
    } else if (notice) {
      formatBadge.hidden = false;
      formatBadge.textContent = notice.title;
      formatBadge.dataset.format = notice.format;
      formatBadge.title = notice.format + " v" + notice.format_version;
      setText(row, ".text-body", notice.line);
    } else {
      setText(row, ".text-body", message.text);
    }
    showMarking(row, message.marking);
    const meetingBadge = row.querySelector(".meeting-state");
    if (message.meeting) {
      meetingBadge.hidden = false;
      meetingBadge.dataset.state = message.meeting.state;
      badge(meetingBadge, "meeting-is", message.meeting.state, message.meeting.state_label);
    }
    const queuedDown = message.direction === "out" && message.state === "queued" && lineStateOf(message) === "down";
    badge(row.querySelector(".state"), "state", queuedDown ? "queued-down" : message.state, stateLabel(message));
    row.dataset.overdue = message.overdue ? "true" : "false";
    row.querySelector(".overdue").hidden = !message.overdue;
    const times = row.querySelector(".times");
    message.times.forEach(function (step) {
      const line = document.createElement("div");
      line.textContent = (STEPS[step.state] || step.state) + " " + step.display;
      times.appendChild(line);
    });
    if (message.ack_deadline && !message.acknowledgement) {
      const due = document.createElement("div");
      due.className = message.overdue ? "due overdue-text" : "due";
      due.textContent = t("due %(time)s", { time: message.display.ack_deadline }) + " ";
      const countdown = document.createElement("span");
      countdown.className = "ack-countdown";
      countdown.dataset.deadline = message.ack_deadline;
      tickDeadline(countdown);
      due.appendChild(countdown);
      times.appendChild(due);
    }
    row.addEventListener("click", function (event) {
      if (event.target.closest("a")) return;
      window.location.href = link.href;
    });
    return row;
  }

  /*
   * The traffic table is patched, not redrawn: a row is rebuilt only when its message
   * (or its peer's line state) changed, and rows are moved only when the order changed.
   * Whatever had the keyboard focus keeps it, and a screen reader is not thrown back
   * to the top of the page every few seconds.
   */
  const drawnRows = new Map();

  function renderMessages() {
    const table = byId("messages");
    if (!table) return;
    const focused = document.activeElement;
    const focusedRow = focused && table.contains(focused) ? focused.closest("tr") : null;
    const focusedId = focusedRow ? focusedRow.dataset.id : null;
    const focusedHook = focused && focused.dataset ? focused.dataset.testid : null;
    const seen = new Set();
    const rows = messages.map(function (message) {
      const key = JSON.stringify(message) + "|" + lineStateOf(message);
      const drawn = drawnRows.get(message.id);
      seen.add(message.id);
      if (drawn && drawn.key === key) return drawn.row;
      const row = renderMessage(message);
      if (drawn && drawn.row.classList.contains("selected")) row.classList.add("selected");
      drawnRows.set(message.id, { key: key, row: row });
      if (drawn && drawn.row.parentNode === table) table.replaceChild(row, drawn.row);
      return row;
    });
    drawnRows.forEach(function (drawn, id) {
      if (!seen.has(id)) {
        drawn.row.remove();
        drawnRows.delete(id);
      }
    });
    rows.forEach(function (row, index) {
      if (table.children[index] !== row) table.insertBefore(row, table.children[index] || null);
    });
    if (focusedId && document.activeElement !== focused) {
      const again = drawnRows.get(focusedId);
      const target = again && (again.row.querySelector('[data-testid="' + focusedHook + '"]') || again.row.querySelector("a"));
      if (target) target.focus();
    }
    const empty = byId("no-messages");
    empty.textContent = t("No messages yet.");
    empty.hidden = messages.length > 0;
  }

  /* The compose form's handling markings (templates/_marking_fields.html) as the API takes
     them: only those set, the embargo as typed (the server puts it in canonical form and
     names what it cannot read); null when none is. */
  function composeMarkings() {
    const markings = {};
    const readers = byId("compose-eyes-only").value.split("\n").map(function (line) {
      return line.trim();
    }).filter(Boolean);
    if (readers.length) markings.eyes_only = readers;
    const embargo = byId("compose-embargo").value.trim();
    if (embargo) markings.embargoed_until = embargo;
    if (byId("compose-not-for-release").checked) markings.not_for_release = true;
    const classification = byId("compose-classification");
    if (classification && classification.value) markings.classification = classification.value;
    return Object.keys(markings).length ? markings : null;
  }

  /* After a send, each next message is marked afresh: no restriction carried over unseen. */
  function clearComposeMarkings() {
    byId("compose-eyes-only").value = "";
    byId("compose-embargo").value = "";
    byId("compose-not-for-release").checked = false;
    const classification = byId("compose-classification");
    if (classification) classification.value = "";
  }

  const composeForm = byId("compose-form");
  if (composeForm) {
    composeForm.addEventListener("submit", function (event) {
      event.preventDefault();
      const result = byId("compose-result");
      const send = byId("compose-send");
      const text = byId("compose-text");
      const payload = {
        to: byId("compose-to").value,
        channel: byId("compose-channel").value,
        precedence: byId("compose-precedence").value,
        text: text.value,
        exercise: byId("compose-exercise").checked,
        markings: composeMarkings(),
      };
      result.textContent = t("Sending…");
      result.className = "compose-result";
      send.disabled = true;
      api("POST", "/api/messages", payload)
        .then(function (message) {
          result.dataset.id = message.id;
          result.dataset.state = message.state;
          result.textContent = t("Message %(id)s: %(state)s", { id: message.id, state: stateLabel(message) });
          result.classList.add(message.state === "queued" && lineStateOf(message) === "down" ? "warning" : "ok");
          text.value = "";
          clearComposeMarkings();
          announce(result.textContent);
          messages = [message].concat(messages.filter(function (m) {
            return m.id !== message.id;
          }));
          renderMessages();
          refresh();
        })
        .catch(function (error) {
          result.textContent = t("Failed: %(reason)s", { reason: error.message });
          result.classList.add("error");
          announce(result.textContent);
        })
        .finally(function () {
          send.disabled = false;
          // The disabled button dropped the focus to <body>: back to the text, ready for the next.
          text.focus();
        });
    });
  }

  /* -- message detail ------------------------------------------------------- */

  const detail = readJson("message-data");

  function checkText(check, verified, failed) {
    return check.status === "verified" ? verified : failed;
  }

  function renderDetail(message) {
    const status = byId("ack-status");
    status.textContent = ackStatus(message);
    status.dataset.state = message.state;
    const state = byId("message-state");
    state.dataset.state = message.state;
    badge(state, "state", message.state, stateLabel(message));
    const times = byId("message-times");
    times.replaceChildren.apply(
      times,
      message.times.map(function (step) {
        const item = document.createElement("li");
        const label = document.createElement("span");
        label.className = "time-state";
        label.textContent = STEPS[step.state] || step.state;
        item.append(label, " " + step.display);
        return item;
      })
    );
    const signature = byId("signature-status");
    signature.dataset.status = message.signature.status;
    signature.className = "check check-" + message.signature.status;
    signature.textContent = checkText(
      message.signature,
      t("signature verified"),
      t("signature does not verify: %(reason)s", { reason: message.signature.reason })
    );
    const receipt = byId("receipt-status");
    receipt.dataset.status = message.receipt.status;
    receipt.className = "check check-" + message.receipt.status;
    if (message.receipt.status === "verified") {
      receipt.textContent = t("receipt verified, received at %(time)s", { time: message.receipt.received_at.display });
    } else if (message.receipt.status === "failed") {
      receipt.textContent = t("receipt does not verify: %(reason)s", { reason: message.receipt.reason });
    } else {
      receipt.textContent = t("no receipt yet");
    }
    const overdue = byId("overdue-badge");
    if (overdue) overdue.hidden = !message.overdue;
    const countdown = byId("ack-countdown");
    if (countdown) countdown.hidden = Boolean(message.acknowledgement);
    const section = document.querySelector(".message-detail");
    if (section) section.dataset.overdue = message.overdue ? "true" : "false";
    const meetingState = byId("meeting-state");
    if (meetingState && message.meeting) {
      meetingState.dataset.state = message.meeting.state;
      badge(meetingState, "meeting-is", message.meeting.state, message.meeting.state_label);
    }
    const button = byId("ack");
    if (button && !message.can_acknowledge) button.remove();
    // notify.js keeps the meeting reply form in step with the meeting's state.
    document.dispatchEvent(new CustomEvent("hotline:detail", { detail: message }));
  }

  const ackButton = byId("ack");
  if (ackButton && detail) {
    ackButton.addEventListener("click", function () {
      ackButton.disabled = true;
      const status = byId("ack-status");
      api("POST", "/api/messages/" + encodeURIComponent(detail.id) + "/ack")
        .then(function (done) {
          // The button goes: the focus moves to what it did, which is also announced.
          status.textContent = t("acknowledged by %(name)s at %(time)s", {
            name: done.acknowledged_by,
            time: done.display ? done.display.acknowledged_at : done.acknowledged_at,
          });
          status.focus();
          announce(status.textContent);
          return refresh();
        })
        .catch(function (error) {
          ackButton.disabled = false;
          status.textContent = t("Failed: %(reason)s", { reason: error.message });
          ackButton.focus();
          announce(status.textContent);
        });
    });
  }

  /* -- shift log ------------------------------------------------------------ */

  let notes = readJson("notes-data") || [];

  function renderNotes() {
    const list = byId("notes");
    if (!list) return;
    list.replaceChildren.apply(
      list,
      notes.map(function (note) {
        const item = clone("note-template");
        item.dataset.id = note.id;
        setText(item, ".note-author", note.author);
        setText(item, ".note-at", note.display);
        const check = setText(item, ".note-signature", note.verified ? t("signature verified") : t("signature does not verify"));
        check.classList.add(note.verified ? "check-verified" : "check-failed");
        setText(item, ".note-text", note.text);
        return item;
      })
    );
    const empty = byId("no-notes");
    empty.textContent = t("No notes yet.");
    empty.hidden = notes.length > 0;
  }

  const noteForm = byId("note-form");
  if (noteForm) {
    noteForm.addEventListener("submit", function (event) {
      event.preventDefault();
      const text = byId("note-text");
      const result = byId("note-result");
      const save = byId("note-save");
      save.disabled = true;
      result.textContent = t("Sending…");
      api("POST", "/api/shift-notes", { text: text.value })
        .then(function (note) {
          text.value = "";
          result.textContent = t("Saved.");
          notes = [note].concat(notes.filter(function (n) {
            return n.id !== note.id;
          }));
          renderNotes();
        })
        .catch(function (error) {
          result.textContent = t("Failed: %(reason)s", { reason: error.message });
        })
        .finally(function () {
          save.disabled = false;
        });
    });
  }

  /* -- the record ------------------------------------------------------------ */

  let record = readJson("record-data");
  let conflicts = readJson("conflicts-data") || [];
  const CONFLICT_KINDS = {
    fork: t("Fork"),
    rollback: t("Rollback"),
    "bad-proof": t("Bad consistency proof"),
    "bad-signature": t("Bad signature"),
  };

  function emptyNote(id, shown, text) {
    const element = byId(id);
    element.textContent = text;
    element.hidden = !shown;
  }

  function renderCosigner(cosigner) {
    const row = clone("cosigner-template");
    row.dataset.peer = cosigner.peer;
    row.dataset.never = "false";
    row.dataset.behind = String(cosigner.behind);
    row.dataset.behindAny = cosigner.behind > 0 ? "true" : "false";
    setText(row, ".cosigner-peer", cosigner.peer);
    setText(row, ".cosigner-size", numbers.format(cosigner.size));
    setText(row, ".cosigner-at", cosigner.display.cosigned_at);
    setText(row, ".cosigner-age", t("%(age)s ago", { age: cosigner.display.age }));
    setText(
      row,
      ".cosigner-behind",
      cosigner.behind > 0 ? t("%(count)s entries behind", { count: numbers.format(cosigner.behind) }) : t("up to date")
    );
    return row;
  }

  function renderNeverCosigned(peer) {
    const row = clone("cosigner-template");
    row.dataset.peer = peer;
    row.dataset.never = "true";
    setText(row, ".cosigner-peer", peer);
    setText(row, ".cosigner-size", "—");
    setText(row, ".cosigner-at", t("never cosigned"));
    setText(row, ".cosigner-age", "—");
    setText(row, ".cosigner-behind", "—");
    return row;
  }

  function renderWitnessed(witnessed) {
    const row = clone("witnessed-template");
    row.dataset.peer = witnessed.peer;
    setText(row, ".witnessed-peer", witnessed.peer);
    setText(row, ".witnessed-size", numbers.format(witnessed.size));
    setText(row, ".witnessed-root", witnessed.root);
    setText(row, ".witnessed-at", witnessed.display.cosigned_at);
    return row;
  }

  function renderConflict(conflict) {
    const row = clone("conflict-template");
    row.dataset.id = String(conflict.id);
    row.dataset.kind = conflict.kind;
    setText(row, ".conflict-kind", CONFLICT_KINDS[conflict.kind] || conflict.kind);
    setText(row, ".conflict-log", conflict.log === "ours" ? t("our log") : t("%(party)s's log", { party: conflict.log }));
    setText(row, ".conflict-peer", conflict.peer);
    setText(row, ".conflict-at", conflict.display.detected_at);
    setText(row, ".conflict-detail", conflict.detail);
    return row;
  }

  function renderRecord() {
    if (!record || !byId("record-origin")) return;
    byId("record-origin").textContent = record.origin;
    byId("record-entries").textContent = numbers.format(record.entries);
    byId("record-tree-size").textContent = numbers.format(record.tree_size);
    byId("record-conflicts").textContent = numbers.format(record.conflicts);
    const checkpoint = record.checkpoint;
    byId("checkpoint").hidden = !checkpoint;
    emptyNote("no-checkpoint", !checkpoint, t("No checkpoint yet."));
    if (checkpoint) {
      byId("checkpoint-size").textContent = numbers.format(checkpoint.size);
      byId("checkpoint-root").textContent = checkpoint.root;
      byId("checkpoint-at").textContent = checkpoint.display.issued_at;
      byId("checkpoint-note").textContent = checkpoint.note;
    }
    const cosigners = byId("cosigners");
    cosigners.replaceChildren.apply(
      cosigners,
      record.cosigners.map(renderCosigner).concat(record.never_cosigned.map(renderNeverCosigned))
    );
    emptyNote("no-cosigners", cosigners.children.length === 0, t("No peers yet."));
    const witnessed = byId("witnessed");
    witnessed.replaceChildren.apply(witnessed, record.witnessed.map(renderWitnessed));
    emptyNote("no-witnessed", record.witnessed.length === 0, t("No peer's log witnessed yet."));
    const list = byId("conflict-list");
    list.replaceChildren.apply(list, conflicts.map(renderConflict));
    emptyNote("no-conflicts", conflicts.length === 0, t("No conflicts."));
  }

  /* -- language ------------------------------------------------------------- */

  const languageSelect = byId("language");
  if (languageSelect) {
    languageSelect.addEventListener("change", function () {
      api("POST", "/api/language", { language: languageSelect.value })
        .then(function () {
          window.location.reload();
        })
        .catch(function () {
          languageSelect.value = language;
        });
    });
  }

  /* -- live updates ----------------------------------------------------------- */

  const background = { background: true };
  let refreshing = false;
  let again = false;

  function connectionLost(lost) {
    const banner = byId("connection-lost");
    if (!banner) return;
    banner.textContent = t("The connection to the terminal was lost; retrying.");
    banner.hidden = !lost;
  }

  async function refreshOnce() {
    const work = [api("GET", "/api/status", undefined, background).then(applyStatus)];
    if (page === "traffic") {
      work.push(
        api("GET", "/api/messages?limit=200", undefined, background).then(function (list) {
          messages = list;
          renderMessages();
        })
      );
    }
    if (page === "message" && detail) {
      work.push(
        api("GET", "/api/messages/" + encodeURIComponent(detail.id), undefined, background).then(renderDetail)
      );
    }
    if (page === "record") {
      work.push(
        Promise.all([
          api("GET", "/api/record", undefined, background),
          api("GET", "/api/record/conflicts", undefined, background),
        ]).then(function (both) {
          record = both[0];
          conflicts = both[1];
          renderRecord();
        })
      );
    }
    if (page === "shift") {
      work.push(
        api("GET", "/api/shift-notes", undefined, background).then(function (list) {
          notes = list;
          renderNotes();
        })
      );
    }
    await Promise.all(work);
  }

  async function refresh() {
    if (refreshing) {
      again = true; // one more pass after this one: changes may have come meanwhile
      return;
    }
    refreshing = true;
    try {
      do {
        again = false;
        await refreshOnce();
      } while (again);
      connectionLost(false);
    } catch (error) {
      if (error.status !== 401) connectionLost(true);
    } finally {
      refreshing = false;
    }
  }

  /* Topics call.js follows by itself: they need no re-read of the line or the traffic. */
  const CALL_TOPICS = { calls: true, presence: true };

  function changed(topics) {
    document.dispatchEvent(new CustomEvent("hotline:change", { detail: { topics: topics } }));
    const others = topics.filter(function (topic) {
      return !CALL_TOPICS[topic];
    });
    if (others.length) refresh();
  }

  function subscribe() {
    if (!window.EventSource) return;
    const source = new EventSource("/api/events");
    source.addEventListener("change", function (event) {
      let topics = ["everything"];
      try {
        const data = JSON.parse(event.data);
        if (data && Array.isArray(data.topics) && data.topics.length) topics = data.topics;
      } catch (error) {
        /* an unreadable notice: re-read everything */
      }
      changed(topics);
    });
    source.addEventListener("ready", function () {
      changed(["everything"]); // after a reconnect: catch up
    });
  }

  /* -- shared with notify.js ------------------------------------------------- */

  /* Call states and outcomes in the reader's language (call.js and callboard.js). */
  const CALL_WORDS = Object.freeze({
    states: {
      calling: t("calling"),
      ringing: t("ringing"),
      connected: t("connected"),
      reconnecting: t("reconnecting"),
      ended: t("ended"),
    },
    outcomes: {
      completed: t("completed"),
      declined: t("declined"),
      missed: t("missed"),
      failed: t("failed"),
    },
  });

  /*
   * One re-read at a time; a notice that comes while one runs asks for one more
   * pass after it (what it announced may have been stored after that read). A
   * failed read is left to the next notice or timer (the header shows a lost
   * connection). Used by call.js and callboard.js.
   */
  function coalesced(read) {
    let busy = false;
    let again = false;
    return async function () {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        do {
          again = false;
          await read();
        } while (again);
      } catch (error) {
        /* the next notice or timer tries again */
      } finally {
        busy = false;
      }
    };
  }

  window.hotlineConsole = Object.freeze({
    t: t,
    coalesced: coalesced,
    callWords: CALL_WORDS,
    api: api,
    readJson: readJson,
    refresh: function () {
      return refresh();
    },
    stateLabel: stateLabel,
    ring: ring,
    /* Milliseconds since the epoch by the terminal's clock (as the header's clocks show). */
    serverNow: function () {
      return Date.now() + serverOffset;
    },
  });

  /* -- start ------------------------------------------------------------------ */

  /* -- keyboard shortcuts (docs/console.md) ------------------------------------ */

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function selectRow(step) {
    const rows = Array.prototype.slice.call(document.querySelectorAll('#messages [data-testid="message"]'));
    if (!rows.length) return;
    let index = rows.findIndex(function (row) {
      return row.classList.contains("selected");
    });
    if (index >= 0) rows[index].classList.remove("selected");
    index = Math.max(0, Math.min(rows.length - 1, index + step));
    rows[index].classList.add("selected");
    rows[index].querySelector("a").focus();
  }

  function selectedMessageId() {
    if (detail) return detail.id;
    const row = document.querySelector('#messages [data-testid="message"].selected');
    return row ? row.dataset.id : null;
  }

  function acknowledgeSelected() {
    const button = byId("ack");
    if (button && !button.disabled) {
      button.click();
      return;
    }
    const id = selectedMessageId();
    if (!id) return;
    api("POST", "/api/messages/" + encodeURIComponent(id) + "/ack")
      .then(function (done) {
        announce(t("acknowledged by %(name)s at %(time)s", {
          name: done.acknowledged_by,
          time: done.display ? done.display.acknowledged_at : done.acknowledged_at,
        }));
        return refresh();
      })
      .catch(function (error) {
        announce(t("Failed: %(reason)s", { reason: error.message }));
      });
  }

  const shortcuts = byId("shortcuts");

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (shortcuts && shortcuts.open) return; // the dialog has the keys (Escape closes it)
    const key = event.key;
    if (key === "?") {
      if (shortcuts) shortcuts.showModal();
    } else if (key === "c") {
      const text = byId("compose-text");
      if (text) text.focus();
      else window.location.href = "/traffic#compose-text";
    } else if (key === "j" || key === "k") {
      selectRow(key === "j" ? 1 : -1);
    } else if (key === "a") {
      acknowledgeSelected();
    } else if (key === "l") {
      if (page === "line" && byId("alarms")) byId("alarms").focus();
      else window.location.href = "/#alarms";
    } else if (key === "w") {
      if (page !== "floor") window.location.href = "/floor";
    } else {
      return;
    }
    event.preventDefault();
  });

  if (shortcuts) {
    const close = byId("shortcuts-close");
    if (close) close.addEventListener("click", function () {
      shortcuts.close();
    });
  }
  const help = byId("shortcuts-open");
  if (help && shortcuts) help.addEventListener("click", function () {
    shortcuts.showModal();
  });

  /* Arriving from "c" or "l" on another page: straight to the form or the alarms. */
  if (window.location.hash === "#compose-text" && byId("compose-text")) byId("compose-text").focus();
  if (window.location.hash === "#alarms" && byId("alarms")) byId("alarms").focus();

  labelTables();
  const main = byId("content");
  if (main && window.MutationObserver) {
    new MutationObserver(labelTables).observe(main, { childList: true, subtree: true });
  }

  startClocks();
  const initialStatus = readJson("status-data");
  if (initialStatus) applyStatus(initialStatus);
  renderMessages();
  renderNotes();
  renderRecord();
  if (page !== "login" && page !== "error") {
    subscribe();
    window.setInterval(refresh, 5000);
    if (!initialStatus) refresh();
  }
})();
