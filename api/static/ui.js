/*
 * Helpers shared by the operators' search page and the passage viewer: UI language, text-only highlighting,
 * clipboard, and the citation format operators paste into replies. Nothing here ever assigns innerHTML.
 */

export const LANGS = ["kk", "ru"];

/* Current UI language: ?lang=, then the last choice, then the browser's preference. */
export function initialLang() {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  if (LANGS.includes(fromUrl)) return fromUrl;
  try {
    const saved = localStorage.getItem("jauap-lang");
    if (LANGS.includes(saved)) return saved;
  } catch {
    /* storage may be blocked */
  }
  return (navigator.language || "").toLowerCase().startsWith("ru") ? "ru" : "kk";
}

export function rememberLang(lang) {
  try {
    localStorage.setItem("jauap-lang", lang);
  } catch {
    /* storage may be blocked */
  }
}

/* Fill every [data-i18n] (text) and [data-i18n-attr="attr:key,…"] element from the texts of `lang`. */
export function translate(texts, lang) {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) {
    const text = texts[lang][el.dataset.i18n];
    if (text !== undefined) el.textContent = text;
  }
  for (const el of document.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(",")) {
      const [attr, key] = pair.split(":");
      const text = texts[lang][key];
      if (text !== undefined) el.setAttribute(attr, text);
    }
  }
  for (const b of document.querySelectorAll("[data-set-lang]")) {
    b.setAttribute("aria-pressed", String(b.dataset.setLang === lang));
  }
}

/* Sorted, merged, clamped [start, end) ranges. */
export function normaliseRanges(ranges, length) {
  const clean = (Array.isArray(ranges) ? ranges : [])
    .map(([s, e]) => [Math.max(0, Number(s) | 0), Math.min(length, Number(e) | 0)])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const r of clean) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([...r]);
  }
  return merged;
}

/* Append `text` to `parent` as text nodes, with <mark> elements around `ranges`. */
export function appendHighlighted(parent, text, ranges, markClass) {
  let at = 0;
  for (const [s, e] of normaliseRanges(ranges, text.length)) {
    if (s > at) parent.append(document.createTextNode(text.slice(at, s)));
    const mark = document.createElement("mark");
    if (markClass) mark.className = markClass;
    mark.textContent = text.slice(s, e);
    parent.append(mark);
    at = e;
  }
  if (at < text.length) parent.append(document.createTextNode(text.slice(at)));
  return parent;
}

/* Section paths start at the document's title; under a title that is already shown, drop the repeat. */
export function sectionBelow(section, ...titles) {
  const parts = String(section || "").split(" › ");
  while (parts.length && titles.includes(parts[0])) parts.shift();
  return parts.join(" › ");
}

/* «quote» — title, section. URL: the form operators paste into a reply. */
export function citationText({ title, section, text, url }) {
  const quote = text.replace(/\s+/g, " ").trim();
  const where = [title, section].filter(Boolean).join(", ");
  return `«${quote}»\n— ${where}${url ? `\n${url}` : ""}`;
}

/* Clipboard API where allowed, a hidden textarea otherwise (plain-http intranets). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/* Only http(s) links ever become clickable. */
export function safeHref(raw) {
  try {
    const url = new URL(raw, document.baseURI);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/* One id per tab session: the API rate-limits per session, so operators behind one office IP don't share a budget. */
function sessionId() {
  const fresh = () =>
    Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  try {
    let id = sessionStorage.getItem("jauap-session");
    if (!id) {
      id = fresh();
      sessionStorage.setItem("jauap-session", id);
    }
    return id;
  } catch {
    return fresh();
  }
}
const SESSION = sessionId();

export async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: "application/json", "X-Jauap-Session": SESSION } });
  if (!res.ok) {
    const error = new Error(`HTTP ${res.status}`);
    error.status = res.status;
    error.retryAfter = res.headers.get("Retry-After");
    throw error;
  }
  return res.json();
}
