// The monitor page: reads /api/snapshot every two seconds and writes what it holds as text
// (textContent, never HTML): whatever chat, notes, files or the LLM said stays text on the page.
// The one exception is the agent's corner, which the bot has turned into HTML of plain tags
// (no scripts, images, forms or handlers; see Corner.java), and the CSP guards it too.
"use strict";

const SVG = "http://www.w3.org/2000/svg";

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
}

// Rows are made again only when their data changed: a selection or a hover survives.
function fill(tableId, items, columns, onClick) {
  const body = document.querySelector("#" + tableId + " tbody");
  const data = JSON.stringify(items);
  if (body.dataset.shown === data) return;
  body.dataset.shown = data;
  body.replaceChildren();
  for (const item of items) {
    const row = document.createElement("tr");
    for (const [value, cls] of columns(item)) cell(row, value, cls);
    if (onClick) {
      row.className = "clickable";
      row.addEventListener("click", () => onClick(item));
    }
    body.appendChild(row);
  }
}

function heading(text) {
  const h = document.createElement("h3");
  h.textContent = text;
  return h;
}

// One step in full: its prompt exactly as sent while it is kept, else its record.
async function openStep(s) {
  document.getElementById("step-section").hidden = false;
  document.getElementById("step-title").textContent = "Step " + s.step + ", ended " + time(s.ended);
  const parts = [];
  const info = s.info || {};
  const response = await fetch("/api/prompt?step=" + s.step, { credentials: "same-origin" });
  if (response.ok) {
    const prompt = await response.json();
    parts.push(heading("The prompt as sent: " + prompt.messages.length + " messages"));
    for (const m of prompt.messages) {
      parts.push(heading(m.role + (m.images ? " (+ " + m.images + " images)" : "")));
      parts.push(pre(m.text));
    }
  } else {
    parts.push(heading("Its prompt is no longer kept; what the step's record holds:"));
    parts.push(heading("Events shown"));
    parts.push(pre(s.shown || ""));
    parts.push(heading("State and recall"));
    parts.push(pre(info.state || ""));
  }
  const sections = info.sections || {};
  parts.push(heading("Prompt by section (estimated tokens): " + Object.entries(sections)
    .map(([k, v]) => k + " " + v).join(", ") + "; " + (s.prompt_tokens ?? "?") + " tokens in, "
    + (s.cached_tokens ?? "?") + " reused, " + (s.completion_tokens ?? "?") + " out, LLM "
    + (s.llm_ms === null ? "?" : (s.llm_ms / 1000).toFixed(1)) + " s"));
  parts.push(heading("Did: " + (did(info) || "nothing recorded")));
  parts.push(heading("Recalled: " + (recalled(info) || "nothing")));
  parts.push(heading("Reply" + (info.reply_left_out ? " (left out of the dialogue: " + info.reply_left_out + ")" : "")));
  parts.push(pre(s.reply || ""));
  for (const sent of info.sent || []) parts.push(pre("sent to " + sent.room + ": " + sent.text));
  document.getElementById("step-detail").replaceChildren(...parts);
}

function time(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

// What a step did: its code blocks and their errors, the tools it called, the messages it sent.
function did(info) {
  if (!info) return "";
  const parts = [];
  if (info.code) parts.push(info.code.blocks + " code" + (info.code.errors ? ", " + info.code.errors + " failed" : ""));
  const counts = {};
  for (const tool of info.tools || []) counts[tool] = (counts[tool] || 0) + 1;
  const tools = Object.entries(counts).map(([tool, n]) => tool + (n > 1 ? " x" + n : ""));
  if (tools.length) parts.push(tools.join(", "));
  if (info.reply_left_out) parts.push("reply left out: " + info.reply_left_out);
  return parts.join("; ");
}

function recalled(info) {
  const items = info && info.recall && info.recall.recall;
  return items ? items.map(r => r.ref + " " + Number(r.score).toFixed(3)).join(", ") : "";
}

// Charts drawn by the page itself as SVG: bars (stacked where a part lies on another) and lines.
// Each item is one x position; series pick their values from it.
const CHART_W = 600, CHART_H = 140, MAX_BAR = 30;

function svgElement(name, attributes, title) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
  if (title) {
    const t = document.createElementNS(SVG, "title");
    t.textContent = title;
    e.appendChild(t);
  }
  return e;
}

function chartFrame() {
  return svgElement("svg", { viewBox: "0 0 " + CHART_W + " " + CHART_H, preserveAspectRatio: "none" });
}

// The chart, with its scale in HTML below it (text in a stretched SVG would stretch too).
function place(id, svg, max, unit) {
  const scale = document.createElement("div");
  scale.className = "axis";
  scale.textContent = "top: " + (max >= 100 ? Math.round(max) : max.toFixed(1)) + (unit ? " " + unit : "");
  document.getElementById(id).replaceChildren(svg, scale);
}

// series: [cls, value(item), base(item) or null]; label(item) names the x position.
function bars(id, items, series, label, unit) {
  const max = Math.max(1, ...items.flatMap(it => series.map(([, v, b]) => v(it) + (b ? b(it) : 0))));
  const svg = chartFrame();
  const w = Math.min(MAX_BAR, CHART_W / Math.max(1, items.length));
  items.forEach((it, i) => {
    for (const [cls, value, base] of series) {
      const h = value(it) / max * CHART_H, below = (base ? base(it) : 0) / max * CHART_H;
      svg.appendChild(svgElement("rect", { class: cls, x: i * w + 1, width: Math.max(1, w - 2),
        y: CHART_H - below - h, height: h }, label(it) + ": " + cls + " " + value(it)));
    }
  });
  place(id, svg, max, unit);
}

// series: [cls, value(item) or null]; max: the top of the scale, or null to fit.
function lines(id, items, series, label, max, unit) {
  const top = max || Math.max(1, ...items.flatMap(it => series.map(([, v]) => v(it) || 0)));
  const svg = chartFrame();
  const step = CHART_W / Math.max(1, items.length);
  for (const [cls, value] of series) {
    const points = [];
    items.forEach((it, i) => {
      const v = value(it);
      if (v === null || v === undefined) return;
      const x = i * step + step / 2, y = CHART_H - v / top * CHART_H;
      points.push(x.toFixed(1) + "," + y.toFixed(1));
      svg.appendChild(svgElement("circle", { class: cls, cx: x, cy: y, r: 2 }, label(it) + ": " + cls + " " + v));
    }
    );
    if (points.length > 1) svg.appendChild(svgElement("polyline", { class: cls, points: points.join(" ") }));
  }
  place(id, svg, top, unit);
}

const MOOD_COLOURS = ["happy", "sad", "afraid", "angry", "surprised", "disgusted"];

function plots(snapshot) {
  const steps = snapshot.steps.slice().reverse(); // oldest first
  const name = s => "step " + s.step;
  bars("plot", steps, [["prompt", s => s.prompt_tokens || 0], ["cached", s => s.cached_tokens || 0],
    ["completion", s => s.completion_tokens || 0, s => s.prompt_tokens || 0]], name, "tokens");
  const seconds = s => (new Date(s.ended) - new Date(s.started)) / 1000;
  bars("plot-latency", steps, [["step", seconds], ["llm", s => (s.llm_ms || 0) / 1000]], name, "s");
  lines("plot-reuse", steps, [["reuse", s => s.prompt_tokens ? Math.round(100 * (s.cached_tokens || 0) / s.prompt_tokens) : null]], name, 100, "%");
  const moods = MOOD_COLOURS.filter(m => steps.some(s => s.info && s.info.moods && s.info.moods[m] > 0));
  lines("plot-mood", steps, moods.map(m => ["mood-" + m, s => s.info && s.info.moods ? s.info.moods[m] : null]), name, 10);
  const legend = document.getElementById("mood-legend");
  legend.replaceChildren(...moods.map(m => {
    const span = document.createElement("span");
    span.className = "mood-" + m;
    span.textContent = m;
    return span;
  }));
  if (!moods.length) legend.textContent = "calm all along";
  bars("plot-hours", snapshot.hours || [], [["calls", h => h.llm_calls]],
    h => time(h.hour) + " (" + h.steps + " steps, " + h.step_seconds.toFixed(1) + " s a step)", "calls");
}

function show(snapshot) {
  const status = document.getElementById("status");
  const away = snapshot.database !== "ok";
  status.textContent = away ? "database " + snapshot.database : "updated " + time(snapshot.time);
  status.className = away ? "away" : "";
  if (away) return;
  savedSleep = snapshot.sleep;
  nowState(null);
  const agent = snapshot.agent || {};
  // as the prompt says it: the moods above 0 of 10, or calm
  const moods = Object.entries(agent.moods || {}).filter(([, level]) => level > 0)
    .map(([mood, level]) => mood + " " + level + "/10");
  document.getElementById("mood").textContent = moods.length ? moods.join(", ") : "calm";
  const goals = document.getElementById("goals");
  goals.replaceChildren();
  for (const goal of agent.goals || []) {
    const li = document.createElement("li");
    li.textContent = typeof goal === "string" ? goal : JSON.stringify(goal);
    goals.appendChild(li);
  }
  const corner = document.getElementById("corner");
  if (corner.dataset.html !== snapshot.corner) {
    corner.innerHTML = snapshot.corner; // cleaned by the bot: see the top of this file
    corner.dataset.html = snapshot.corner;
  }
  plots(snapshot);
  fill("steps", snapshot.steps, s => [[s.step], [time(s.ended)], [s.prompt_tokens],
    [s.cached_tokens], [s.completion_tokens], [s.llm_ms === null ? "" : (s.llm_ms / 1000).toFixed(1)],
    [did(s.info)], [recalled(s.info)], [s.reply, "text"]], openStep);
  fill("files", snapshot.files, f => [[f.filename, "text"], [f.size], [f.state + (f.progress ? ": " + f.progress : "")],
    [f.summary, "text"]]);
}

// Memory, as the person asks: notes by words and order, the dialogue log by words and day.
let notesAsked = "", dialogueAsked = "";

async function json(url) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw new Error(response.status + " " + (await response.text()));
  return response.json();
}

async function memoryViews(force) {
  const notesUrl = "/api/notes?q=" + encodeURIComponent(document.getElementById("notes-q").value)
    + "&order=" + encodeURIComponent(document.getElementById("notes-order").value);
  const dialogueUrl = "/api/dialogue?q=" + encodeURIComponent(document.getElementById("dialogue-q").value)
    + "&day=" + encodeURIComponent(document.getElementById("dialogue-day").value);
  // an answer to an older search that comes after the newer one's is not shown
  if (force || notesUrl !== notesAsked) {
    notesAsked = notesUrl;
    const notes = await json(notesUrl);
    if (notesUrl === notesAsked) fill("notes", notes, n => [[n.ref], [time(n.created)],
      [n.summary + (n.keywords.length ? " [" + n.keywords.join(", ") + "]" : ""), "text"], [n.recalled],
      [n.superseded ? time(n.superseded) + (n.superseded_by ? " by " + n.superseded_by : " (deleted)") : ""]]);
  }
  if (force || dialogueUrl !== dialogueAsked) {
    dialogueAsked = dialogueUrl;
    const dialogue = await json(dialogueUrl);
    if (dialogueUrl === dialogueAsked) fill("dialogue", dialogue, d => [[time(d.time)], [d.kind], [d.room], [d.sender || (d.kind === "reply" ? "the agent" : "")],
      [d.text, "text"], [d.dropped ? "dropped" : d.step === null ? "waiting" : d.step]]);
  }
}

// What is down, said at the top: the page goes on with what it has.
function troubles(snapshot) {
  const health = snapshot.health || {};
  const lines = [];
  if (snapshot.database !== "ok") lines.push("The database is " + snapshot.database
    + ": memory below is as it was last read; the live view goes on.");
  if (health.llm) lines.push("The LLM server is " + health.llm);
  if (health.channel) lines.push("The chat: " + health.channel);
  const box = document.getElementById("trouble");
  box.replaceChildren(...lines.map(line => {
    const p = document.createElement("p");
    p.textContent = line;
    return p;
  }));
  box.hidden = lines.length === 0;
}

let csrf = null;

function pauseState(pause) {
  const paused = !!(pause && pause.paused);
  document.getElementById("pause-state").textContent = paused
    ? "paused since " + time(pause.since) + ": no steps, no indexing; messages wait" : "";
  document.getElementById("pause").hidden = paused;
  document.getElementById("resume").hidden = !paused;
  document.body.classList.toggle("paused", paused);
}

// The only things the page can do to the agent: pause, resume, wake now. POSTs that carry the
// token the snapshot gave (another site can neither read it nor send this header).
async function act(action) {
  try {
    const response = await fetch("/api/" + action, { method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf || "" } });
    if (!response.ok) throw new Error(response.status + " " + (await response.text()));
    pauseState(await response.json());
  } catch (e) {
    const status = document.getElementById("status");
    status.textContent = action + " failed: " + e.message;
    status.className = "away";
  }
}

// The memory views are asked for with the first snapshot, after each step and when the person
// changes a search, not every two seconds: a scan of the dialogue log is not free.
async function refresh(withMemory) {
  try {
    const response = await fetch("/api/snapshot", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error(response.status + " " + (await response.text()));
    const snapshot = await response.json();
    csrf = snapshot.csrf;
    troubles(snapshot);
    pauseState(snapshot.pause);
    show(snapshot);
    if (snapshot.database === "ok" && (withMemory || !notesAsked)) await memoryViews(true);
  } catch (e) {
    const status = document.getElementById("status");
    status.textContent = "the bot does not answer: " + e.message;
    status.className = "away";
  }
}

function pre(text, cls) {
  const p = document.createElement("pre");
  p.className = "text" + (cls ? " " + cls : "");
  p.textContent = text;
  return p;
}

function showRun(runs, run) {
  runs.appendChild(pre(run.code));
  const output = run.output + (run.error ? "\n" + run.error : "");
  if (output.trim()) {
    runs.appendChild(pre(output, run.error ? "error" : ""));
  } else {
    const none = document.createElement("p");
    none.className = "hint";
    none.textContent = "(it printed nothing)";
    runs.appendChild(none);
  }
}

// Awake or asleep, from the live events; why it sleeps (and, before any step was seen live,
// whether it sleeps at all) from the snapshot, which reads the saved sleep.
let liveState = {}, savedSleep = null;

function nowState(data) {
  if (data) liveState = data;
  const d = liveState, sleep = savedSleep;
  const state = document.getElementById("now-state");
  const why = sleep && sleep.sleeping && sleep.why ? " (" + sleep.why + ")" : "";
  if (d.state === "thinking") {
    state.textContent = "awake: step " + d.step + " in progress";
  } else if (d.state === "resting") {
    state.textContent = "asleep after step " + d.step + (d.until ? " until " + time(d.until) : ", until a message comes") + why;
  } else if (!d.step && sleep && sleep.sleeping) {
    state.textContent = "asleep" + (sleep.until ? " until " + time(sleep.until) : ", until a message comes") + why;
  } else {
    state.textContent = "waiting for events" + (d.step ? " (last step " + d.step + ")" : "");
  }
}

// The step in progress, live: Server-Sent Events from /api/live (the cookie goes with them).
// EventSource reconnects by itself after a restart of the bot or a network hiccup.
function live() {
  const source = new EventSource("/api/live");
  const reply = document.getElementById("now-reply");
  const runs = document.getElementById("now-runs");
  source.addEventListener("now", e => {
    const data = JSON.parse(e.data);
    nowState(data);
    document.getElementById("now-events").textContent = (data.events || []).join("\n");
    reply.textContent = data.reply || "";
    runs.replaceChildren();
    for (const run of data.runs || []) showRun(runs, run);
  });
  source.addEventListener("step", e => {
    const data = JSON.parse(e.data);
    nowState(data);
    document.getElementById("now-events").textContent = data.events.join("\n");
    reply.textContent = "";
    runs.replaceChildren();
  });
  source.addEventListener("reply", e => {
    reply.textContent += JSON.parse(e.data).text;
  });
  source.addEventListener("ran", e => {
    showRun(runs, JSON.parse(e.data));
  });
  source.addEventListener("pause", e => pauseState({ paused: JSON.parse(e.data).paused,
    since: new Date().toISOString() }));
  source.addEventListener("ended", e => {
    nowState(JSON.parse(e.data));
    refresh(true);
  });
}

for (const id of ["notes-q", "notes-order", "dialogue-q", "dialogue-day"]) {
  for (const type of ["input", "change"]) { // a select may fire only change
    document.getElementById(id).addEventListener(type, () => memoryViews(false).catch(() => {}));
  }
}
for (const action of ["pause", "resume", "wake"]) {
  document.getElementById(action).addEventListener("click", () => act(action));
}
refresh();
live();
setInterval(refresh, 2000);
