// storyagent studio: the storyboard as panels, edited through forms made from its JSON Schema.
// Plain ES module, no build step, no library. The server is storyagent/studio/server.py.

const TOKEN = new URLSearchParams(location.search).get("token") || "";
const $ = (sel, root = document) => root.querySelector(sel);
const STAGES = [
  ["plan", "Planning"], ["cast", "Casting"], ["voice", "Voices"], ["time", "Timing"],
  ["render", "Shots"], ["sound", "Sound"], ["edit", "Editing"], ["export", "Exports"],
];
const EXPORTS = [
  ["film.mp4", "Film (MP4)"], ["subtitles.srt", "Subtitles (SRT)"], ["timeline.otio", "Timeline (OTIO)"],
  ["contact-sheet.pdf", "Contact sheet (PDF)"], ["contact-sheet.png", "Contact sheet (PNG)"],
  ["film.json", "Manifest (JSON)"], ["storyboard.json", "Storyboard (JSON)"],
];
const LINT_DELAY = 350;

const state = {
  film: null,          // the film's address: "." or a folder name
  board: null,         // the storyboard being edited (plain JSON)
  etag: null,          // the ETag of the file as last read or saved
  saved: null,         // JSON text of the board as last read or saved
  schema: null,
  undo: [], redo: [],  // JSON snapshots
  typing: null,        // the field path whose keystrokes are one undo step
  selection: null,     // JSON path (dotted) of what the editor shows
  findings: [],        // [{level, path, message}] from the last lint, problems included
  lintTimer: null, lintSeq: 0,
  bust: Date.now(),    // changes after each render so keyframes reload
  events: null,        // the EventSource of a running render
  previews: new Map(), // shot id -> preview url
  paid: false,         // the film's renderer is a paid generator: shots can be re-rolled
};

// ---------------------------------------------------------------- server

function withToken(url) {
  return url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN);
}

// "." is the film the studio's folder is: written %2E so the browser does not fold "/./" away.
const filmSegment = (film) => encodeURIComponent(film).replace(/\./g, "%2E");

function filmUrl(rest) {
  return `/api/films/${filmSegment(state.film)}/${rest}`;
}

function fileUrl(path, bust = false) {
  const url = withToken(filmUrl("files/" + path.split("/").map(encodeURIComponent).join("/")));
  return bust ? `${url}&v=${state.bust}` : url;
}

async function api(url, { method = "GET", body, headers = {} } = {}) {
  const init = { method, headers: { "X-Storyagent-Token": TOKEN, ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(url, init);
  let data = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) data = await response.json();
  return { status: response.status, ok: response.ok, data, headers: response.headers };
}

function errorText(reply) {
  if (reply.data && reply.data.error) return reply.data.error;
  if (reply.data && reply.data.problems && reply.data.problems.length) return problemText(reply.data.problems[0]);
  return `the server answered ${reply.status}`;
}

function problemText(p) {
  return typeof p === "string" ? p : `${p.path ? p.path + ": " : ""}${p.message}`;
}

// ---------------------------------------------------------------- paths

// "scenes[0].shots[1].camera.size" and "scenes.0.shots.1.camera.size" are the same place.
function dotted(path) {
  return String(path || "").replace(/\[(\d+)\]/g, ".$1").replace(/^\.+/, "").replace(/^\$\.?/, "");
}

function parts(path) {
  return path === "" ? [] : path.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function getAt(obj, path) {
  let value = obj;
  for (const key of parts(path)) {
    if (value == null) return undefined;
    value = value[key];
  }
  return value;
}

function setAt(obj, path, value) {
  const keys = parts(path);
  const last = keys.pop();
  let holder = obj;
  for (const key of keys) holder = holder[key];
  if (value === undefined) delete holder[last];
  else holder[last] = value;
}

function pathOf(root, target, path = "") {
  if (root === target) return path;
  if (root && typeof root === "object") {
    for (const [key, value] of Object.entries(root)) {
      if (value && typeof value === "object") {
        const found = pathOf(value, target, path === "" ? key : `${path}.${key}`);
        if (found !== null) return found;
      }
    }
  }
  return null;
}

function shotPaths() {
  const out = [];
  (state.board.scenes || []).forEach((scene, i) =>
    (scene.shots || []).forEach((shot, j) => out.push({ path: `scenes.${i}.shots.${j}`, shot, scene: i, index: j })));
  return out;
}

function shotPathById(id) {
  const found = shotPaths().find((s) => s.shot.id === id);
  return found ? found.path : null;
}

// ---------------------------------------------------------------- changes, undo, redo

const snapshot = () => JSON.stringify(state.board);

// Every edit goes through here: one undo step, the views redrawn, a lint scheduled.
function change(mutate, { typing = null, redraw = true } = {}) {
  if (!(typing && state.typing === typing)) {
    state.undo.push(snapshot());
    if (state.undo.length > 500) state.undo.shift();
  }
  state.typing = typing;
  state.redo = [];
  const selected = state.selection === null ? undefined : getAt(state.board, state.selection);
  mutate(state.board);
  if (selected && typeof selected === "object") {
    state.selection = pathOf(state.board, selected);  // follows a moved shot; null when it was deleted
  }
  afterChange(redraw);
}

function afterChange(redraw) {
  renderBoard();
  renderSide();
  if (redraw) renderEditor();
  updateTools();
  scheduleLint();
}

function restore(from, to) {
  if (!from.length) return;
  to.push(snapshot());
  state.board = JSON.parse(from.pop());
  state.typing = null;
  if (state.selection !== null && getAt(state.board, state.selection) === undefined) state.selection = null;
  afterChange(true);
}

const undo = () => restore(state.undo, state.redo);
const redo = () => restore(state.redo, state.undo);

function dirty() {
  return state.board !== null && snapshot() !== state.saved;
}

function updateTools() {
  $("#undo").disabled = !state.undo.length;
  $("#redo").disabled = !state.redo.length;
  $("#save").disabled = !dirty();
  $("#save").textContent = dirty() ? "Save" : "Saved";
  $("#film-title").textContent = state.board ? state.board.title || "(untitled)" : "";
  document.title = state.board ? `${state.board.title} · storyagent studio` : "storyagent studio";
}

function status(text, kind = "") {
  const el = $("#status");
  el.textContent = text;
  el.dataset.kind = kind;
}

// ---------------------------------------------------------------- ids and new things

function uniqueId(base, taken) {
  base = (base || "item").toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^[^a-z0-9]+/, "") || "item";
  base = base.replace(/-\d+$/, "") || base;
  let n = 2;
  let id = base;
  while (taken.has(id)) id = `${base}-${n++}`;
  return id;
}

const shotIds = () => new Set(shotPaths().map((s) => s.shot.id));

function newShot() {
  return {
    id: uniqueId("shot", shotIds()), description: "", characters: [],
    camera: { size: "medium", angle: "eye-level", movement: "static", duration: 3.0 }, lines: [],
  };
}

function newScene() {
  const location = (state.board.locations[0] || {}).id || "";
  const shot = newShot();
  return { id: uniqueId("scene", new Set(state.board.scenes.map((s) => s.id))), location, summary: "", shots: [shot] };
}

function duplicateShot(scene, index) {
  change((board) => {
    const copy = structuredClone(board.scenes[scene].shots[index]);
    copy.id = uniqueId(copy.id, shotIds());
    board.scenes[scene].shots.splice(index + 1, 0, copy);
  });
}

function duplicateScene(index) {
  change((board) => {
    const copy = structuredClone(board.scenes[index]);
    const taken = shotIds();
    copy.id = uniqueId(copy.id, new Set(board.scenes.map((s) => s.id)));
    for (const shot of copy.shots) {
      shot.id = uniqueId(shot.id, taken);
      taken.add(shot.id);
    }
    board.scenes.splice(index + 1, 0, copy);
  });
}

function moveShot(from, to) {
  // from: {scene, index}; to: {scene, index} where index is the place before which it lands (in the list without it)
  change((board) => {
    const [shot] = board.scenes[from.scene].shots.splice(from.index, 1);
    board.scenes[to.scene].shots.splice(to.index, 0, shot);
  });
}

function moveScene(from, to) {
  change((board) => {
    const [scene] = board.scenes.splice(from, 1);
    board.scenes.splice(to, 0, scene);
  });
}

// ---------------------------------------------------------------- schema

function resolve(node) {
  let seen = 0;
  while (node && node.$ref && seen++ < 20) {
    const name = node.$ref.split("/").pop();
    const { $ref, ...rest } = node;
    node = { ...state.schema.$defs[name], ...rest };
  }
  return node || {};
}

// A field's schema, unwrapped: {node, nullable}.
function unwrap(node) {
  node = resolve(node);
  if (node.anyOf) {
    const others = node.anyOf.filter((n) => n.type !== "null");
    const nullable = others.length < node.anyOf.length;
    if (others.length === 1) {
      const { anyOf, ...rest } = node;
      const inner = resolve(others[0]);
      return { node: { ...inner, ...rest, description: rest.description || inner.description }, nullable };
    }
  }
  return { node, nullable: false };
}

function schemaAt(path) {
  let node = state.schema;
  for (const key of parts(path)) {
    node = unwrap(node).node;
    node = typeof key === "number" ? node.items : (node.properties || {})[key];
    if (!node) return null;
  }
  return node;
}

function defaultFor(rawNode) {
  const { node, nullable } = unwrap(rawNode);
  if ("default" in node) return structuredClone(node.default);
  if (nullable) return null;
  if (node.const !== undefined) return node.const;
  if (node.enum) return node.enum[0];
  switch (node.type) {
    case "object": {
      const out = {};
      for (const [key, prop] of Object.entries(node.properties || {})) {
        const required = (node.required || []).includes(key);
        const p = unwrap(prop).node;
        if (required || (p.type === "object" && !("default" in prop))) out[key] = defaultFor(prop);
      }
      return out;
    }
    case "array": return [];
    case "number": return node.exclusiveMinimum !== undefined ? Math.max(1, node.exclusiveMinimum + 1) : (node.minimum ?? 0);
    case "integer": return node.minimum ?? 0;
    case "boolean": return false;
    default: return "";
  }
}

function label(key, node) {
  const text = node.title && !/^[A-Z][a-zA-Z]+$/.test(node.title) ? node.title : String(key);
  return text.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

// ---------------------------------------------------------------- forms from the schema

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
};

function setField(path, value, typing) {
  change((board) => setAt(board, path, value), { typing, redraw: false });
}

// A control for one value, its wrapper carrying help text and the findings that concern it.
function field(key, rawNode, path, { required = false, skip = [] } = {}) {
  const { node, nullable } = unwrap(rawNode);
  const value = getAt(state.board, path);
  const help = node.description ? el("p", { class: "help", text: node.description }) : null;
  const name = label(key, node) + (required ? "" : "");

  if (node.type === "object" && node.properties) {
    const box = el("fieldset", { class: "object", "data-path": path }, el("legend", { text: name }));
    if (help && typeof key === "string") box.append(help);
    if (value == null) {
      box.append(el("button", { type: "button", class: "small", text: "+ Set", onclick: () => change((b) => setAt(b, path, defaultFor(rawNode))) }));
      return box;
    }
    for (const [prop, child] of Object.entries(node.properties)) {
      if (skip.includes(`${path}.${prop}`)) continue;
      box.append(field(prop, child, `${path}.${prop}`, { required: (node.required || []).includes(prop), skip }));
    }
    return box;
  }

  if (node.type === "array") {
    const items = Array.isArray(value) ? value : [];
    const itemNode = unwrap(node.items || {}).node;
    const list = el("fieldset", { class: "array", "data-path": path }, el("legend", { text: `${name} (${items.length})` }));
    if (help) list.append(help);
    items.forEach((_, i) => {
      const itemPath = `${path}.${i}`;
      const remove = el("button", {
        type: "button", class: "small remove", title: "Remove", text: "✕", "data-action": "remove",
        onclick: () => change((b) => getAt(b, path).splice(i, 1)),
      });
      const row = el("div", { class: "item" }, field(itemLabel(key, items[i], i), node.items, itemPath, { skip }), remove);
      list.append(row);
    });
    list.append(el("button", {
      type: "button", class: "small add", text: `+ Add ${singular(String(key))}`, "data-action": "add",
      onclick: () => change((b) => {
        if (!Array.isArray(getAt(b, path))) setAt(b, path, []);
        const item = itemNode.type === "string" && !itemNode.enum ? "" : defaultFor(node.items);
        if (item && typeof item === "object" && "id" in item && path.split(".").length === 1) item.id = uniqueId(singular(path), new Set(getAt(b, path).map((x) => x.id)));
        getAt(b, path).push(item);
      }),
    }));
    return list;
  }

  let control;
  if (node.enum || node.const !== undefined) {
    const options = node.enum || [node.const];
    control = el("select", { "data-path": path, disabled: node.const !== undefined && options.length === 1 });
    if (nullable) control.append(el("option", { value: "", text: "— none —" }));
    for (const option of options) control.append(el("option", { value: String(option), text: String(option) }));
    if (value !== undefined && value !== null && !options.includes(value)) control.append(el("option", { value: String(value), text: `${value} (unknown)` }));
    control.value = value == null ? "" : String(value);
    control.addEventListener("change", () => {
      const picked = control.value === "" && nullable ? null : options.find((o) => String(o) === control.value) ?? control.value;
      setField(path, picked, null);
    });
  } else if (node.type === "boolean") {
    control = el("input", { type: "checkbox", "data-path": path });
    control.checked = Boolean(value);
    control.addEventListener("change", () => setField(path, control.checked, null));
  } else if (node.type === "number" || node.type === "integer") {
    control = el("input", {
      type: "number", "data-path": path, step: node.type === "integer" ? "1" : "any",
      min: node.minimum ?? node.exclusiveMinimum, max: node.maximum ?? node.exclusiveMaximum,
    });
    control.value = value == null ? "" : String(value);
    control.addEventListener("input", () => {
      const text = control.value.trim();
      let parsed = text === "" ? null : Number(text);
      if (parsed !== null && Number.isNaN(parsed)) return;
      if (parsed !== null && node.type === "integer") parsed = Math.round(parsed);
      if (parsed === null && !nullable && !required) parsed = undefined;  // back to the default
      setField(path, parsed, path);
    });
  } else {
    const long = (node.maxLength || 0) >= 1000;
    control = el(long ? "textarea" : "input", { "data-path": path, maxlength: node.maxLength, rows: long ? 2 : undefined });
    if (!long) control.type = "text";
    control.value = value == null ? "" : String(value);
    if (node.pattern === "^#[0-9a-fA-F]{6}$") control.placeholder = "#rrggbb";
    control.addEventListener("input", () => {
      const text = control.value;
      setField(path, text === "" && nullable ? null : text, path);
    });
  }
  control.addEventListener("blur", () => { if (state.typing === path) state.typing = null; });
  const id = "f-" + path.replace(/\./g, "-");
  control.id = id;
  return el("div", { class: `field ${node.type || "enum"}` },
    el("label", { for: id, text: name + (required ? " *" : "") }), control, help, el("div", { class: "findings" }));
}

function singular(word) {
  const w = word.replace(/_/g, " ");
  return w.endsWith("ies") ? w.slice(0, -3) + "y" : w.endsWith("s") ? w.slice(0, -1) : w;
}

function itemLabel(key, item, i) {
  if (item && typeof item === "object") return item.id || item.character || item.name || item.tag || `${singular(String(key))} ${i + 1}`;
  return `${singular(String(key))} ${i + 1}`;
}

// ---------------------------------------------------------------- the editor

function select(path) {
  state.selection = path;
  state.typing = null;
  renderEditor();
  renderBoard();
  renderSide();
}

function renderEditor() {
  const box = $("#editor");
  const body = $("#editor-body");
  const path = state.selection;
  const value = path === null ? undefined : getAt(state.board, path);
  if (path === null || value === undefined) {
    box.hidden = true;
    body.replaceChildren();
    document.body.classList.remove("editing");
    return;
  }
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.path : null;
  const scroll = body.scrollTop;
  box.hidden = false;
  document.body.classList.add("editing");
  let title, skip = [];
  if (path === "") {
    title = "Film settings";
    skip = ["characters", "locations", "scenes"];
  } else if (/^scenes\.\d+$/.test(path)) {
    title = `Scene ${value.id}`;
    skip = [`${path}.shots`];
  } else if (/^scenes\.\d+\.shots\.\d+$/.test(path)) {
    title = `Shot ${value.id}`;
  } else if (/^characters\.\d+$/.test(path)) {
    title = `Character ${value.name || value.id}`;
  } else if (/^locations\.\d+$/.test(path)) {
    title = `Location ${value.name || value.id}`;
  } else {
    title = path;
  }
  $("#editor-title").textContent = title;
  body.replaceChildren();
  if (/^scenes\.\d+\.shots\.\d+$/.test(path)) body.append(shotHeader(path, value));
  if (path === "") {
    const node = unwrap(state.schema).node;
    for (const [prop, child] of Object.entries(node.properties)) {
      if (skip.includes(prop)) continue;
      body.append(field(prop, child, prop, { required: (node.required || []).includes(prop) }));
    }
  } else {
    const form = field(String(parts(path).at(-1)), schemaAt(path), path, { skip });
    form.classList.add("root");
    body.append(form);
  }
  body.scrollTop = scroll;
  showFindingsInEditor();
  if (focused) {
    const again = body.querySelector(`[data-path="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

function shotHeader(path, shot) {
  return el("div", { class: "shot-header" }, keyframe(shot.id, "editor", {}));
}

// ---------------------------------------------------------------- the board

function keyframeUrl(id) {
  return withToken(filmUrl(`shots/${encodeURIComponent(id)}/keyframe.png`)) + `&v=${state.bust}`;
}

// The board is redrawn on every edit: its pictures are kept, not fetched again (the server draws each one).
const frames = new Map();
function keyframe(id, where, attrs) {
  const key = `${where}|${id}|${state.bust}`;
  let img = frames.get(key);
  if (!img) {
    img = el("img", { ...attrs, src: keyframeUrl(id), alt: `keyframe of ${id}`, onerror: (e) => e.target.classList.add("missing") });
    frames.set(key, img);
  }
  return img;
}

function characterName(id) {
  const c = (state.board.characters || []).find((x) => x.id === id);
  return c ? c.name || id : id;
}

function renderBoard() {
  const board = $("#board");
  const scroll = [board.scrollLeft, board.scrollTop];
  board.replaceChildren();
  const levels = findingsByShot();
  state.board.scenes.forEach((scene, i) => {
    const location = (state.board.locations || []).find((l) => l.id === scene.location);
    const row = el("section", { class: "scene", "data-testid": `scene-${scene.id}`, "data-scene": i });
    const head = el("header", { class: "scene-head", draggable: "true" },
      el("span", { class: "grip", title: "Drag to reorder the scenes", text: "⋮⋮" }),
      el("button", { class: "scene-name link", text: `${i + 1}. ${scene.id}`, onclick: () => select(`scenes.${i}`), title: "Edit the scene" }),
      el("span", { class: "scene-meta", text: [location ? location.name : scene.location, scene.mood || "calm"].join(" · ") }),
      el("span", { class: "scene-summary", text: scene.summary || "" }),
      el("span", { class: "spacer" }),
      el("button", { class: "small", title: "Move the scene up", text: "▲", disabled: i === 0, onclick: () => moveScene(i, i - 1) }),
      el("button", { class: "small", title: "Move the scene down", text: "▼", disabled: i === state.board.scenes.length - 1, onclick: () => moveScene(i, i + 1) }),
      el("button", { class: "small", title: "Duplicate the scene", text: "Copy", onclick: () => duplicateScene(i) }),
      el("button", {
        class: "small", title: "Delete the scene", text: "✕", "data-testid": `delete-scene-${scene.id}`, disabled: state.board.scenes.length < 2,
        onclick: () => change((b) => b.scenes.splice(i, 1)),
      }),
    );
    head.addEventListener("dragstart", (e) => {
      e.dataTransfer.setData("application/x-scene", String(i));
      e.dataTransfer.effectAllowed = "move";
    });
    row.addEventListener("dragover", (e) => {
      if (e.dataTransfer.types.includes("application/x-scene") || e.dataTransfer.types.includes("application/x-shot")) {
        e.preventDefault();
        row.classList.add("drop");
      }
    });
    row.addEventListener("dragleave", () => row.classList.remove("drop"));
    row.addEventListener("drop", (e) => {
      row.classList.remove("drop");
      const fromScene = e.dataTransfer.getData("application/x-scene");
      if (fromScene !== "") {
        e.preventDefault();
        const from = Number(fromScene);
        if (from !== i) moveScene(from, i);
        return;
      }
      const shot = e.dataTransfer.getData("application/x-shot");
      if (shot && !e.target.closest(".card")) {  // dropped beside the cards: to the end of this scene
        e.preventDefault();
        const [s, j] = shot.split(":").map(Number);
        const index = s === i ? scene.shots.length - 1 : scene.shots.length;
        moveShot({ scene: s, index: j }, { scene: i, index });
      }
    });
    const strip = el("div", { class: "strip" });
    scene.shots.forEach((shot, j) => strip.append(card(shot, i, j, levels.get(`scenes.${i}.shots.${j}`))));
    strip.append(el("button", {
      class: "add-shot", title: "Add a shot at the end of the scene", "data-testid": `add-shot-${scene.id}`,
      text: "+ Shot", onclick: () => change((b) => b.scenes[i].shots.push(newShot())),
    }));
    row.append(head, strip);
    board.append(row);
  });
  board.append(el("button", {
    class: "add-scene", "data-testid": "add-scene", text: "+ Scene",
    onclick: () => change((b) => b.scenes.push(newScene())),
  }));
  [board.scrollLeft, board.scrollTop] = scroll;
}

function card(shot, i, j, level) {
  const path = `scenes.${i}.shots.${j}`;
  const cam = shot.camera || {};
  const who = (shot.characters || []).map((c) => characterName(c.character)).join(", ");
  const preview = state.previews.get(shot.id);
  const picture = preview
    ? el("video", { class: "frame", src: preview, controls: true, autoplay: true, muted: true, playsinline: true, "data-testid": `preview-video-${shot.id}` })
    : keyframe(shot.id, "card", { class: "frame" });
  const node = el("article", {
    class: ["card", state.selection === path ? "selected" : "", level ? `has-${level}` : ""].join(" "),
    "data-testid": `card-${shot.id}`, "data-path": path, draggable: "true", tabindex: "0",
  },
  el("div", { class: "frame-box" }, picture,
    el("span", { class: "badge", title: "Lint findings on this shot", text: level === "error" ? "!" : level === "warning" ? "?" : "" }),
    el("span", { class: "duration", text: `${fmt(cam.duration)} s` })),
  el("div", { class: "card-body" },
    el("div", { class: "card-title" }, el("b", { text: shot.id }), el("span", { class: "num", text: `#${j + 1}` })),
    el("div", { class: "camera", text: [cam.size, cam.angle || "eye-level", cam.movement || "static"].join(" · ") }),
    who ? el("div", { class: "who", text: who }) : null,
    ...(shot.lines || []).slice(0, 3).map((line) => el("p", { class: "line" },
      el("span", { class: "speaker", text: line.speaker && line.speaker !== "narrator" ? characterName(line.speaker) + ": " : "" }),
      line.text || "…")),
  ),
  el("div", { class: "card-tools" },
    el("button", { class: "small", title: "Preview the shot (animatic)", text: "▶ Preview", "data-testid": `preview-${shot.id}`, onclick: (e) => { e.stopPropagation(); previewShot(shot.id, e.target); } }),
    state.paid ? el("button", { class: "small", title: "Ask the generator for another take of this shot at the next render", text: "↻ Re-roll", "data-testid": `reroll-${shot.id}`, onclick: (e) => { e.stopPropagation(); reroll(shot.id, e.target); } }) : null,
    el("span", { class: "spacer" }),
    el("button", { class: "small", title: "Move left", text: "◀", disabled: j === 0, onclick: (e) => { e.stopPropagation(); moveShot({ scene: i, index: j }, { scene: i, index: j - 1 }); } }),
    el("button", { class: "small", title: "Move right", text: "▶", disabled: j === state.board.scenes[i].shots.length - 1, onclick: (e) => { e.stopPropagation(); moveShot({ scene: i, index: j }, { scene: i, index: j + 1 }); } }),
    el("button", { class: "small", title: "Duplicate the shot", text: "Copy", "data-testid": `duplicate-${shot.id}`, onclick: (e) => { e.stopPropagation(); duplicateShot(i, j); } }),
    el("button", {
      class: "small", title: "Delete the shot", text: "✕", "data-testid": `delete-${shot.id}`,
      onclick: (e) => {
        e.stopPropagation();
        change((b) => {
          b.scenes[i].shots.splice(j, 1);
          if (!b.scenes[i].shots.length) b.scenes.splice(i, 1);
        });
      },
    }),
  ));
  node.addEventListener("click", () => select(path));
  node.addEventListener("keydown", (e) => { if (e.key === "Enter" && e.target === node) select(path); });
  node.addEventListener("dragstart", (e) => {
    e.stopPropagation();
    e.dataTransfer.setData("application/x-shot", `${i}:${j}`);
    e.dataTransfer.effectAllowed = "move";
    node.classList.add("dragging");
  });
  node.addEventListener("dragend", () => node.classList.remove("dragging"));
  node.addEventListener("dragover", (e) => {
    if (!e.dataTransfer.types.includes("application/x-shot")) return;
    e.preventDefault();
    const after = e.offsetX > node.offsetWidth / 2;
    node.classList.toggle("drop-before", !after);
    node.classList.toggle("drop-after", after);
  });
  node.addEventListener("dragleave", () => node.classList.remove("drop-before", "drop-after"));
  node.addEventListener("drop", (e) => {
    node.classList.remove("drop-before", "drop-after");
    const data = e.dataTransfer.getData("application/x-shot");
    if (!data) return;
    e.preventDefault();
    e.stopPropagation();
    const [s, k] = data.split(":").map(Number);
    const rect = node.getBoundingClientRect();
    let index = j + (e.clientX > rect.left + rect.width / 2 ? 1 : 0);
    if (s === i && k < index) index -= 1;  // the list shrinks by the moved shot first
    if (s === i && k === index) return;
    moveShot({ scene: s, index: k }, { scene: i, index });
  });
  return node;
}

function fmt(n) {
  return typeof n === "number" ? (Math.round(n * 10) / 10).toString() : "?";
}

async function reroll(id, button) {
  const reply = await api(filmUrl(`shots/${encodeURIComponent(id)}/reroll`), { method: "POST" });
  if (!reply.ok) {
    status(`re-roll failed: ${errorText(reply)}`, "error");
    return;
  }
  button.textContent = `↻ take ${reply.data.take + 1}`;
  status(`shot ${id}: take ${reply.data.take + 1} is asked for at the next render`);
}

async function previewShot(id, button) {
  button.disabled = true;
  button.textContent = "… rendering";
  // the board as it stands in the page: an edit is previewed before it is saved
  const reply = await api(filmUrl(`shots/${encodeURIComponent(id)}/preview`), { method: "POST", body: state.board });
  button.disabled = false;
  button.textContent = "▶ Preview";
  if (!reply.ok) {
    status(`preview failed: ${errorText(reply)}`, "error");
    return;
  }
  state.previews.set(id, withToken(reply.data.url) + `&v=${Date.now()}`);
  renderBoard();
}

// ---------------------------------------------------------------- cast and locations

function renderSide() {
  const cast = $("#cast");
  cast.replaceChildren();
  const narrator = $("#narrator");
  narrator.replaceChildren(el("div", { class: "person narrator-row" },
    el("div", { class: "portrait narrator-icon", title: "The narrator" }, microphone()),
    el("div", { class: "who" }, el("b", { text: "Narrator" }), el("small", { text: voiceText(state.board.narrator) })),
    voiceButton("narrator")));
  (state.board.characters || []).forEach((c, i) => {
    const path = `characters.${i}`;
    cast.append(el("div", {
      class: `person ${state.selection === path ? "selected" : ""}`, "data-testid": `character-${c.id}`,
      onclick: () => select(path), title: c.description || "",
    },
    el("img", { class: "portrait", src: fileUrl(`cast/${c.id}.png`, true), alt: c.name, onerror: (e) => e.target.classList.add("missing") }),
    el("div", { class: "who" }, el("b", { text: c.name || c.id }), el("small", { text: `${c.id} · ${voiceText(c.voice)}` })),
    voiceButton(c.id)));
  });
  const places = $("#locations");
  places.replaceChildren();
  (state.board.locations || []).forEach((loc, i) => {
    const path = `locations.${i}`;
    places.append(el("div", {
      class: `place ${state.selection === path ? "selected" : ""}`, "data-testid": `location-${loc.id}`, onclick: () => select(path),
    }, el("b", { text: loc.name || loc.id }),
    el("small", { text: [loc.biome, loc.time_of_day || "day", loc.weather || "clear"].join(" · ") })));
  });
}

function microphone() {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "26");
  svg.setAttribute("height", "26");
  svg.innerHTML = '<rect x="9" y="3" width="6" height="11" rx="3" fill="currentColor"/>'
    + '<path d="M6 11a6 6 0 0 0 12 0M12 17v4M8 21h8" stroke="currentColor" stroke-width="1.8" fill="none" stroke-linecap="round"/>';
  return svg;
}

function voiceText(voice) {
  voice = voice || {};
  return [voice.engine || "auto", voice.voice].filter(Boolean).join(" ");
}

let playing = null;
function voiceButton(id) {
  return el("button", {
    class: "small play", title: "Hear this voice", text: "▶", "data-testid": `voice-${id}`,
    onclick: (e) => {
      e.stopPropagation();
      if (playing) playing.pause();
      playing = new Audio(withToken(filmUrl(`voices/${encodeURIComponent(id)}.wav`)));
      playing.play().catch(() => status(`no voice sample for ${id}`, "error"));
    },
  });
}

// ---------------------------------------------------------------- lint

function scheduleLint() {
  clearTimeout(state.lintTimer);
  state.lintTimer = setTimeout(lint, LINT_DELAY);
  $("#lint").dataset.state = "pending";
}

async function lint() {
  const seq = ++state.lintSeq;
  const reply = await api(filmUrl("lint"), { method: "POST", body: state.board });
  if (seq !== state.lintSeq) return;  // an older answer than the board
  if (!reply.data) {
    status(`checks failed: ${errorText(reply)}`, "error");
    return;
  }
  showFindings(reply.data);
}

function showFindings(data) {
  const out = [];
  for (const p of data.problems || []) {
    out.push(typeof p === "string" ? splitProblem(p) : { level: "error", path: dotted(p.path), message: p.message, problem: true });
  }
  for (const f of data.findings || []) {
    let path = dotted(f.path);
    if (!path && f.shot) path = shotPathById(f.shot) || "";
    out.push({ level: f.level || "warning", path, message: f.message, code: f.code });
  }
  state.findings = out;
  const list = $("#lint");
  list.dataset.state = "done";
  list.replaceChildren(...out.map((f) => el("li", {
    class: `finding ${f.level}`, "data-path": f.path ? `finding:${f.path}` : undefined, title: f.path,
    onclick: () => openFinding(f.path),
  }, el("span", { class: "level", text: f.level === "error" ? "error" : "warning" }),
  el("span", { class: "where", text: describePath(f.path) }), el("span", { class: "message", text: f.message }))));
  if (!out.length) list.append(el("li", { class: "finding ok", text: "No problems found." }));
  const errors = out.filter((f) => f.level === "error").length;
  $("#lint-count").textContent = out.length ? `${errors} error${errors === 1 ? "" : "s"}, ${out.length - errors} warning${out.length - errors === 1 ? "" : "s"}` : "";
  renderBoard();
  showFindingsInEditor();
}

function splitProblem(text) {
  const m = /^(?:<[^>]*>: )?([\w.[\]$-]+): (.*)$/.exec(text);
  return m ? { level: "error", path: dotted(m[1]), message: m[2], problem: true } : { level: "error", path: "", message: text, problem: true };
}

function describePath(path) {
  if (!path) return "film";
  const m = /^scenes\.(\d+)\.shots\.(\d+)(.*)$/.exec(path);
  if (m) {
    const shot = getAt(state.board, `scenes.${m[1]}.shots.${m[2]}`);
    return `shot ${shot ? shot.id : "?"}${m[3] ? " " + m[3].slice(1) : ""}`;
  }
  return path;
}

function openFinding(path) {
  if (!path) return;
  const m = /^(scenes\.\d+\.shots\.\d+|scenes\.\d+|characters\.\d+|locations\.\d+)/.exec(path);
  select(m ? m[1] : "");
  const control = $(`#editor-body [data-path="${CSS.escape(path)}"]`);
  if (control) {
    control.scrollIntoView({ block: "center" });
    control.focus();
  }
}

function findingsByShot() {
  const levels = new Map();
  for (const f of state.findings) {
    const m = /^scenes\.\d+\.shots\.\d+/.exec(f.path || "");
    if (!m) continue;
    if (levels.get(m[0]) !== "error") levels.set(m[0], f.level);
  }
  return levels;
}

function showFindingsInEditor() {
  const body = $("#editor-body");
  for (const node of body.querySelectorAll(".has-error, .has-warning")) node.classList.remove("has-error", "has-warning");
  for (const node of body.querySelectorAll(".findings")) node.replaceChildren();
  for (const node of body.querySelectorAll(".object-findings")) node.remove();
  for (const f of state.findings) {
    if (!f.path) continue;
    // the field it names, or the nearest enclosing one the form shows
    let path = f.path;
    let control = null;
    while (path && !(control = body.querySelector(`[data-path="${CSS.escape(path)}"]`))) path = path.split(".").slice(0, -1).join(".");
    if (!control) continue;
    const wrap = control.matches("fieldset") ? control : control.closest(".field") || control;
    wrap.classList.add(`has-${f.level}`);
    const note = el("div", { class: `finding-note ${f.level}`, "data-finding": f.path, text: f.message });
    const slot = wrap.querySelector(":scope > .findings");
    if (slot) slot.append(note);
    else {
      const box = el("div", { class: "object-findings" }, note);
      const legend = wrap.querySelector(":scope > legend");
      if (legend) legend.after(box);
      else wrap.prepend(box);
    }
  }
}

// ---------------------------------------------------------------- loading and saving

async function loadBoard() {
  const reply = await api(filmUrl("storyboard"));
  if (!reply.ok) throw new Error(errorText(reply));
  state.board = reply.data;
  state.etag = reply.headers.get("ETag");
  state.saved = snapshot();
  state.undo = [];
  state.redo = [];
  state.typing = null;
  if (state.selection !== null && getAt(state.board, state.selection) === undefined) state.selection = null;
  // Whether shots can be re-rolled: asked beside the board, so the board never waits for it.
  api(filmUrl("estimate")).then((estimate) => {
    const paid = Boolean(estimate.ok && estimate.data && !estimate.data.free);
    if (paid !== state.paid) {
      state.paid = paid;
      renderBoard();
    }
  });
}

async function save({ overwrite = null } = {}) {
  clearTimeout(state.lintTimer);
  status("saving…");
  const reply = await api(filmUrl("storyboard"), { method: "PUT", body: state.board, headers: { "If-Match": overwrite || state.etag || "*" } });
  if (reply.status === 412) {
    status("not saved: changed on disk", "error");
    state.conflictEtag = reply.data && reply.data.etag;
    const dialog = $("#conflict");
    if (!dialog.open) dialog.showModal();
    return false;
  }
  if (reply.status === 422) {
    showFindings({ problems: reply.data.problems || [], findings: [] });
    status(`not saved: ${problemText(reply.data.problems[0])}`, "error");
    return false;
  }
  if (!reply.ok) {
    status(`not saved: ${errorText(reply)}`, "error");
    return false;
  }
  state.etag = reply.data.etag || reply.headers.get("ETag");
  if (reply.data.storyboard) state.board = reply.data.storyboard;  // canonical: defaults written out
  state.saved = snapshot();
  state.typing = null;
  status("saved", "ok");
  afterChange(true);
  return true;
}

async function reloadFromDisk() {
  $("#conflict").close();
  await loadBoard();
  state.bust = Date.now();
  afterChange(true);
  status("reloaded from disk", "ok");
}

async function overwrite() {
  $("#conflict").close();
  const reply = await api(filmUrl("storyboard"));  // the etag the file has now
  const etag = state.conflictEtag || reply.headers.get("ETag");
  await save({ overwrite: etag });
}

// ---------------------------------------------------------------- render, progress, player

function progressView() {
  const box = $("#progress");
  box.replaceChildren(el("h3", { text: "Render" }, el("span", { class: "render-state", "data-testid": "render-state", text: "starting…" })));
  for (const [stage, name] of STAGES) {
    box.append(el("div", { class: "stage", "data-stage": stage, "data-testid": `stage-${stage}` },
      el("span", { class: "stage-name", text: name }),
      el("progress", { max: 1, value: 0 }),
      el("span", { class: "stage-note", text: "" })));
  }
  box.append(el("div", { class: "shots", "data-testid": "shot-progress" },
    ...shotPaths().map(({ shot }) => el("span", { class: "shot-chip", "data-shot": shot.id, text: shot.id }))));
}

function stageRow(stage) {
  let row = $(`#progress [data-stage="${CSS.escape(stage)}"]`);
  if (!row) {
    row = el("div", { class: "stage", "data-stage": stage }, el("span", { class: "stage-name", text: stage }),
      el("progress", { max: 1, value: 0 }), el("span", { class: "stage-note" }));
    $("#progress .shots").before(row);
  }
  return row;
}

function onEvent(event) {
  const { stage, event: kind } = event;
  const renderState = $("#progress .render-state");
  if (kind === "finished") {
    renderState.textContent = `finished · ${fmt(event.duration)} s`;
    renderState.dataset.kind = "ok";
    finishRender(event);
    return;
  }
  if (kind === "failed") {
    renderState.textContent = `failed: ${event.message}`;
    renderState.dataset.kind = "error";
    finishRender(null);
    return;
  }
  if (kind === "up-to-date") renderState.textContent = "up to date: nothing to make again";
  if (kind === "notice") status(event.message);
  if (kind === "film") {
    // The new film plays from here; the exports are still being written and are listed when the render ends.
    state.filmShown = true;
    state.bust = Date.now();
    loadPlayer(event.film, false);
  }
  if (!stage) return;
  const row = stageRow(stage);
  const bar = row.querySelector("progress");
  const note = row.querySelector(".stage-note");
  if (kind === "start") {
    row.dataset.state = "running";
    renderState.textContent = `${(STAGES.find((s) => s[0] === stage) || [stage, stage])[1]}…`;
  } else if (kind === "done") {
    row.dataset.state = "done";
    bar.value = bar.max;
    note.textContent = event.seconds !== undefined ? `${fmt(event.seconds)} s` : "done";
  } else if (kind === "total") {
    bar.max = Math.max(1, event.total);
    row.dataset.state = "running";
    note.textContent = `0 / ${event.total}`;
  } else if (kind === "frames") {
    row.dataset.state = "running";
    bar.max = Math.max(1, event.total);
    bar.value = event.done;
    note.textContent = `${event.done} / ${event.total} frames`;
  } else if (kind === "shot" && stage === "render") {
    bar.value = Math.min(bar.max, bar.value + 1);
    note.textContent = `${bar.value} / ${bar.max}`;
    if (bar.value >= bar.max) row.dataset.state = "done";
    const chip = $(`#progress .shot-chip[data-shot="${CSS.escape(event.shot)}"]`);
    if (chip) { chip.dataset.state = "done"; chip.title = event.seconds !== undefined ? `${fmt(event.seconds)} s` : ""; }
    const cardNode = $(`[data-testid="card-${CSS.escape(event.shot)}"]`);
    if (cardNode) cardNode.classList.add("fresh");
  } else if (kind === "remote" && stage === "render") {
    const chip = $(`#progress .shot-chip[data-shot="${CSS.escape(event.shot)}"]`);
    if (chip) { chip.dataset.state = event.state; chip.title = event.state; }
  }
}

async function startRender() {
  if (state.events) return;
  if (dirty()) {
    const saved = await save();
    if (!saved) return;
  }
  const estimate = await api(filmUrl("estimate"));
  if (estimate.ok && estimate.data && !estimate.data.free) {
    const e = estimate.data;
    const cost = e.to_pay === null ? "an unknown amount (no price for this model)" : `about $${e.to_pay.toFixed(2)}`;
    const text = `This render asks ${e.renderer} ${e.model} for ${e.shots_to_pay} of ${e.shots.length} shots: ${cost}.` +
      (e.price_source ? `\n(${e.price_source})` : "") + "\nStart it?";
    if (!confirm(text)) return;
  }
  $("#dock").hidden = false;
  state.filmShown = false;
  progressView();
  $("#render").disabled = true;
  $("#render").textContent = "● Rendering…";
  document.body.classList.add("rendering");
  const reply = await api(filmUrl("render"), { method: "POST", body: {} });
  if (!reply.ok && reply.status !== 409) {
    onEvent({ event: "failed", message: errorText(reply) });
    return;
  }
  listen();
}

function listen() {
  const source = new EventSource(withToken(filmUrl("events")));
  state.events = source;
  source.onmessage = (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch { return; }
    onEvent(event);
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED && state.events === source) {
      onEvent({ event: "failed", message: "the event stream closed" });
    }
  };
}

function finishRender(event) {
  if (state.events) state.events.close();
  state.events = null;
  $("#render").disabled = false;
  $("#render").textContent = "● Render";
  document.body.classList.remove("rendering");
  if (!event) return;
  state.bust = Date.now();
  frames.clear();
  state.previews.clear();
  renderBoard();
  renderSide();
  if (state.filmShown) showExports();  // the player has this render's film already: it is not interrupted
  else loadPlayer(event.film || "film.mp4");
}

async function loadPlayer(film = "film.mp4", withExports = true) {
  $("#dock").hidden = false;
  const video = $("#player");
  video.replaceChildren();
  video.src = fileUrl(film, true);
  video.append(el("track", { kind: "subtitles", label: state.board.language === "zh" ? "中文" : "English", srclang: state.board.language || "en", src: fileUrl("subtitles.vtt", true), default: true }));
  video.load();
  if (withExports) await showExports();
}

async function showExports() {
  const box = $("#exports");
  box.replaceChildren(el("h3", { text: "Downloads" }));
  const found = await Promise.all(EXPORTS.map(async ([path, name]) => {
    const reply = await fetch(fileUrl(path, true), { method: "HEAD" }).catch(() => null);
    return reply && reply.ok ? [path, name] : null;
  }));
  for (const item of found.filter(Boolean)) {
    const [path, name] = item;
    box.append(el("a", { href: fileUrl(path, true), download: path.split("/").pop(), text: name, "data-testid": `download-${path}` }));
  }
}

// ---------------------------------------------------------------- films

async function showFilms() {
  state.film = null;
  $("#film-view").hidden = true;
  $("#tools").hidden = true;
  $("#films-view").hidden = false;
  $("#film-title").textContent = "";
  const reply = await api("/api/films");
  if (!reply.ok) {
    $("#film-list").textContent = errorText(reply);
    return [];
  }
  const list = $("#film-list");
  list.replaceChildren(...reply.data.map((f) => el("a", {
    class: "film-card", href: `?token=${encodeURIComponent(TOKEN)}&film=${encodeURIComponent(f.film)}`, "data-testid": `film-${f.film}`,
    onclick: (e) => { e.preventDefault(); history.pushState({}, "", e.currentTarget.href); openFilm(f.film); },
  },
  f.has_film ? el("img", { src: withToken(`/api/films/${filmSegment(f.film)}/files/contact-sheet.png`), alt: "", onerror: (e) => e.target.remove() }) : el("div", { class: "no-film", text: "not rendered yet" }),
  el("b", { text: f.title || f.film }), el("small", { text: `${f.film} · ${f.shots} shot${f.shots === 1 ? "" : "s"}${f.has_film ? " · rendered" : ""}` }))));
  if (!reply.data.length) list.append(el("p", { class: "help", text: "No films here yet: plan one from a premise." }));
  return reply.data;
}

async function newFilm(e) {
  e.preventDefault();
  const form = e.target;
  const data = Object.fromEntries(new FormData(form));
  const body = { premise: data.premise };
  if (data.duration) body.duration = Number(data.duration);
  if (data.seed !== "") body.seed = Number(data.seed);
  if (data.language) body.language = data.language;
  if (data.style) body.style = data.style;
  const note = $("#new-film-status");
  note.textContent = "planning…";
  form.querySelector("button").disabled = true;
  const reply = await api("/api/films", { method: "POST", body });
  form.querySelector("button").disabled = false;
  if (!reply.ok) {
    note.textContent = errorText(reply);
    return;
  }
  note.textContent = "";
  // Planning may still be running in the background: wait for the storyboard.
  for (let i = 0; i < 120; i++) {
    const r = await api(`/api/films/${filmSegment(reply.data.film)}/storyboard`);
    if (r.ok) break;
    note.textContent = "planning…";
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  history.pushState({}, "", `?token=${encodeURIComponent(TOKEN)}&film=${encodeURIComponent(reply.data.film)}`);
  openFilm(reply.data.film);
}

async function openFilm(film) {
  state.film = film;
  state.selection = null;
  state.previews.clear();
  $("#films-view").hidden = true;
  $("#film-view").hidden = false;
  $("#tools").hidden = false;
  $("#dock").hidden = true;
  try {
    await loadBoard();
  } catch (err) {
    status(String(err.message || err), "error");
    return;
  }
  afterChange(true);
  status("");
  const films = await api("/api/films");
  const here = films.ok ? films.data.find((f) => f.film === film) : null;
  if (here && here.has_film) loadPlayer();
}

// ---------------------------------------------------------------- start

function keys(e) {
  if (!state.board || $("#film-view").hidden) return;
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && key === "z" && !e.shiftKey) { e.preventDefault(); undo(); }
  else if (mod && ((key === "z" && e.shiftKey) || key === "y")) { e.preventDefault(); redo(); }
  else if (mod && key === "s") { e.preventDefault(); save(); }
  else if (key === "escape" && state.selection !== null && !$("#conflict").open) select(null);
}

async function main() {
  $("#undo").addEventListener("click", undo);
  $("#redo").addEventListener("click", redo);
  $("#save").addEventListener("click", () => save());
  $("#render").addEventListener("click", startRender);
  $("#film-settings").addEventListener("click", () => select(""));
  $("#editor-close").addEventListener("click", () => select(null));
  $("#conflict-reload").addEventListener("click", reloadFromDisk);
  $("#conflict-overwrite").addEventListener("click", overwrite);
  $("#conflict-cancel").addEventListener("click", () => $("#conflict").close());
  $("#add-character").addEventListener("click", () => {
    change((b) => {
      const id = uniqueId("character", new Set(b.characters.map((c) => c.id)));
      b.characters.push({ ...defaultFor(state.schema.$defs.Character), id, name: id });
    });
    select(`characters.${state.board.characters.length - 1}`);
  });
  $("#add-location").addEventListener("click", () => {
    change((b) => {
      const id = uniqueId("location", new Set(b.locations.map((l) => l.id)));
      const biome = (b.locations[0] || {}).biome || "meadow";
      b.locations.push({ ...defaultFor(state.schema.$defs.Location), id, name: id, biome });
    });
    select(`locations.${state.board.locations.length - 1}`);
  });
  $("#home").addEventListener("click", (e) => {
    e.preventDefault();
    if (dirty() && !confirm("Leave this film without saving?")) return;
    history.pushState({}, "", `?token=${encodeURIComponent(TOKEN)}`);
    showFilms();
  });
  $("#new-film").addEventListener("submit", newFilm);
  document.addEventListener("keydown", keys);
  window.addEventListener("beforeunload", (e) => { if (dirty()) { e.preventDefault(); e.returnValue = ""; } });
  window.addEventListener("popstate", () => route());

  const schema = await api("/api/schema");
  if (!schema.ok) {
    document.body.textContent = `storyagent studio: ${errorText(schema)}`;
    return;
  }
  state.schema = schema.data;
  await route();
  document.body.dataset.ready = "true";
}

async function route() {
  const film = new URLSearchParams(location.search).get("film");
  if (film) return openFilm(film);
  const films = await showFilms();
  if (films.length === 1 && films[0].film === ".") return openFilm(".");
}

// For tests and the console: the state, read-only by convention.
window.studio = { state, undo, redo, save, lint };
main();
