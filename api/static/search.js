/*
 * Operators' search page: ranked passages with highlighted matches, a document filter, copy-citation, and a keyboard
 * flow for people on a call (/ focuses the box, Enter searches, arrows move between results, c copies, o opens).
 */
import {
  appendHighlighted, citationText, copyText, getJson, initialLang, rememberLang, safeHref, sectionBelow, translate,
} from "./ui.js";

const TEXTS = {
  kk: {
    skip: "Іздеу жолына өту",
    tagline: "Байланыс орталығы операторларына: дерек пен оның дереккөзін тез табу",
    langGroup: "Тілді таңдау",
    query: "Не іздейміз?",
    placeholder: "мысалы: 1414 байланыс орталығы",
    docFilter: "Құжат",
    allDocs: "Барлық құжаттар",
    search: "Іздеу",
    keys: "Пернелер: / — іздеу жолы · Enter — іздеу · ↑ ↓ — нәтижелер · c — дәйексөзді көшіру · o — құжатта ашу",
    results: "Нәтижелер",
    footer: "Үзінділер құжат мәтінінен өзгеріссіз алынады; дәйексөз алдында дереккөзді тексеріңіз.",
    searching: "Іздеп жатырмын…",
    found: "{n} үзінді табылды",
    none: "Ештеңе табылмады. Басқа сөздермен іздеп көріңіз немесе сүзгіні алып тастаңыз.",
    empty: "Іздеу сөзін жазыңыз.",
    copy: "Дәйексөзді көшіру",
    copied: "Дәйексөз көшірілді",
    copyFailed: "Көшіру мүмкін болмады — мәтінді қолмен белгілеңіз",
    open: "Құжатта ашу",
    score: "сәйкестік",
    busy: "Сұраулар тым көп. Біраздан кейін қайталаңыз.",
    bad: "Сұрауды өңдеу мүмкін болмады: тым ұзын немесе жарамсыз таңбалар бар.",
    error: "Қызмет қолжетімсіз. Кейінірек қайталаңыз.",
    docsError: "Құжаттар тізімі жүктелмеді.",
  },
  ru: {
    skip: "Перейти к строке поиска",
    tagline: "Для операторов контакт-центра: быстро найти факт и его источник",
    langGroup: "Выбор языка",
    query: "Что ищем?",
    placeholder: "например: контакт-центр 1414",
    docFilter: "Документ",
    allDocs: "Все документы",
    search: "Найти",
    keys: "Клавиши: / — строка поиска · Enter — найти · ↑ ↓ — результаты · c — копировать цитату · o — открыть",
    results: "Результаты",
    footer: "Фрагменты берутся из текста документа без изменений; сверяйтесь с источником перед цитированием.",
    searching: "Ищу…",
    found: "Найдено фрагментов: {n}",
    none: "Ничего не найдено. Попробуйте другие слова или снимите фильтр.",
    empty: "Введите, что искать.",
    copy: "Копировать цитату",
    copied: "Цитата скопирована",
    copyFailed: "Не удалось скопировать — выделите текст вручную",
    open: "Открыть в документе",
    score: "релевантность",
    busy: "Слишком много запросов. Повторите чуть позже.",
    bad: "Не удалось обработать запрос: слишком длинный или недопустимые символы.",
    error: "Сервис недоступен. Повторите позже.",
    docsError: "Не удалось загрузить список документов.",
  },
};

const form = document.getElementById("search-form");
const input = document.getElementById("q");
const docSelect = document.getElementById("doc");
const statusEl = document.getElementById("status");
const list = document.getElementById("results");

let lang = initialLang();
let documents = [];
let results = [];
let lastStatus = null; // [key, n] so a language switch re-renders the status line
const t = (key) => TEXTS[lang][key];

function setStatus(key, n) {
  lastStatus = key ? [key, n] : null;
  statusEl.textContent = key ? t(key).replace("{n}", String(n ?? "")) : "";
}

function docTitle(id) {
  const d = documents.find((x) => x.id === id);
  if (!d) return id;
  return (lang === "ru" ? d.title_ru || d.title_kk : d.title_kk || d.title_ru) || id;
}

/* The result's section without the document title it starts with (the title is the card heading). */
function sectionOf(r) {
  const d = documents.find((x) => x.id === r.doc);
  return sectionBelow(r.section, r.title, d?.title_kk, d?.title_ru);
}

function viewerHref(r) {
  const raw = r.viewer_url || `view/${encodeURIComponent(r.doc)}?start=${r.start}&end=${r.end}`;
  const href = safeHref(raw);
  if (!href) return null;
  const url = new URL(href);
  url.searchParams.set("lang", lang);
  return url.href;
}

function fillDocuments(selected) {
  docSelect.replaceChildren(new Option(t("allDocs"), ""));
  for (const d of documents) docSelect.append(new Option(docTitle(d.id), d.id));
  docSelect.value = documents.some((d) => d.id === selected) ? selected : "";
}

async function loadDocuments(selected) {
  try {
    const data = await getJson("documents");
    documents = Array.isArray(data) ? data : data.documents || [];
  } catch {
    setStatus("docsError");
  }
  fillDocuments(selected);
}

function renderResults() {
  list.replaceChildren();
  results.forEach((r, i) => {
    const title = r.title || docTitle(r.doc);
    const heading = document.createElement("h2");
    heading.id = `r${i}-title`;
    heading.append(`${i + 1}. ${title}`);
    const meta = document.createElement("p");
    meta.className = "meta";
    const section = sectionOf(r);
    if (section) meta.append(section, " · ");
    meta.append(`${t("score")} ${Number(r.score || 0).toFixed(2)}`);
    const quote = appendHighlighted(document.createElement("blockquote"), r.text, r.highlights || r.matches);

    const actions = document.createElement("div");
    actions.className = "actions";
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "copy";
    copy.textContent = t("copy");
    copy.setAttribute("aria-keyshortcuts", "c");
    copy.addEventListener("click", () => copyResult(i));
    actions.append(copy);
    const href = viewerHref(r);
    if (href) {
      const open = document.createElement("a");
      open.href = href;
      open.className = "open";
      open.target = "_blank";
      open.rel = "noopener";
      open.textContent = t("open");
      open.setAttribute("aria-keyshortcuts", "o");
      actions.append(open);
    }

    const item = document.createElement("li");
    item.className = "result";
    item.tabIndex = i === 0 ? 0 : -1; // roving tabindex: Tab enters the list once, arrows move inside it
    item.dataset.index = String(i);
    item.setAttribute("aria-labelledby", heading.id);
    item.append(heading, meta, quote, actions);
    item.addEventListener("focus", () => setActive(i, false));
    list.append(item);
  });
}

function items() {
  return [...list.querySelectorAll("li.result")];
}

function setActive(i, focus = true) {
  const all = items();
  if (!all.length) return;
  const k = Math.max(0, Math.min(all.length - 1, i));
  all.forEach((el, j) => {
    el.tabIndex = j === k ? 0 : -1;
    el.classList.toggle("active", j === k);
  });
  if (focus) all[k].focus();
}

function activeIndex() {
  const el = document.activeElement?.closest?.("li.result");
  if (el) return Number(el.dataset.index);
  const marked = list.querySelector("li.result.active");
  return marked ? Number(marked.dataset.index) : 0;
}

async function copyResult(i) {
  const r = results[i];
  if (!r) return;
  const title = r.title || docTitle(r.doc);
  const text = citationText({ title, section: sectionOf(r), text: r.text, url: viewerHref(r) });
  const ok = await copyText(text);
  list.dataset.copied = ok ? String(i) : "";
  setStatus(ok ? "copied" : "copyFailed");
}

async function search() {
  const q = input.value.trim();
  const doc = docSelect.value;
  const params = new URLSearchParams({ q, lang });
  if (doc) params.set("doc", doc);
  history.replaceState(null, "", `?${params}`);
  if (!q) {
    results = [];
    renderResults();
    setStatus("empty");
    return;
  }
  setStatus("searching");
  list.setAttribute("aria-busy", "true");
  const query = new URLSearchParams({ q, k: "20", lang });
  if (doc) query.set("doc", doc);
  try {
    const data = await getJson(`search?${query}`);
    results = Array.isArray(data.results) ? data.results : [];
    renderResults();
    setStatus(results.length ? "found" : "none", results.length);
    if (results.length) setActive(0, false);
  } catch (e) {
    results = [];
    renderResults();
    setStatus(e.status === 429 ? "busy" : e.status >= 400 && e.status < 500 ? "bad" : "error");
  } finally {
    list.removeAttribute("aria-busy");
  }
}

function setLang(code) {
  lang = code;
  rememberLang(code);
  translate(TEXTS, code);
  fillDocuments(docSelect.value);
  renderResults();
  if (lastStatus) setStatus(...lastStatus);
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  search();
});
docSelect.addEventListener("change", () => {
  if (input.value.trim()) search();
});
for (const b of document.querySelectorAll("[data-set-lang]")) {
  b.addEventListener("click", () => setLang(b.dataset.setLang));
}

const typing = (el) => el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
  const target = document.activeElement;
  if (e.key === "/" && !typing(target)) {
    e.preventDefault();
    input.focus();
    input.select();
    return;
  }
  if (target === input && e.key === "ArrowDown" && results.length) {
    e.preventDefault();
    setActive(0);
    return;
  }
  if (typing(target)) return;
  const inList = target?.closest?.("li.result");
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    if (!results.length) return;
    e.preventDefault();
    const i = activeIndex();
    if (e.key === "ArrowUp" && inList && i === 0) input.focus();
    else setActive(inList ? i + (e.key === "ArrowDown" ? 1 : -1) : i);
  } else if (e.key === "Home" && inList) {
    e.preventDefault();
    setActive(0);
  } else if (e.key === "End" && inList) {
    e.preventDefault();
    setActive(results.length - 1);
  } else if (e.key === "c" && results.length) {
    e.preventDefault();
    copyResult(activeIndex());
  } else if ((e.key === "o" || (e.key === "Enter" && target === inList)) && results.length) {
    const link = items()[activeIndex()]?.querySelector("a.open");
    if (link) {
      e.preventDefault();
      link.click();
    }
  }
});

translate(TEXTS, lang);
const start = new URLSearchParams(location.search);
input.value = start.get("q") || "";
loadDocuments(start.get("doc") || "").then(() => {
  if (input.value.trim()) search();
});
input.focus();
