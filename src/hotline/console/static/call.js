/*
 * hotline operator console: the call this page carries (WebRTC), in its panel.
 *
 * On every page, the call placed or answered here is shown in a panel: the
 * remote picture, the own preview, the state, the time since the answer, live
 * media figures and Hang up. What rings, the presence requests and the call
 * tables are callboard.js's; it places and answers calls through this file's
 * window.hotlineCall (place, answer, carrying), and hears of each change of
 * the call here by a "hotline:call" DOM event.
 *
 * The browser does the media; the terminal signs, seals and relays every
 * signal and keeps the record (docs/calls.md). The flow:
 *
 *   caller: getUserMedia -> RTCPeerConnection -> createOffer ->
 *           setLocalDescription -> ICE gathering complete (or 2 s) ->
 *           POST /api/calls {sdp}; later candidates trickle to /candidate.
 *   callee: GET /api/calls/ID (the peer's signed offer) -> check its DTLS
 *           fingerprint -> getUserMedia -> setRemoteDescription -> answer ->
 *           gathering -> POST /answer {sdp}.
 *
 * Then both follow the call's live view (GET /api/calls/ID) on every "calls"
 * notice of the event stream and once a second while the call is live, and
 * apply a remote description whose rev is newer than the one applied, but only
 * if its a=fingerprint is exactly the one the peer SIGNED (remote.fingerprint).
 * Once DTLS is up, the certificate the browser actually met (getStats) must
 * carry that fingerprint too; any mismatch hangs up "failed". ICE restarts are
 * the caller's alone (no glare): on "failed", or "disconnected" for over 3 s,
 * it calls restartIce(), and the new offer goes to /sdp; the callee answers a
 * newer offer with /sdp {type: "answer"}.
 *
 * For tests the live RTCPeerConnection is window.hotlineCall.pc, and the
 * media line (data-testid="call-stats") carries data-frames-decoded,
 * data-first-frame-ms (from the user's click to the first decoded frame),
 * data-fps, data-rtt-ms and data-audio-packets. Words come from console.js's
 * table (t()).
 */
"use strict";

(function () {
  const shared = window.hotlineConsole;
  if (!shared) return;
  const t = shared.t;
  const api = shared.api;
  const page = document.body.dataset.page || "";
  const view = document.getElementById("call-view");
  if (!view) return; // the login and error pages
  const background = { background: true };

  /* ICE gathering is waited for this long before the offer or answer goes anyway. */
  const GATHER_LIMIT_MS = 2000;
  const STATS_EVERY_MS = 500;
  /* Until the first frame, getStats is read this often, so the first-frame time is precise. */
  const FIRST_FRAME_POLL_MS = 50;
  const FOLLOW_EVERY_MS = 1000;
  const RESTART_AFTER_MS = 3000;
  const DTLS_CHECK_TRIES = 20;

  const STATES = shared.callWords.states;
  const OUTCOMES = shared.callWords.outcomes;

  /* -- helpers ------------------------------------------------------------ */

  function byId(id) {
    return document.getElementById(id);
  }

  function setText(root, selector, text) {
    const element = root.querySelector(selector);
    if (element) element.textContent = text;
    return element;
  }

  function sleep(ms) {
    return new Promise(function (resolve) {
      window.setTimeout(resolve, ms);
    });
  }

  function callPath(id, action) {
    return "/api/calls/" + encodeURIComponent(id) + (action ? "/" + action : "");
  }

  function outcomeText(view) {
    const outcome = OUTCOMES[view.outcome] || view.outcome || "";
    const label = t("ended: %(outcome)s", { outcome: outcome });
    return view.reason ? label + " — " + view.reason : label;
  }

  function stateText(view) {
    if (view.state === "ended") return outcomeText(view);
    return STATES[view.state] || view.state;
  }

  function clockText(seconds) {
    const whole = Math.max(0, Math.round(seconds));
    const hours = Math.floor(whole / 3600);
    const minutes = Math.floor((whole % 3600) / 60);
    const secs = whole % 60;
    const two = function (n) {
      return (n < 10 ? "0" : "") + n;
    };
    return hours ? hours + ":" + two(minutes) + ":" + two(secs) : minutes + ":" + two(secs);
  }

  /* -- DTLS fingerprints ---------------------------------------------------- */

  /* "sha-256 AB:CD:..." in one form: algorithm lower case, hex upper case. */
  function normalFingerprint(text) {
    const parts = String(text || "").trim().split(/\s+/);
    if (parts.length !== 2) return "";
    return parts[0].toLowerCase() + " " + parts[1].toUpperCase();
  }

  function sdpFingerprints(sdp) {
    const found = [];
    String(sdp || "")
      .split(/\r?\n/)
      .forEach(function (line) {
        const match = /^a=fingerprint:(\S+)\s+(\S+)\s*$/i.exec(line);
        if (match) found.push(normalFingerprint(match[1] + " " + match[2]));
      });
    return found;
  }

  /* null if every a=fingerprint line of sdp is the signed one; else why not. */
  function fingerprintProblem(sdp, signed) {
    const wanted = normalFingerprint(signed);
    if (!wanted) return "DTLS fingerprint mismatch: the peer signed no fingerprint";
    const found = sdpFingerprints(sdp);
    if (!found.length) return "DTLS fingerprint mismatch: the description carries no fingerprint";
    const wrong = found.filter(function (fingerprint) {
      return fingerprint !== wanted;
    });
    if (!wrong.length) return null;
    return "DTLS fingerprint mismatch: the description carries " + wrong[0] + ", the peer signed " + wanted;
  }

  /* -- the call this page carries ------------------------------------------- */

  let call = null;
  let configPromise = null;

  function newCall(role, kind, peer, channel) {
    return {
      id: null,
      role: role,
      kind: kind,
      peer: peer,
      channel: channel,
      clickAt: performance.now(),
      pc: null,
      stream: null,
      view: null,
      appliedRev: 0,
      candidateTries: {},
      sdpTaken: false,
      canTrickle: false,
      pending: [],
      initialDone: false,
      lastMedia: null,
      dtlsUp: false,
      verified: false,
      firstFrameMs: null,
      firstAudioMs: null,
      ended: false,
      queue: Promise.resolve(),
      timers: {},
    };
  }

  /* Everything that touches the peer connection runs one step at a time, in order. */
  function enqueue(current, step) {
    current.queue = current.queue.then(step).catch(function (error) {
      showNotice(t("Failed: %(reason)s", { reason: error.message }));
    });
    return current.queue;
  }

  /* Tell callboard.js (a banner to take down, a table to re-read). */
  function announce() {
    document.dispatchEvent(new CustomEvent("hotline:call", { detail: { id: call ? call.id : null } }));
  }

  function config() {
    if (configPromise === null) {
      configPromise = api("GET", "/api/calls/config").catch(function (error) {
        configPromise = null;
        throw error;
      });
    }
    return configPromise;
  }

  function mediaAvailable() {
    return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.RTCPeerConnection);
  }

  function showInsecure() {
    const warning = byId("insecure-context");
    if (warning) warning.hidden = false;
    showResult(
      t("This browser will not give this page a camera or microphone: the console must be served over HTTPS, or opened on 127.0.0.1 or localhost (see docs/console.md)."),
      "error"
    );
  }

  /* -- the call panel -------------------------------------------------------- */

  const stateBadge = byId("call-state");
  const elapsed = byId("call-elapsed");
  const media = byId("call-media");
  const statsLine = byId("call-stats");
  const notice = byId("call-notice");
  const hangupButton = byId("call-hangup");
  const closeButton = byId("call-close");

  function mediaElement(tag, className, muted) {
    const element = document.createElement(tag);
    element.className = className;
    element.autoplay = true;
    element.setAttribute("playsinline", "");
    if (muted) element.muted = true;
    return element;
  }

  function openPanel(current) {
    media.replaceChildren();
    media.hidden = false;
    if (current.kind === "video") {
      current.remoteMedia = mediaElement("video", "call-remote", false);
      current.remoteMedia.setAttribute("data-testid", "call-remote-video");
      current.localMedia = mediaElement("video", "call-local", true);
      current.localMedia.setAttribute("data-testid", "call-local-video");
      media.append(current.remoteMedia, current.localMedia);
    } else {
      current.remoteMedia = mediaElement("audio", "call-remote-audio", false);
      current.remoteMedia.setAttribute("data-testid", "call-remote-audio");
      current.localMedia = null;
      media.append(current.remoteMedia);
    }
    view.dataset.kind = current.kind;
    view.dataset.role = current.role;
    view.dataset.peer = current.peer;
    delete view.dataset.callId;
    view.hidden = false;
    const title =
      current.kind === "video"
        ? t("Video call with %(party)s", { party: current.peer })
        : t("Audio call with %(party)s", { party: current.peer });
    setText(view, "#call-title", title + " · " + current.channel);
    statsLine.textContent = "";
    ["framesDecoded", "firstFrameMs", "fps", "rttMs", "audioPackets", "firstAudioMs"].forEach(function (key) {
      delete statsLine.dataset[key];
    });
    notice.hidden = true;
    notice.textContent = "";
    hangupButton.hidden = false;
    hangupButton.disabled = false;
    closeButton.hidden = true;
    elapsed.textContent = "";
    showState({ state: current.role === "caller" ? "calling" : "ringing" }, t("Preparing camera and microphone…"));
  }

  function showState(record, text) {
    stateBadge.dataset.state = record.state;
    if (record.outcome) stateBadge.dataset.outcome = record.outcome;
    else delete stateBadge.dataset.outcome;
    stateBadge.className = "badge call-state call-state-" + record.state + (record.outcome ? " outcome-" + record.outcome : "");
    stateBadge.textContent = text || stateText(record);
    view.dataset.state = record.state;
  }

  function showNotice(text) {
    if (!notice) return;
    notice.textContent = text;
    notice.hidden = !text;
  }

  function tickElapsed(current) {
    const record = current.view;
    if (!record || !record.answered_at) {
      elapsed.textContent = "";
      return;
    }
    const answered = Date.parse(record.answered_at);
    const until = record.ended_at ? Date.parse(record.ended_at) : shared.serverNow();
    if (!Number.isNaN(answered)) elapsed.textContent = clockText((until - answered) / 1000);
  }

  function showCall(current, record) {
    current.view = record;
    if (record.id) view.dataset.callId = record.id;
    view.dataset.remoteRev = String(current.appliedRev);
    showState(record);
    tickElapsed(current);
  }

  /* -- media and statistics ----------------------------------------------------- */

  function attachLocal(current) {
    if (current.localMedia) {
      current.localMedia.srcObject = current.stream;
      current.localMedia.play().catch(function () {});
    }
  }

  function attachRemote(current, event) {
    const stream = event.streams && event.streams[0] ? event.streams[0] : new MediaStream([event.track]);
    if (current.remoteMedia && current.remoteMedia.srcObject !== stream) {
      current.remoteMedia.srcObject = stream;
      current.remoteMedia.play().catch(function () {});
    }
  }

  async function sampleStats(current) {
    // Not before DTLS is up: Chromium caches a transport's certificate stats at the
    // first getStats() after the transport exists, and one taken before the handshake
    // would never show the peer's certificate (the check below would always fail).
    if (current.ended || !current.pc || !current.dtlsUp) return;
    const stats = await current.pc.getStats();
    let frames = null;
    let fps = null;
    let packets = null;
    let rtt = null;
    let pairId = null;
    stats.forEach(function (report) {
      if (report.type === "inbound-rtp" && report.kind === "video") {
        frames = (frames || 0) + (report.framesDecoded || 0);
        if (typeof report.framesPerSecond === "number") fps = report.framesPerSecond;
      } else if (report.type === "inbound-rtp" && report.kind === "audio") {
        packets = (packets || 0) + (report.packetsReceived || 0);
      } else if (report.type === "transport" && report.selectedCandidatePairId) {
        pairId = report.selectedCandidatePairId;
      }
    });
    const pair = pairId ? stats.get(pairId) : null;
    if (pair && typeof pair.currentRoundTripTime === "number") rtt = pair.currentRoundTripTime * 1000;
    if (current.ended) return;
    const since = Math.round(performance.now() - current.clickAt);
    if (frames && current.firstFrameMs === null) current.firstFrameMs = since;
    if (packets && current.firstAudioMs === null) current.firstAudioMs = since;
    const data = statsLine.dataset;
    const parts = [];
    if (current.kind === "video") {
      data.framesDecoded = String(frames || 0);
      if (fps !== null) data.fps = String(fps);
      parts.push(t("%(frames)s frames decoded", { frames: frames || 0 }));
      parts.push(t("%(fps)s fps", { fps: fps === null ? "—" : Math.round(fps) }));
      if (current.firstFrameMs !== null) {
        data.firstFrameMs = String(current.firstFrameMs);
        parts.push(t("first frame %(ms)s ms after the click", { ms: current.firstFrameMs }));
      }
    }
    data.audioPackets = String(packets || 0);
    if (current.firstAudioMs !== null) data.firstAudioMs = String(current.firstAudioMs);
    if (current.kind === "audio") parts.push(t("%(packets)s audio packets received", { packets: packets || 0 }));
    if (rtt !== null) {
      data.rttMs = String(Math.round(rtt * 10) / 10);
      parts.push(t("RTT %(ms)s ms", { ms: Math.round(rtt) }));
    }
    statsLine.textContent = parts.join(" · ");
  }

  function startStats(current) {
    function loop() {
      if (current.ended) return;
      sampleStats(current)
        .catch(function () {})
        .then(function () {
          const waiting = current.kind === "video" ? current.firstFrameMs === null : current.firstAudioMs === null;
          current.timers.stats = window.setTimeout(loop, waiting ? FIRST_FRAME_POLL_MS : STATS_EVERY_MS);
        });
    }
    loop();
    current.timers.elapsed = window.setInterval(function () {
      tickElapsed(current);
    }, 1000);
  }

  /* -- signaling -------------------------------------------------------------- */

  /* The local description once ICE gathering is complete, or after GATHER_LIMIT_MS. */
  async function gathered(current) {
    const pc = current.pc;
    if (pc.iceGatheringState !== "complete") {
      await new Promise(function (resolve) {
        const limit = window.setTimeout(done, GATHER_LIMIT_MS);
        function done() {
          window.clearTimeout(limit);
          pc.removeEventListener("icegatheringstatechange", check);
          resolve();
        }
        function check() {
          if (pc.iceGatheringState === "complete") done();
        }
        pc.addEventListener("icegatheringstatechange", check);
      });
    }
    // Candidates found from now on are not in this SDP: they trickle.
    current.sdpTaken = true;
    return pc.localDescription.sdp;
  }

  function sendCandidate(current, candidate) {
    api("POST", callPath(current.id, "candidate"), {
      candidate: candidate.candidate,
      sdpMid: candidate.sdpMid,
      sdpMLineIndex: candidate.sdpMLineIndex,
    }).catch(function () {
      /* the call ended meanwhile, or the terminal refused it: the SDP's candidates remain */
    });
  }

  function canTrickle(current) {
    current.canTrickle = true;
    const pending = current.pending;
    current.pending = [];
    pending.forEach(function (candidate) {
      sendCandidate(current, candidate);
    });
  }

  function newNegotiation(current) {
    current.sdpTaken = false;
    current.canTrickle = false;
    current.pending = [];
  }

  function makePeerConnection(current, iceServers) {
    const pc = new RTCPeerConnection({ iceServers: iceServers || [] });
    current.pc = pc;
    current.stream.getTracks().forEach(function (track) {
      pc.addTrack(track, current.stream);
    });
    pc.addEventListener("track", function (event) {
      attachRemote(current, event);
    });
    pc.addEventListener("icecandidate", function (event) {
      const candidate = event.candidate;
      if (!candidate || !candidate.candidate || current.ended || !current.sdpTaken) return;
      if (current.canTrickle) sendCandidate(current, candidate);
      else current.pending.push(candidate);
    });
    pc.addEventListener("iceconnectionstatechange", function () {
      iceChanged(current);
    });
    pc.addEventListener("connectionstatechange", function () {
      if (pc.connectionState === "connected" && !current.ended) {
        current.dtlsUp = true;
        verifyDtls(current);
      }
    });
    pc.addEventListener("negotiationneeded", function () {
      // Only the caller renegotiates (an ICE restart), and only once the call is set up.
      if (current.role === "caller" && current.initialDone) enqueue(current, reoffer);
    });
    return pc;
  }

  function addCandidates(current, candidates) {
    (candidates || []).forEach(function (candidate) {
      const key = candidate.candidate + "|" + candidate.sdpMid + "|" + candidate.sdpMLineIndex;
      const tries = current.candidateTries[key] || 0;
      if (tries < 0 || tries >= 3) return; // added (-1), or given up on
      current.candidateTries[key] = tries + 1;
      current.pc
        .addIceCandidate(candidate)
        .then(function () {
          current.candidateTries[key] = -1;
        })
        .catch(function () {
          /* an earlier ICE generation's candidate: harmless */
        });
    });
  }

  async function applyView(current, record) {
    if (current !== call || current.ended) return;
    showCall(current, record);
    if (record.state === "ended") {
      finish(current, record);
      return;
    }
    const remote = record.remote;
    if (!remote || !current.pc) return;
    if (remote.sdp && remote.rev > current.appliedRev) {
      const problem = fingerprintProblem(remote.sdp, remote.fingerprint);
      if (problem) {
        await fail(current, problem);
        return;
      }
      const pc = current.pc;
      if (remote.type === "answer" && current.role === "caller") {
        if (pc.signalingState === "have-local-offer") {
          await pc.setRemoteDescription({ type: "answer", sdp: remote.sdp });
          current.appliedRev = remote.rev;
          current.initialDone = true;
        }
      } else if (remote.type === "offer" && current.role === "callee" && current.initialDone) {
        // The caller restarted ICE: answer its new offer.
        await pc.setRemoteDescription({ type: "offer", sdp: remote.sdp });
        current.appliedRev = remote.rev;
        newNegotiation(current);
        await pc.setLocalDescription(await pc.createAnswer());
        const sdp = await gathered(current);
        const answered = await api("POST", callPath(current.id, "sdp"), { type: "answer", sdp: sdp });
        canTrickle(current);
        showCall(current, answered);
      }
      view.dataset.remoteRev = String(current.appliedRev);
    }
    // Candidates only once a remote description is in place (they belong to it).
    if (current.pc.remoteDescription !== null && current.appliedRev > 0) {
      addCandidates(current, remote.candidates);
    }
  }

  /* The caller's new offer after restartIce(). */
  async function reoffer() {
    const current = call;
    if (!current || current.ended || !current.pc) return;
    const pc = current.pc;
    if (pc.signalingState !== "stable") return; // negotiationneeded fires again once stable
    newNegotiation(current);
    await pc.setLocalDescription(await pc.createOffer());
    const sdp = await gathered(current);
    if (current.ended) return;
    const record = await api("POST", callPath(current.id, "sdp"), { type: "offer", sdp: sdp });
    canTrickle(current);
    showCall(current, record);
  }

  function reportMedia(current, state) {
    if (!current.id || current.ended || current.lastMedia === state) return;
    current.lastMedia = state;
    api("POST", callPath(current.id, "media"), { state: state })
      .then(function (record) {
        enqueue(current, function () {
          return applyView(current, record);
        });
      })
      .catch(function () {
        /* ended meanwhile: the next view says so */
      });
  }

  function restartIce(current) {
    window.clearTimeout(current.timers.restart);
    current.timers.restart = null;
    if (current.ended || !current.pc || current.role !== "caller") return;
    current.pc.restartIce();
  }

  function iceChanged(current) {
    if (current.ended || !current.pc) return;
    const state = current.pc.iceConnectionState;
    if (state === "connected" || state === "completed") {
      window.clearTimeout(current.timers.restart);
      current.timers.restart = null;
      reportMedia(current, "connected");
    } else if (state === "disconnected") {
      reportMedia(current, "disconnected");
      if (current.role === "caller" && !current.timers.restart) {
        current.timers.restart = window.setTimeout(function () {
          current.timers.restart = null;
          if (current.pc && current.pc.iceConnectionState === "disconnected") restartIce(current);
        }, RESTART_AFTER_MS);
      }
    } else if (state === "failed") {
      reportMedia(current, "failed");
      if (current.role === "caller") restartIce(current);
    }
  }

  /* The certificate DTLS actually met must be the one the peer signed. */
  async function verifyDtls(current) {
    const signed = current.view && current.view.remote ? current.view.remote.fingerprint : null;
    for (let attempt = 0; attempt < DTLS_CHECK_TRIES && !current.ended; attempt += 1) {
      const stats = await current.pc.getStats();
      let certificate = null;
      stats.forEach(function (report) {
        if (report.type === "transport" && report.remoteCertificateId) {
          certificate = stats.get(report.remoteCertificateId) || certificate;
        }
      });
      if (certificate) {
        const met = normalFingerprint(certificate.fingerprintAlgorithm + " " + certificate.fingerprint);
        const wanted = normalFingerprint(signed || (current.view && current.view.peer_fingerprint));
        if (met !== wanted) {
          await fail(current, "DTLS fingerprint mismatch: the media came with " + met + ", the peer signed " + (wanted || "none"));
          return;
        }
        current.verified = true;
        view.dataset.verified = "true";
        return;
      }
      await sleep(250);
    }
    if (!current.ended) await fail(current, "DTLS fingerprint not verified: the browser reported no certificate for the peer");
  }

  /* -- following the call ------------------------------------------------------- */

  function follow(current) {
    const readOnce = shared.coalesced(async function () {
      if (current.ended || current !== call) return;
      const record = await api("GET", callPath(current.id), undefined, background);
      await enqueue(current, function () {
        return applyView(current, record);
      });
    });
    current.read = readOnce;
    current.timers.follow = window.setInterval(readOnce, FOLLOW_EVERY_MS);
    startStats(current);
  }

  function stopMedia(current) {
    Object.keys(current.timers).forEach(function (name) {
      window.clearTimeout(current.timers[name]);
      window.clearInterval(current.timers[name]);
    });
    current.timers = {};
    if (current.stream) {
      current.stream.getTracks().forEach(function (track) {
        track.stop();
      });
    }
    if (current.pc) current.pc.close();
    if (current.remoteMedia) current.remoteMedia.srcObject = null;
    if (current.localMedia) current.localMedia.srcObject = null;
  }

  function finish(current, record) {
    if (current.ended) return;
    current.ended = true;
    // The last figures stay on the panel; the media and the connection go.
    stopMedia(current);
    media.hidden = true;
    if (record) showCall(current, record);
    hangupButton.hidden = true;
    closeButton.hidden = false;
    announce();
  }

  /* Ended before the terminal knew of it (no camera, a refused request). */
  function finishLocally(current, text) {
    finish(current, null);
    showState({ state: "ended" }, text);
  }

  async function hangUp(current, failed, reason) {
    if (!current || current.ended) return;
    if (!current.id) {
      finishLocally(current, t("ended: %(outcome)s", { outcome: OUTCOMES.failed }) + (reason ? " — " + reason : ""));
      return;
    }
    hangupButton.disabled = true;
    const body = failed ? { failed: true, reason: reason } : {};
    try {
      const record = await api("POST", callPath(current.id, "hangup"), body);
      finish(current, record);
    } catch (error) {
      hangupButton.disabled = false;
      showNotice(t("Failed: %(reason)s", { reason: error.message }));
    }
  }

  async function fail(current, reason) {
    showNotice(reason);
    await hangUp(current, true, reason);
  }

  /* -- placing and answering ---------------------------------------------------- */

  function busyElsewhere() {
    if (call && !call.ended) {
      showResult(t("Hang up the call in progress first."), "error");
      return true;
    }
    return false;
  }

  async function placeCall(peer, kind, channel) {
    if (busyElsewhere()) return;
    if (!mediaAvailable()) {
      showInsecure();
      return;
    }
    const current = newCall("caller", kind, peer, channel);
    call = current;
    openPanel(current);
    try {
      const settings = await config();
      current.stream = await navigator.mediaDevices.getUserMedia({ video: kind === "video", audio: true });
      if (current.ended) {
        stopMedia(current);
        return;
      }
      attachLocal(current);
      const pc = makePeerConnection(current, settings.ice_servers);
      await pc.setLocalDescription(await pc.createOffer());
      const sdp = await gathered(current);
      if (current.ended) {
        stopMedia(current);
        return;
      }
      const record = await api("POST", "/api/calls", { to: peer, channel: channel, kind: kind, sdp: sdp });
      current.id = record.id;
      announce();
      if (current.ended) {
        // Hung up while the offer was on its way: end the call it became.
        api("POST", callPath(current.id, "hangup"), {}).then(announce, function () {});
        return;
      }
      canTrickle(current);
      follow(current);
      await enqueue(current, function () {
        return applyView(current, record);
      });
    } catch (error) {
      finishLocally(current, t("Failed: %(reason)s", { reason: error.message }));
    }
  }

  async function answerCall(record) {
    if (busyElsewhere()) return;
    if (!mediaAvailable()) {
      showInsecure();
      return;
    }
    const current = newCall("callee", record.kind, record.peer, record.channel);
    current.id = record.id;
    call = current;
    openPanel(current);
    announce();
    await enqueue(current, async function () {
      let live;
      try {
        const settings = await config();
        live = await api("GET", callPath(current.id));
        current.view = live;
        if (live.state !== "ringing") {
          finish(current, live); // answered on another console, declined, missed...
          return;
        }
        const remote = live.remote;
        if (!remote || remote.type !== "offer" || !remote.sdp) {
          throw new Error(t("the caller's offer has not arrived"));
        }
        const problem = fingerprintProblem(remote.sdp, remote.fingerprint);
        if (problem) {
          await fail(current, problem);
          return;
        }
        current.stream = await navigator.mediaDevices.getUserMedia({ video: current.kind === "video", audio: true });
        attachLocal(current);
        const pc = makePeerConnection(current, settings.ice_servers);
        await pc.setRemoteDescription({ type: "offer", sdp: remote.sdp });
        current.appliedRev = remote.rev;
        addCandidates(current, remote.candidates);
        await pc.setLocalDescription(await pc.createAnswer());
        const sdp = await gathered(current);
        if (current.ended) return;
        const answered = await api("POST", callPath(current.id, "answer"), { sdp: sdp });
        current.initialDone = true;
        canTrickle(current);
        follow(current);
        await applyView(current, answered);
      } catch (error) {
        const reason = error.name === "NotAllowedError" || error.name === "NotFoundError" || error.name === "NotReadableError"
          ? "camera or microphone unavailable: " + error.message
          : error.message;
        if (error.status === 409 || error.status === 404) {
          finishLocally(current, t("Failed: %(reason)s", { reason: reason }));
        } else {
          await fail(current, reason);
        }
      }
    });
  }

  hangupButton.addEventListener("click", function () {
    hangUp(call, false, null);
  });
  closeButton.addEventListener("click", function () {
    if (call && !call.ended) return;
    call = null;
    view.hidden = true;
    media.replaceChildren();
  });

  /* Leaving the page ends the call it carries: say so first, then hang up. */
  window.addEventListener("beforeunload", function (event) {
    if (call && !call.ended && call.id) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  window.addEventListener("pagehide", function () {
    if (!call || call.ended || !call.id) return;
    const csrf = document.querySelector('meta[name="csrf-token"]');
    fetch(callPath(call.id, "hangup"), {
      method: "POST",
      keepalive: true,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRF-Token": csrf ? csrf.getAttribute("content") : "",
      },
      body: JSON.stringify({}),
    }).catch(function () {});
  });

  /* -- shared with callboard.js, and with tests ------------------------------------ */

  function showResult(text, kind) {
    const result = byId("call-result");
    if (result) {
      result.textContent = text;
      result.className = "compose-result" + (kind ? " " + kind : "");
    } else if (text) {
      showNotice(text);
    }
  }

  document.addEventListener("hotline:change", function (event) {
    const topics = (event.detail && event.detail.topics) || [];
    if (topics.indexOf("calls") < 0 && topics.indexOf("everything") < 0) return;
    if (call && !call.ended && call.read) call.read();
  });

  window.hotlineCall = Object.freeze({
    /* The live RTCPeerConnection (tests call restartIce() on it). */
    get pc() {
      return call ? call.pc : null;
    },
    get id() {
      return call ? call.id : null;
    },
    get state() {
      return call && call.view ? call.view.state : null;
    },
    get appliedRev() {
      return call ? call.appliedRev : 0;
    },
    /* True while this page carries the live call ``id``. */
    carrying: function (id) {
      return Boolean(call && !call.ended && call.id === id);
    },
    place: placeCall,
    answer: answerCall,
    mediaAvailable: mediaAvailable,
  });

  if (page === "calls" && !mediaAvailable()) {
    const warning = byId("insecure-context");
    if (warning) warning.hidden = false;
  }
})();
