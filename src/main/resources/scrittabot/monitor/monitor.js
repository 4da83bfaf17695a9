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

function fill(tableId, items, columns, onClick) {
  const body = document.querySelector("#" + tableId + " tbody");
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
      parts.push(pre(m.text, "prompt"));
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
  parts.push(heading("Recalled: " + (recalled(info) || "nothing")));
  parts.push(heading("Reply" + (info.reply_left_out ? " (left out of the dialogue: " + info.reply_left_out + ")" : "")));
  parts.push(pre(s.reply || ""));
  for (const sent of info.sent || []) parts.push(pre("sent to " + sent.room + ": " + sent.text));
  document.getElementById("step-detail").replaceChildren(...parts);
}

function time(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function recalled(info) {
  const items = info && info.recall && info.recall.recall;
  return items ? items.map(r => r.ref + " " + Number(r.score).toFixed(3)).join(", ") : "";
}

// Bars of prompt tokens (and the part reused from the cache) and completion tokens per step.
function plot(steps) {
  const svg = document.createElementNS(SVG, "svg");
  const ordered = steps.slice().reverse();
  const width = 600, height = 160;
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.setAttribute("preserveAspectRatio", "none");
  const max = Math.max(1, ...ordered.map(s => (s.prompt_tokens || 0) + (s.completion_tokens || 0)));
  const w = width / Math.max(1, ordered.length);
  ordered.forEach((s, i) => {
    const bars = [["prompt", s.prompt_tokens || 0, 0], ["cached", s.cached_tokens || 0, 0],
      ["completion", s.completion_tokens || 0, s.prompt_tokens || 0]];
    for (const [cls, value, below] of bars) {
      const rect = document.createElementNS(SVG, "rect");
      const h = value / max * height;
      rect.setAttribute("class", cls);
      rect.setAttribute("x", String(i * w + 1));
      rect.setAttribute("width", String(Math.max(1, w - 2)));
      rect.setAttribute("y", String(height - below / max * height - h));
      rect.setAttribute("height", String(h));
      const title = document.createElementNS(SVG, "title");
      title.textContent = "step " + s.step + ": " + cls + " " + value;
      rect.appendChild(title);
      svg.appendChild(rect);
    }
  });
  document.getElementById("plot").replaceChildren(svg);
}

function show(snapshot) {
  const status = document.getElementById("status");
  const away = snapshot.database !== "ok";
  status.textContent = away ? "database " + snapshot.database : "updated " + time(snapshot.time);
  status.className = away ? "away" : "";
  if (away) return;
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
  plot(snapshot.steps);
  fill("steps", snapshot.steps, s => [[s.step], [time(s.ended)], [s.prompt_tokens],
    [s.cached_tokens], [s.completion_tokens], [s.llm_ms === null ? "" : (s.llm_ms / 1000).toFixed(1)],
    [recalled(s.info)], [s.reply, "text"]], openStep);
  fill("files", snapshot.files, f => [[f.filename, "text"], [f.size], [f.state + (f.progress ? ": " + f.progress : "")],
    [f.summary, "text"]]);
  fill("notes", snapshot.notes, n => [[n.ref], [time(n.created)],
    [n.summary + (n.keywords.length ? " [" + n.keywords.join(", ") + "]" : ""), "text"], [n.recalled]]);
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

async function refresh() {
  try {
    const response = await fetch("/api/snapshot", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error(response.status + " " + (await response.text()));
    const snapshot = await response.json();
    csrf = snapshot.csrf;
    pauseState(snapshot.pause);
    show(snapshot);
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

function nowState(data) {
  const state = document.getElementById("now-state");
  if (data.state === "thinking") {
    state.textContent = "awake: step " + data.step + " in progress";
  } else if (data.state === "resting") {
    state.textContent = "asleep after step " + data.step + (data.until ? " until " + time(data.until) : ", until a message comes");
  } else {
    state.textContent = "waiting for events" + (data.step ? " (last step " + data.step + ")" : "");
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
    const data = JSON.parse(e.data);
    runs.appendChild(pre(data.code));
    runs.appendChild(pre(data.output + (data.error ? "\n" + data.error : ""), data.error ? "error" : ""));
  });
  source.addEventListener("pause", e => pauseState({ paused: JSON.parse(e.data).paused,
    since: new Date().toISOString() }));
  source.addEventListener("ended", e => {
    nowState(JSON.parse(e.data));
    refresh();
  });
}

for (const action of ["pause", "resume", "wake"]) {
  document.getElementById(action).addEventListener("click", () => act(action));
}
refresh();
live();
setInterval(refresh, 2000);
