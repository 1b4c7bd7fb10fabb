/*
 * The "Targets" view of the operators' page: every programme target as a row (indicator · year · value), filterable
 * and sortable, each row opening its statement highlighted in the viewer; an indicator with several years gets a
 * small chart of its values (inline SVG, no library). Data: GET /targets.
 */
import { getJson, initialLang, safeHref } from "./ui.js";

const TEXTS = {
  kk: {
    title: "Нысаналы көрсеткіштер", filter: "Көрсеткіш сөздері", year: "Жыл", allYears: "Барлық жылдар",
    indicator: "Көрсеткіш", value: "Мәні", doc: "Құжат", rows: "{n} жол", none: "Көрсеткіш табылмады.",
    error: "Көрсеткіштер жүктелмеді.", chart: "{name}: жылдар бойынша мәндері", noYear: "—",
  },
  ru: {
    title: "Целевые показатели", filter: "Слова показателя", year: "Год", allYears: "Все годы",
    indicator: "Показатель", value: "Значение", doc: "Документ", rows: "Строк: {n}", none: "Показатели не найдены.",
    error: "Не удалось загрузить показатели.", chart: "{name}: значения по годам", noYear: "—",
  },
};
const SIGNS = { ">=": "≥ ", "<=": "≤ ", top: "top " };
const SVG = "http://www.w3.org/2000/svg";

const view = document.getElementById("targets-view");
const filter = document.getElementById("targets-q");
const yearSelect = document.getElementById("targets-year");
const table = document.getElementById("targets-table");
const statusEl = document.getElementById("targets-status");
const chart = document.getElementById("targets-chart");

let lang = initialLang();
let rows = [];
let sort = { key: null, dir: 1 };
let loaded = false;
const t = (key) => TEXTS[lang][key];

export function figure(r) {
  const unit = r.unit && r.unit !== ":1" ? ` ${r.unit}` : "";
  return (SIGNS[r.comparison] || "") + r.value_text + unit;
}

const statementKey = (r) => `${r.doc}:${r.start}:${r.end}`;

function label() {
  view.querySelector("summary").textContent = t("title");
  document.querySelector("label[for=targets-q]").textContent = t("filter");
  document.querySelector("label[for=targets-year]").textContent = t("year");
  yearSelect.options[0].textContent = t("allYears");
  for (const th of table.querySelectorAll("th button")) th.textContent = t(th.dataset.key === "title" ? "doc" : th.dataset.key);
}

function sorted() {
  if (!sort.key) return rows;
  const k = sort.key;
  return [...rows].sort((a, b) => {
    const x = a[k] ?? -Infinity;
    const y = b[k] ?? -Infinity;
    return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), lang)) * sort.dir;
  });
}

function render() {
  const body = table.tBodies[0];
  body.replaceChildren();
  const counts = new Map();
  for (const r of rows) counts.set(statementKey(r), (counts.get(statementKey(r)) || 0) + 1);
  for (const r of sorted()) {
    const tr = body.insertRow();
    tr.dataset.key = statementKey(r);
    const name = tr.insertCell();
    const href = safeHref(r.viewer_url);
    const link = document.createElement(href ? "a" : "span");
    if (href) {
      const url = new URL(href);
      url.searchParams.set("lang", lang);
      link.href = url.href;
      link.target = "_blank";
      link.rel = "noopener";
    }
    link.textContent = r.indicator;
    name.append(link);
    if (counts.get(statementKey(r)) > 1) {
      const show = document.createElement("button");
      show.type = "button";
      show.className = "chart-button";
      show.textContent = "📈";
      show.setAttribute("aria-label", t("chart").replace("{name}", r.indicator));
      show.addEventListener("click", () => drawChart(statementKey(r)));
      name.append(" ", show);
    }
    tr.insertCell().textContent = r.year ?? t("noYear");
    const value = tr.insertCell();
    value.textContent = figure(r);
    value.className = "num";
    tr.insertCell().textContent = r.title;
  }
  for (const th of table.querySelectorAll("th")) {
    const key = th.querySelector("button").dataset.key;
    th.setAttribute("aria-sort", sort.key === key ? (sort.dir > 0 ? "ascending" : "descending") : "none");
  }
  statusEl.textContent = rows.length ? t("rows").replace("{n}", rows.length) : t("none");
}

function svg(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/* Values of one indicator over its years: a line with labelled points, the axis from zero. */
export function drawChart(key) {
  const points = rows.filter((r) => statementKey(r) === key && r.year).sort((a, b) => a.year - b.year);
  chart.replaceChildren();
  if (points.length < 2) return;
  const [w, h, pad] = [360, 170, 34];
  const years = points.map((p) => p.year);
  const top = Math.max(...points.map((p) => p.value)) || 1;
  const span = Math.max(1, years.at(-1) - years[0]);
  const x = (year) => pad + ((year - years[0]) / span) * (w - 2 * pad);
  const y = (v) => h - pad - (v / top) * (h - 2 * pad);
  const title = t("chart").replace("{name}", points[0].indicator);
  const root = svg("svg", { viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: "img", "aria-label": title });
  root.append(svg("title", {}, title));
  root.append(svg("line", { x1: pad, y1: h - pad, x2: w - pad, y2: h - pad, stroke: "#8d9bab" }));
  root.append(svg("polyline", {
    points: points.map((p) => `${x(p.year)},${y(p.value)}`).join(" "), fill: "none", stroke: "#0a5a9c",
    "stroke-width": 2,
  }));
  for (const p of points) {
    root.append(svg("circle", { cx: x(p.year), cy: y(p.value), r: 4, fill: "#0a5a9c", "data-year": p.year }));
    root.append(svg("text", { x: x(p.year), y: y(p.value) - 8, "text-anchor": "middle", "font-size": 12 }, figure(p)));
    root.append(svg("text", { x: x(p.year), y: h - pad + 16, "text-anchor": "middle", "font-size": 12 }, p.year));
  }
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  chart.append(root, caption);
}

async function load() {
  const params = new URLSearchParams({ lang });
  if (filter.value.trim()) params.set("q", filter.value.trim());
  if (yearSelect.value) params.set("year", yearSelect.value);
  try {
    const data = await getJson(`targets?${params}`);
    rows = Array.isArray(data.rows) ? data.rows : [];
  } catch {
    rows = [];
    statusEl.textContent = t("error");
    return;
  }
  if (!loaded) {
    for (const year of [...new Set(rows.map((r) => r.year).filter(Boolean))].sort()) {
      yearSelect.append(new Option(String(year), String(year)));
    }
    loaded = true;
  }
  render();
}

for (const button of table.querySelectorAll("th button")) {
  button.addEventListener("click", () => {
    const key = button.dataset.key;
    sort = { key, dir: sort.key === key ? -sort.dir : 1 };
    render();
  });
}
let timer;
filter.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(load, 250);
});
yearSelect.addEventListener("change", load);
view.addEventListener("toggle", () => {
  if (view.open && !loaded) load();
});
for (const b of document.querySelectorAll("[data-set-lang]")) {
  b.addEventListener("click", () => {
    lang = b.dataset.setLang;
    label();
    if (loaded) render();
  });
}
label();
if (new URLSearchParams(location.search).get("view") === "targets") view.open = true;
