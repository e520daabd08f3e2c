// MeetMind live dashboard: sign in with an API key, list sessions, follow one live.
// Plain ES module, no build step. All text reaches the page through textContent, never markup.

const API = "/api/v1/sdk";
const KEY_NAME = "meetmind.apiKey";
const REFRESH_MS = 5000;
const SPEAKER_COLOURS = 8;

const EVENT_TYPES = [
  "transcript.turn", "chat.message", "participant.joined", "participant.left",
  "speaker.active", "stream.state", "rtms.control", "rtms.started", "rtms.stopped",
  "rtms.interrupted", "wake_word.detected", "agent.reply",
];

// Which RTMS actions each session status allows (the server enforces the same rules).
const ACTIONS_BY_STATUS = {
  created: ["start"],
  failed: ["start"],
  rtms_start_requested: ["stop"],
  listening: ["pause", "stop"],
  paused: ["resume", "stop"],
  ended: [],
};

const STATUS_LABELS = {
  created: "Created",
  rtms_start_requested: "Starting",
  listening: "Listening",
  paused: "Paused",
  ended: "Ended",
  failed: "Failed",
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------- helpers

/** An element with attributes and children (strings become text nodes). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

function showMessage(el, text) {
  el.textContent = text ?? "";
  el.hidden = !text;
}

function clockTime(date) {
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function relativeTime(iso) {
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** "81234567890" -> "812 3456 7890", as Zoom shows meeting ids. */
function meetingLabel(meetingId) {
  const digits = String(meetingId).replace(/\s+/g, "");
  if (!/^\d{10,11}$/.test(digits)) return String(meetingId);
  return `${digits.slice(0, 3)} ${digits.slice(3, -4)} ${digits.slice(-4)}`;
}

// ---------------------------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  static async from(response) {
    let code = `http_${response.status}`;
    let message = response.statusText || "request failed";
    try {
      const body = await response.json();
      if (body && body.error) {
        code = body.error.code ?? code;
        message = body.error.message ?? message;
      }
    } catch {
      // Not JSON (a proxy's page, say): keep the status line.
    }
    return new ApiError(response.status, code, message);
  }

  toString() {
    return `${this.message} (${this.code})`;
  }
}

const auth = {
  get key() {
    return sessionStorage.getItem(KEY_NAME) ?? localStorage.getItem(KEY_NAME);
  },
  save(key, remember) {
    this.clear();
    (remember ? localStorage : sessionStorage).setItem(KEY_NAME, key);
  },
  clear() {
    sessionStorage.removeItem(KEY_NAME);
    localStorage.removeItem(KEY_NAME);
  },
};

async function api(path, { method = "GET", body, key = auth.key } = {}) {
  const headers = { Authorization: `Bearer ${key}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, "network_error", `cannot reach the server: ${error.message}`);
  }
  if (!response.ok) {
    const error = await ApiError.from(response);
    if (error.status === 401 && key === auth.key) signOut(`Signed out: ${error}`);
    throw error;
  }
  return response.status === 204 ? null : response.json();
}

// ---------------------------------------------------------------------------------- sign-in

let refreshTimer = null;
let live = null; // the open session's LiveSession

function signOut(reason = "") {
  auth.clear();
  live?.close();
  live = null;
  clearInterval(refreshTimer);
  refreshTimer = null;
  $("app-view").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in-view").hidden = false;
  showMessage($("sign-in-error"), reason);
  $("api-key").value = "";
  $("api-key").focus();
}

async function signIn(event) {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (!key) {
    showMessage($("sign-in-error"), "Enter an API key.");
    return;
  }
  const submit = event.target.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    await api("/sessions?limit=1", { key });
    auth.save(key, $("remember").checked);
    showMessage($("sign-in-error"), "");
    showApp();
  } catch (error) {
    showMessage($("sign-in-error"), `Sign-in failed: ${error}`);
  } finally {
    submit.disabled = false;
  }
}

function showApp() {
  $("sign-in-view").hidden = true;
  $("app-view").hidden = false;
  $("sign-out").hidden = false;
  refreshSessions();
  clearInterval(refreshTimer);
  refreshTimer = setInterval(() => {
    if (!document.hidden) refreshSessions();
  }, REFRESH_MS);
  route();
}

// ---------------------------------------------------------------------------------- sessions

function statusBadge(status, el = h("span")) {
  el.className = `badge badge--${status}`;
  el.textContent = STATUS_LABELS[status] ?? status;
  return el;
}

async function refreshSessions() {
  try {
    const page = await api("/sessions?limit=50");
    renderSessionList(page.data);
    showMessage($("sessions-error"), "");
    $("sessions-updated").textContent = `Updated ${clockTime(new Date())}`;
    const open = live && page.data.find((s) => s.id === live.id);
    if (open) live.applySession(open);
  } catch (error) {
    if (error.status !== 401) showMessage($("sessions-error"), `Cannot list sessions: ${error}`);
  }
}

function renderSessionList(sessions) {
  const selected = live?.id;
  const items = sessions.map((s) =>
    h("li", {},
      h("a", {
        class: "session-link",
        href: `#/sessions/${encodeURIComponent(s.id)}`,
        "aria-current": s.id === selected ? "page" : null,
        dataset: { sessionId: s.id },
      },
      h("span", { class: "session-link-title" }, `Meeting ${meetingLabel(s.meeting_id)}`),
      h("span", { class: "session-link-meta" },
        statusBadge(s.status),
        h("time", { class: "muted small", datetime: s.created_at },
          `created ${relativeTime(s.created_at)}`))),
    ),
  );
  $("session-list").replaceChildren(...items);
  $("sessions-empty").hidden = sessions.length > 0;
}

function route() {
  const match = location.hash.match(/^#\/sessions\/([^/]+)$/);
  const id = match ? decodeURIComponent(match[1]) : null;
  if (id === (live?.id ?? null)) return;
  live?.close();
  live = null;
  for (const link of document.querySelectorAll(".session-link")) {
    if (link.dataset.sessionId === id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  $("session-detail").hidden = !id;
  $("session-placeholder").hidden = Boolean(id);
  if (id) {
    live = new LiveSession(id);
    live.open();
  }
}

// ---------------------------------------------------------------------------------- one session

class LiveSession {
  constructor(id) {
    this.id = id;
    this.lastEventId = 0;
    this.source = null;
    this.retry = null;
    this.closed = false;
    this.status = null;
    this.statusAt = 0;
    this.colours = new Map();
    this.participants = new Map();
    this.turns = new Map(); // String(turn_id) -> <li>
    this.turnCount = 0;
    this.activeSpeaker = null;
    this.streamPhase = null;
    this.agentName = null;
  }

  open() {
    $("session-title").textContent = "Loading…";
    $("session-id").textContent = this.id;
    $("transcript").replaceChildren();
    $("participants").replaceChildren();
    this.renderCounts();
    this.setStream(null);
    this.setStatus(null, 0);
    showMessage($("control-error"), "");
    api(`/sessions/${encodeURIComponent(this.id)}`)
      .then((session) => {
        if (this.closed) return;
        this.applySession(session);
        this.connect();
      })
      .catch((error) => {
        if (this.closed) return;
        $("session-title").textContent = "Session unavailable";
        showMessage($("control-error"), String(error));
        this.setFeed("offline", "Not connected");
      });
  }

  close() {
    this.closed = true;
    clearTimeout(this.retry);
    this.source?.close();
  }

  applySession(session) {
    this.agentName = session.agent_name;
    $("session-title").textContent = `Meeting ${meetingLabel(session.meeting_id)}`;
    this.setStatus(session.status, Date.parse(session.updated_at));
  }

  // The status shown is the newest one known, from whichever source saw it last.
  setStatus(status, at) {
    if (status !== null && at < this.statusAt) return;
    this.status = status;
    this.statusAt = at;
    const badge = $("session-status");
    if (status === null) {
      badge.className = "badge";
      badge.textContent = "…";
    } else {
      statusBadge(status, badge);
      const listed = document.querySelector(
        `.session-link[data-session-id="${CSS.escape(this.id)}"] .badge`);
      if (listed) statusBadge(status, listed);
    }
    const allowed = ACTIONS_BY_STATUS[status] ?? [];
    for (const button of document.querySelectorAll(".controls button")) {
      button.disabled = !allowed.includes(button.dataset.action);
    }
  }

  setStream(phase) {
    this.streamPhase = phase;
    const el = $("stream-state");
    el.className = `badge badge--stream-${phase ?? "none"}`;
    el.textContent = phase ?? "not started";
  }

  setFeed(state, label) {
    const el = $("feed-state");
    el.className = `feed-state feed-state--${state}`;
    el.textContent = label;
  }

  // -- the feed: one code path for the replay (events from id 0) and live events

  connect() {
    if (this.closed) return;
    const params = new URLSearchParams({ access_token: auth.key });
    // A manual reconnect resumes after the last event; EventSource's own reconnects send
    // Last-Event-ID. Duplicates are dropped by id either way.
    if (this.lastEventId > 0) params.set("after", String(this.lastEventId));
    const url = `${API}/sessions/${encodeURIComponent(this.id)}/events?${params}`;
    const source = new EventSource(url);
    this.source = source;
    this.setFeed("connecting", "Connecting…");
    source.onopen = () => this.setFeed("live", "Live");
    source.onerror = () => {
      if (this.closed) return;
      if (source.readyState === EventSource.CONNECTING) {
        this.setFeed("connecting", "Reconnecting…");
        return;
      }
      // EventSource gave up (an HTTP error). Ask the API why, then try again or say so.
      this.setFeed("offline", "Disconnected");
      api(`/sessions/${encodeURIComponent(this.id)}`)
        .then(() => {
          this.retry = setTimeout(() => this.connect(), 2000);
        })
        .catch((error) => {
          if (!this.closed) showMessage($("control-error"), `Live feed stopped: ${error}`);
        });
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => this.receive(message));
    }
  }

  receive(message) {
    if (this.closed) return;
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (event.id <= this.lastEventId) return;
    this.lastEventId = event.id;
    const list = $("transcript");
    const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
    this.render(event);
    if (stick) list.scrollTop = list.scrollHeight;
  }

  render(event) {
    const p = event.payload ?? {};
    const at = Date.parse(event.created_at);
    switch (event.type) {
      case "transcript.turn":
        this.addTurn(p);
        break;
      case "chat.message":
        this.addChat(p);
        break;
      case "participant.joined":
      case "participant.left":
        this.updateParticipants(event.type === "participant.joined", p.participants ?? []);
        break;
      case "speaker.active":
        this.activeSpeaker = String(p.speaker_id ?? "");
        this.renderParticipants();
        break;
      case "stream.state":
        // Zoom's webhook and the stream itself may both report a change: note it once.
        if (p.phase !== this.streamPhase) {
          this.addNote("stream", `Stream ${p.phase}`, p.detail, at);
        }
        this.setStream(p.phase);
        if (p.status) this.setStatus(p.status, at);
        break;
      case "rtms.control":
        this.addNote("control", `RTMS ${p.action} requested`,
          `Zoom answered ${p.zoom_status}`, at);
        break;
      case "rtms.started":
      case "rtms.stopped":
      case "rtms.interrupted":
        if (p.status) this.setStatus(p.status, at);
        break;
      case "wake_word.detected":
        this.markWakeWord(p);
        break;
      case "agent.reply":
        this.addReply(p);
        break;
    }
  }

  colourOf(name) {
    if (name === this.agentName) return "speaker-agent";
    if (!this.colours.has(name)) this.colours.set(name, this.colours.size % SPEAKER_COLOURS);
    return `speaker-${this.colours.get(name)}`;
  }

  append(item) {
    $("transcript").append(item);
    $("transcript-empty").hidden = true;
  }

  timeOf(ms) {
    if (!Number.isFinite(ms)) return null;
    const date = new Date(ms);
    return h("time", { datetime: date.toISOString() }, clockTime(date));
  }

  addTurn(p) {
    const agent = p.role === "agent";
    const name = p.speaker_name || (agent ? "Agent" : "Someone");
    // Zoom transcribes the agent's own speech too: that echo is shown as heard, not as a person.
    const echo = !agent && name === this.agentName;
    const item = h("li", {
      class: `turn ${agent ? "turn--agent" : ""} ${echo ? "turn--echo" : ""}`,
      dataset: { turnId: p.turn_id, role: p.role },
    },
    h("div", { class: "turn-head" },
      h("span", { class: `speaker ${agent ? "" : this.colourOf(name)}` }, name),
      agent ? h("span", { class: "tag tag--agent" }, "Agent") : null,
      echo ? h("span", { class: "tag tag--echo" }, "Heard in meeting") : null,
      this.timeOf(p.start_ms)),
    h("p", { class: "turn-text" }, p.text));
    this.turns.set(String(p.turn_id), item);
    this.turnCount += 1;
    this.renderCounts();
    this.append(item);
  }

  addChat(p) {
    const name = p.sender_name || "Someone";
    this.append(h("li", { class: "turn turn--chat" },
      h("div", { class: "turn-head" },
        h("span", { class: `speaker ${this.colourOf(name)}` }, name),
        h("span", { class: "tag tag--chat" }, "Chat"),
        this.timeOf(p.timestamp_ms)),
      h("p", { class: "turn-text" }, p.text)));
  }

  addNote(kind, title, detail, at) {
    const when = Number.isFinite(at) ? new Date(at).toLocaleString() : null;
    this.append(h("li", { class: `note note--${kind}`, title: when },
      h("span", {}, title), detail ? h("span", {}, `· ${detail}`) : null));
  }

  markWakeWord(p) {
    const turn = this.turns.get(String(p.wake_turn_id));
    if (turn) {
      turn.classList.add("turn--wake");
      turn.querySelector(".speaker").after(h("span", { class: "tag tag--wake" }, "Wake word"));
      highlight(turn.querySelector(".turn-text"), p.matched_text || p.wake_word);
    }
    const confidence = typeof p.confidence === "number" ? `${Math.round(p.confidence * 100)}%` : "";
    this.append(h("li", { class: "marker marker--wake", dataset: { wakeTurnId: p.wake_turn_id } },
      h("span", { class: "tag tag--wake" }, "Wake word"),
      h("span", {}, `“${p.wake_word}” from ${p.speaker_name || "someone"}`),
      p.request ? h("q", {}, p.request) : null,
      h("span", { class: "muted small" },
        [confidence && `confidence ${confidence}`, timing(p.timings?.detect_ms)]
          .filter(Boolean).join(" · "))));
  }

  addReply(p) {
    const how = p.delivered
      ? `delivered via ${p.bridge}${p.channels?.length ? ` (${p.channels.join(", ")})` : ""}`
      : `not delivered${p.detail ? `: ${p.detail}` : ""}`;
    this.append(h("li", { class: `marker marker--reply ${p.delivered ? "" : "marker--failed"}` },
      h("span", { class: "tag tag--agent" }, "Agent reply"),
      h("span", {}, how),
      h("span", { class: "muted small" },
        [p.responder && `by ${p.responder}`, timing(p.timings?.total_ms, "end to end")]
          .filter(Boolean).join(" · "))));
  }

  updateParticipants(joined, people) {
    for (const person of people) {
      const id = String(person.user_id);
      const name = person.user_name || this.participants.get(id)?.name || `User ${id}`;
      this.participants.set(id, { name, present: joined });
    }
    this.renderParticipants();
  }

  renderParticipants() {
    const people = [...this.participants].sort(([, a], [, b]) => b.present - a.present);
    const items = people.map(([id, { name, present }]) => {
      const speaking = present && id === this.activeSpeaker;
      const state = speaking ? "speaking" : present ? null : "left";
      return h("li", {
        class: `participant ${speaking ? "participant--speaking" : ""} ${present ? "" : "participant--left"}`,
      },
      h("span", { class: `avatar ${this.colourOf(name)}`, "aria-hidden": "true" }, initials(name)),
      h("span", { class: "participant-name" }, name),
      state ? h("span", { class: `participant-state participant-state--${state}` }, state) : null);
    });
    $("participants").replaceChildren(...items);
    this.renderCounts();
  }

  renderCounts() {
    const present = [...this.participants.values()].filter((p) => p.present).length;
    $("turn-count").textContent = this.turnCount ? `${this.turnCount} turns` : "";
    $("participant-count").textContent = this.participants.size ? `${present} in the meeting` : "";
    $("transcript-empty").hidden = $("transcript").childElementCount > 0;
    $("participants-empty").hidden = this.participants.size > 0;
  }

  // -- RTMS controls

  async control(action, button) {
    showMessage($("control-error"), "");
    const buttons = document.querySelectorAll(".controls button");
    for (const b of buttons) b.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      const answer = await api(`/sessions/${encodeURIComponent(this.id)}/rtms/${action}`, {
        method: "POST",
        body: {},
      });
      if (!this.closed) this.setStatus(answer.session.status, Date.parse(answer.session.updated_at));
    } catch (error) {
      if (!this.closed) {
        showMessage($("control-error"), `Could not ${action} RTMS: ${error}`);
        this.setStatus(this.status, this.statusAt); // re-enable what the status allows
      }
    } finally {
      button.removeAttribute("aria-busy");
    }
  }
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("");
}

function timing(ms, what = "") {
  return typeof ms === "number" ? `${Math.round(ms)} ms${what ? ` ${what}` : ""}` : "";
}

/** Wrap the first occurrence of `needle` in `el`'s text in a <mark>, as text nodes. */
function highlight(el, needle) {
  if (!el || !needle) return;
  const text = el.textContent;
  const at = text.toLowerCase().indexOf(needle.toLowerCase());
  if (at < 0) return;
  el.replaceChildren(
    text.slice(0, at),
    h("mark", {}, text.slice(at, at + needle.length)),
    text.slice(at + needle.length),
  );
}

// ---------------------------------------------------------------------------------- start

$("sign-in-form").addEventListener("submit", signIn);
$("sign-out").addEventListener("click", () => signOut());
window.addEventListener("hashchange", () => {
  if (auth.key) route();
});
document.querySelector(".controls").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (button && live) live.control(button.dataset.action, button);
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && auth.key) refreshSessions();
});

if (auth.key) showApp();
else signOut();
