/*
 * Passage viewer: /view/{doc}?start=&end= loads the document text from /documents/{doc} and marks exactly
 * text[start:end] (the offsets every citation carries), scrolled into view and focused.
 */
import { appendHighlighted, citationText, copyText, getJson, initialLang, rememberLang, safeHref, translate } from "./ui.js";

const TEXTS = {
  kk: {
    skip: "Белгіленген үзіндіге өту",
    tagline: "Құжат мәтіні: дәйексөз сары түспен белгіленген",
    langGroup: "Тілді таңдау",
    loading: "Жүктелуде…",
    jump: "Үзіндіге өту",
    copy: "Дәйексөзді көшіру",
    copied: "Дәйексөз көшірілді.",
    copyFailed: "Көшіру мүмкін болмады — мәтінді қолмен белгілеңіз.",
    textLabel: "Құжат мәтіні",
    toSearch: "Іздеу бетіне оралу",
    source: "Түпнұсқа",
    badRange: "Үзіндінің орны дұрыс емес — құжат толық көрсетілді.",
    noRange: "Үзінді көрсетілмеген — құжат толық көрсетілді.",
    missing: "Мұндай құжат табылмады.",
    error: "Құжатты жүктеу мүмкін болмады. Кейінірек қайталаңыз.",
    chars: "таңба",
  },
  ru: {
    skip: "Перейти к выделенному фрагменту",
    tagline: "Текст документа: цитата выделена жёлтым",
    langGroup: "Выбор языка",
    loading: "Загрузка…",
    jump: "К фрагменту",
    copy: "Копировать цитату",
    copied: "Цитата скопирована.",
    copyFailed: "Не удалось скопировать — выделите текст вручную.",
    textLabel: "Текст документа",
    toSearch: "Вернуться к поиску",
    source: "Оригинал",
    badRange: "Неверное положение фрагмента — показан весь документ.",
    noRange: "Фрагмент не указан — показан весь документ.",
    missing: "Такой документ не найден.",
    error: "Не удалось загрузить документ. Повторите позже.",
    chars: "символы",
  },
};

const titleEl = document.getElementById("title");
const metaEl = document.getElementById("meta");
const noticeEl = document.getElementById("notice");
const textEl = document.getElementById("text");
const jump = document.getElementById("jump");
const copy = document.getElementById("copy");

let lang = initialLang();
let doc = null;
let span = null; // [start, end] once validated
let noticeKey = null;
const t = (key) => TEXTS[lang][key];

/* The document id is the last path segment after /view/ (the page may live under a path prefix). */
function docIdFromPath() {
  const marker = "/view/";
  const at = location.pathname.lastIndexOf(marker);
  return at >= 0 ? decodeURIComponent(location.pathname.slice(at + marker.length)) : "";
}

function requestedSpan(length) {
  const params = new URLSearchParams(location.search);
  if (!params.has("start") && !params.has("end")) return { span: null, problem: "noRange" };
  const start = Number(params.get("start"));
  const end = Number(params.get("end"));
  const ok = Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && start < length;
  return ok ? { span: [start, Math.min(end, length)], problem: null } : { span: null, problem: "badRange" };
}

function setNotice(key) {
  noticeKey = key;
  noticeEl.textContent = key ? t(key) : "";
}

function renderHead() {
  if (!doc) return;
  const title = (lang === "ru" ? doc.title_ru || doc.title_kk : doc.title_kk || doc.title_ru) || doc.id;
  titleEl.textContent = title;
  titleEl.removeAttribute("data-i18n");
  document.title = `${title} — Jauap`;
  metaEl.replaceChildren();
  const bits = [doc.kind, doc.year, doc.id].filter((x) => x !== null && x !== undefined && x !== "");
  metaEl.append(bits.join(" · "));
  if (span) metaEl.append(` · ${span[0]}–${span[1]} ${t("chars")}`);
  const href = doc.source ? safeHref(doc.source) : null;
  if (href && /^https?:/i.test(doc.source)) {
    const a = document.createElement("a");
    a.href = href;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    a.textContent = t("source");
    metaEl.append(" · ", a);
  }
}

function passage() {
  return document.getElementById("passage");
}

function showPassage() {
  const mark = passage();
  if (!mark) return;
  mark.scrollIntoView({ block: "center" });
  mark.focus({ preventScroll: true });
}

async function load() {
  const id = docIdFromPath();
  try {
    doc = await getJson(`documents/${encodeURIComponent(id)}`);
  } catch (e) {
    titleEl.removeAttribute("data-i18n");
    titleEl.textContent = t(e.status === 404 ? "missing" : "error");
    return;
  }
  const text = String(doc.text || "");
  const req = requestedSpan(text.length);
  span = req.span;
  setNotice(req.problem);
  renderHead();
  appendHighlighted(textEl, text, span ? [span] : [], "passage");
  const mark = textEl.querySelector("mark.passage");
  if (mark) {
    mark.id = "passage";
    mark.tabIndex = -1;
    jump.disabled = false;
    copy.disabled = false;
    requestAnimationFrame(showPassage);
  }
}

jump.addEventListener("click", showPassage);
copy.addEventListener("click", async () => {
  const mark = passage();
  if (!mark || !doc) return;
  const title = (lang === "ru" ? doc.title_ru || doc.title_kk : doc.title_kk || doc.title_ru) || doc.id;
  const ok = await copyText(citationText({ title, section: "", text: mark.textContent, url: location.href }));
  setNotice(ok ? "copied" : "copyFailed");
});
for (const b of document.querySelectorAll("[data-set-lang]")) {
  b.addEventListener("click", () => {
    lang = b.dataset.setLang;
    rememberLang(lang);
    translate(TEXTS, lang);
    renderHead();
    if (noticeKey) setNotice(noticeKey);
    const url = new URL(location.href);
    url.searchParams.set("lang", lang);
    history.replaceState(null, "", url);
  });
}

translate(TEXTS, lang);
load();
