/*
 * Jauap chat widget.
 *
 *   <script src="https://HOST/widget.js" data-lang="kk" defer></script>
 *
 * gives any site a chat bubble that answers with cited passages from the e-government documents. The widget talks
 * back to the origin it was loaded from (read from its own script URL), lives in a Shadow DOM so that neither the host
 * page's CSS nor ours leaks across, and never inserts question or document text as HTML: only text nodes.
 * Optional attributes: data-lang="kk|ru", data-api="URL" (API base when it differs from the script's folder),
 * data-open="true" (start opened).
 */
(() => {
  "use strict";

  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || window.__jauapWidget) return;
  window.__jauapWidget = true;

  const API = new URL(script.dataset.api || "./", script.src);
  const MAX_CHARS = 1000;
  const SOURCES_SHOWN = 5;
  const CONTEXT_CHARS = 220;

  const TEXTS = {
    kk: {
      bubble: "Электрондық үкімет бойынша сұрақ қою",
      title: "Jauap — электрондық үкімет",
      subtitle: "Жауаптар ресми құжаттардан дәйексөзбен беріледі",
      greeting:
        "Сәлеметсіз бе! Электрондық үкімет қызметтері туралы сұрағыңызды жазыңыз — жауапты құжаттағы үзіндімен көрсетемін.",
      label: "Сұрағыңыз",
      placeholder: "Сұрағыңызды жазыңыз…",
      send: "Жіберу",
      close: "Жабу",
      langGroup: "Тілді таңдау",
      thinking: "Құжаттардан іздеп жатырмын…",
      answer: "Жауап",
      you: "Сіздің сұрағыңыз",
      sources: "Дереккөздер",
      closest: "Ең жақын үзінділер",
      openSource: "Құжатта ашу",
      abstained: "Кешіріңіз, құжаттарда бұл сұраққа нақты жауап табылмады.",
      abstainedNear: "Кешіріңіз, құжаттар бұл тақырыпты қозғайды, бірақ сұраған мәліметіңізді келтірмейді.",
      call: "1414 байланыс орталығына қоңырау шалыңыз",
      rate: "Жауап пайдалы болды ма?",
      good: "Иә, пайдалы",
      bad: "Жоқ, пайдасыз",
      reason: "Не дұрыс емес? (міндетті емес)",
      sendReason: "Жіберу",
      thanks: "Рақмет! Бағаңыз сақталды.",
      feedbackFailed: "Бағаны жіберу мүмкін болмады.",
      empty: "Алдымен сұрақты жазыңыз.",
      tooLong: `Сұрақ тым ұзын: ең көбі ${MAX_CHARS} таңба.`,
      badQuestion: "Бұл сұрақты өңдеу мүмкін болмады. Басқаша жазып көріңіз.",
      busy: "Сұрақтар тым көп. Біраздан кейін қайталаңыз.",
      busyWait: "Сұрақтар тым көп. {n} секундтан кейін қайталаңыз.",
      error: "Қызмет уақытша қолжетімсіз. Кейінірек қайталаңыз немесе 1414 нөміріне хабарласыңыз.",
      disclaimer: "Жауап — құжаттан алынған үзінді. Маңызды шешім алдында дереккөзді тексеріңіз.",
    },
    ru: {
      bubble: "Задать вопрос об электронном правительстве",
      title: "Jauap — электронное правительство",
      subtitle: "Ответы — цитаты из официальных документов",
      greeting:
        "Здравствуйте! Задайте вопрос об услугах электронного правительства — я покажу ответ цитатой из документа.",
      label: "Ваш вопрос",
      placeholder: "Напишите ваш вопрос…",
      send: "Отправить",
      close: "Закрыть",
      langGroup: "Выбор языка",
      thinking: "Ищу в документах…",
      answer: "Ответ",
      you: "Ваш вопрос",
      sources: "Источники",
      closest: "Ближайшие фрагменты",
      openSource: "Открыть в документе",
      abstained: "К сожалению, в документах нет точного ответа на этот вопрос.",
      abstainedNear: "К сожалению, документы касаются этой темы, но не содержат запрошенных сведений.",
      call: "Позвоните в контакт-центр 1414",
      rate: "Ответ был полезен?",
      good: "Да, полезен",
      bad: "Нет, бесполезен",
      reason: "Что не так? (необязательно)",
      sendReason: "Отправить",
      thanks: "Спасибо! Оценка сохранена.",
      feedbackFailed: "Не удалось отправить оценку.",
      empty: "Сначала напишите вопрос.",
      tooLong: `Вопрос слишком длинный: не более ${MAX_CHARS} символов.`,
      badQuestion: "Не удалось обработать вопрос. Попробуйте сформулировать иначе.",
      busy: "Слишком много вопросов. Повторите чуть позже.",
      busyWait: "Слишком много вопросов. Повторите через {n} с.",
      error: "Сервис временно недоступен. Повторите позже или позвоните 1414.",
      disclaimer: "Ответ — цитата из документа. Перед важным решением сверьтесь с источником.",
    },
  };

  let lang = TEXTS[script.dataset.lang] ? script.dataset.lang : "kk";
  const t = (key) => TEXTS[lang][key];

  /* Every translatable piece registers here, so a language switch re-labels old messages too. */
  const bindings = [];
  function tr(el, key, attr) {
    bindings.push({ el, key, attr });
    apply({ el, key, attr });
    return el;
  }
  function apply({ el, key, attr }) {
    if (attr) el.setAttribute(attr, t(key));
    else el.textContent = t(key);
  }

  /* h("p", {class: "x"}, "text", node): attributes via setAttribute, strings become text nodes. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === false || value == null) continue;
      el.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child == null || child === false) continue;
      el.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return el;
  }

  function svg(path, size) {
    const ns = "http://www.w3.org/2000/svg";
    const el = document.createElementNS(ns, "svg");
    el.setAttribute("viewBox", "0 0 24 24");
    el.setAttribute("width", String(size));
    el.setAttribute("height", String(size));
    el.setAttribute("aria-hidden", "true");
    el.setAttribute("focusable", "false");
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    p.setAttribute("fill", "currentColor");
    el.append(p);
    return el;
  }
  const ICON_CHAT =
    "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z";
  const ICON_SEND = "M3 20.5 21 12 3 3.5V10l12 2-12 2v6.5z";
  const ICON_THUMB = "M2 10h4v11H2zM8 10l4-8c1.7 0 3 1.3 3 3v3h5.5c1.1 0 2 1 1.8 2.1l-1.6 8.5c-.2 1-1 1.4-2 1.4H8z";
  const ICON_CLOSE =
    "M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z";

  function randomId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  /* One id per browser tab session: the server rate-limits per widget session as well as per IP. */
  const SESSION = (() => {
    try {
      let id = sessionStorage.getItem("jauap-session");
      if (!id) {
        id = randomId();
        sessionStorage.setItem("jauap-session", id);
      }
      return id;
    } catch {
      return randomId(); // storage blocked (sandboxed iframe, privacy mode)
    }
  })();

  /* Only http(s) links: a javascript: URL must never become clickable. */
  function safeUrl(raw) {
    try {
      const url = new URL(raw, API);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch {
      return null;
    }
  }

  function viewerUrl(c) {
    const fallback = `view/${encodeURIComponent(c.doc)}?start=${c.start}&end=${c.end}`;
    const url = safeUrl(c.viewer_url || fallback);
    if (!url) return null;
    const u = new URL(url);
    u.searchParams.set("lang", lang);
    return u.href;
  }

  async function post(path, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30000);
    try {
      return await fetch(new URL(path, API), {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Jauap-Session": SESSION },
        body: JSON.stringify(body),
        signal: controller.signal,
        credentials: "omit",
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /* ---------- styles: everything scoped to the shadow root ---------- */
  const CSS = `
    .root { all: initial; display: block; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
      Arial, sans-serif; font-size: 15px; line-height: 1.45; color: #1b2430;
      --jw-brand: #0a5a9c; --jw-brand-dark: #084477; --jw-accent: #f5b800; --jw-mark: #fff0a8;
      --jw-line: #d5dde6; --jw-soft: #f3f6f9; }
    *, *::before, *::after { box-sizing: border-box; }
    [hidden] { display: none !important; }
    button, input, textarea { font: inherit; color: inherit; }
    .sr { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
      clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
    :focus-visible { outline: 3px solid var(--jw-accent); outline-offset: 2px; }
    .bubble { position: fixed; right: 20px; bottom: 20px; width: 60px; height: 60px; border-radius: 50%;
      border: 0; background: var(--jw-brand); color: #fff; cursor: pointer; display: grid; place-items: center;
      box-shadow: 0 6px 20px rgba(10, 40, 80, .3); transition: transform .15s; }
    .bubble:hover { background: var(--jw-brand-dark); transform: translateY(-2px); }
    .panel { position: fixed; right: 20px; bottom: 92px; width: min(400px, calc(100vw - 40px));
      height: min(620px, calc(100vh - 112px)); display: flex; flex-direction: column; background: #fff;
      border: 1px solid var(--jw-line); border-radius: 14px; overflow: hidden;
      box-shadow: 0 12px 40px rgba(10, 40, 80, .25); }
    header { display: flex; align-items: flex-start; gap: 8px; padding: 12px 12px 12px 16px;
      background: var(--jw-brand); color: #fff; }
    header .titles { flex: 1; min-width: 0; }
    h2 { margin: 0; font-size: 16px; font-weight: 650; line-height: 1.3; }
    .subtitle { margin: 2px 0 0; font-size: 12.5px; opacity: .9; }
    .langs { display: flex; border: 1px solid rgba(255,255,255,.6); border-radius: 8px; overflow: hidden;
      flex: none; }
    .langs button { border: 0; background: transparent; color: #fff; padding: 4px 8px; font-size: 12.5px;
      font-weight: 600; cursor: pointer; min-width: 40px; min-height: 30px; }
    .langs button[aria-pressed="true"] { background: #fff; color: var(--jw-brand-dark); }
    .close { flex: none; border: 0; background: transparent; color: #fff; width: 32px; height: 32px;
      border-radius: 8px; cursor: pointer; display: grid; place-items: center; }
    .close:hover { background: rgba(255,255,255,.15); }
    .log { position: relative; flex: 1; overflow-y: auto; padding: 14px; background: var(--jw-soft); display: flex;
      flex-direction: column; gap: 12px; overscroll-behavior: contain; }
    .msg { max-width: 100%; border-radius: 12px; padding: 10px 12px; overflow-wrap: anywhere; }
    .msg p { margin: 0; }
    .user { align-self: flex-end; max-width: 85%; background: var(--jw-brand); color: #fff;
      border-bottom-right-radius: 4px; white-space: pre-wrap; }
    .bot { align-self: flex-start; background: #fff; border: 1px solid var(--jw-line);
      border-bottom-left-radius: 4px; }
    .bot.notice { color: #3b4756; }
    .thinking { color: #506070; font-style: italic; }
    blockquote { margin: 0; padding: 2px 0 2px 10px; border-left: 3px solid var(--jw-brand); color: #2b3644;
      white-space: pre-wrap; }
    mark { background: var(--jw-mark); color: #111; padding: 1px 2px; border-radius: 3px;
      box-shadow: inset 0 -2px 0 var(--jw-accent); }
    .cite { display: inline-block; margin-left: 4px; font-size: 12px; font-weight: 700; color: var(--jw-brand);
      text-decoration: none; vertical-align: super; }
    .from { margin: 6px 0 0; font-size: 12.5px; color: #506070; }
    .target { margin: 0 0 8px; padding-left: 18px; font-size: 13.5px; }
    .from a, .sources a, .call { color: var(--jw-brand); }
    h3 { margin: 12px 0 4px; font-size: 12.5px; text-transform: uppercase; letter-spacing: .04em; color: #506070; }
    .sources { margin: 0; padding-left: 22px; font-size: 13.5px; }
    .sources li { margin: 3px 0; }
    .sources .section { display: block; color: #66768a; font-size: 12.5px; }
    .call { display: inline-flex; align-items: center; gap: 6px; margin-top: 8px; font-weight: 650;
      padding: 6px 10px; border: 1px solid var(--jw-brand); border-radius: 8px; text-decoration: none; }
    .call:hover { background: var(--jw-soft); }
    .fb { margin-top: 10px; padding-top: 8px; border-top: 1px dashed var(--jw-line); display: flex;
      flex-wrap: wrap; align-items: center; gap: 6px; font-size: 13px; color: #506070; }
    .fb .q { margin-right: auto; }
    .fb button.rate { border: 1px solid var(--jw-line); background: #fff; border-radius: 8px; cursor: pointer;
      min-width: 40px; min-height: 34px; display: inline-grid; place-items: center; color: #3b4756; }
    .fb button.rate.down svg { transform: rotate(180deg); }
    .fb button.rate:hover { border-color: var(--jw-brand); color: var(--jw-brand); }
    .fb button.rate[aria-pressed="true"] { border-color: var(--jw-brand); background: #e6f0fa; color: var(--jw-brand); }
    .reason { display: flex; gap: 6px; width: 100%; }
    .reason input { flex: 1; min-width: 0; border: 1px solid var(--jw-line); border-radius: 8px;
      padding: 6px 8px; background: #fff; }
    .reason button, .send { border: 0; border-radius: 8px; background: var(--jw-brand); color: #fff;
      cursor: pointer; padding: 6px 12px; font-weight: 600; }
    .fb-status { width: 100%; min-height: 1em; color: #2d6a2d; }
    form.ask { display: flex; align-items: flex-end; gap: 8px; padding: 10px; border-top: 1px solid var(--jw-line);
      background: #fff; }
    textarea { flex: 1; resize: none; min-height: 42px; max-height: 120px; border: 1px solid #9aa8b8;
      border-radius: 10px; padding: 10px 12px; background: #fff; line-height: 1.35; }
    textarea:focus { border-color: var(--jw-brand); }
    .send { width: 44px; height: 42px; padding: 0; display: grid; place-items: center; flex: none; }
    .send:disabled { opacity: .55; cursor: progress; }
    .send:hover:not(:disabled) { background: var(--jw-brand-dark); }
    .foot { margin: 0; padding: 0 12px 8px; background: #fff; font-size: 11.5px; color: #66768a; }
    @media (max-width: 480px) {
      .panel { right: 0; bottom: 0; width: 100vw; height: 100vh; height: 100dvh; border-radius: 0; border: 0; }
      .root.open .bubble { display: none; }
      .subtitle { display: none; }
      .bubble { right: 14px; bottom: 14px; }
    }
    @media (prefers-reduced-motion: reduce) { .bubble { transition: none; } }
  `;

  /* ---------- building the widget ---------- */
  function mount() {
    const host = document.createElement("jauap-widget");
    // Inline !important beats any host-page rule (e.g. `* { all: unset }`, `div { display: none !important }`).
    const hostStyle = {
      all: "initial", display: "block", position: "fixed", right: "0", bottom: "0", width: "0", height: "0",
      "z-index": "2147483000", visibility: "visible", opacity: "1", "pointer-events": "auto", contain: "none",
    };
    for (const [prop, value] of Object.entries(hostStyle)) host.style.setProperty(prop, value, "important");
    host.setAttribute("lang", lang);
    const shadow = host.attachShadow({ mode: "open" });
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet]; // not subject to the host page's style-src CSP
    } catch {
      shadow.append(h("style", {}, CSS));
    }

    const root = h("div", { class: "root" });
    const bubble = h("button", {
      class: "bubble", type: "button", "aria-expanded": "false", "aria-controls": "jauap-panel",
    }, svg(ICON_CHAT, 28));
    tr(bubble, "bubble", "aria-label");
    tr(bubble, "bubble", "title");

    const title = tr(h("h2", { id: "jauap-title" }), "title");
    const subtitle = tr(h("p", { class: "subtitle" }), "subtitle");
    const langButtons = Object.keys(TEXTS).map((code) =>
      h("button", { type: "button", lang: code, "data-lang": code, "aria-pressed": String(code === lang) },
        code === "kk" ? "ҚАЗ" : "РУС"));
    const langs = tr(h("div", { class: "langs", role: "group" }, ...langButtons), "langGroup", "aria-label");
    const close = h("button", { class: "close", type: "button" }, svg(ICON_CLOSE, 18));
    tr(close, "close", "aria-label");
    tr(close, "close", "title");

    const log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions" });
    const label = tr(h("label", { class: "sr", for: "jauap-q" }), "label");
    const input = h("textarea", { id: "jauap-q", rows: "1", maxlength: String(MAX_CHARS), autocomplete: "off" });
    tr(input, "placeholder", "placeholder");
    const send = h("button", { class: "send", type: "submit" }, svg(ICON_SEND, 20));
    tr(send, "send", "aria-label");
    tr(send, "send", "title");
    const form = h("form", { class: "ask", novalidate: true }, label, input, send);
    const foot = tr(h("p", { class: "foot" }), "disclaimer");

    const panel = h("section", {
      class: "panel", id: "jauap-panel", role: "dialog", "aria-labelledby": "jauap-title", hidden: true,
    }, h("header", {}, h("div", { class: "titles" }, title, subtitle), langs, close), log, form, foot);

    root.append(bubble, panel);
    shadow.append(root);
    document.body.append(host);

    log.append(tr(h("div", { class: "msg bot notice" }), "greeting"));

    /* ---------- behaviour ---------- */
    function setOpen(open) {
      panel.hidden = !open;
      root.classList.toggle("open", open);
      bubble.setAttribute("aria-expanded", String(open));
      if (open) input.focus();
      else bubble.focus();
    }

    function setLang(code) {
      lang = code;
      host.setAttribute("lang", code);
      for (const b of langButtons) b.setAttribute("aria-pressed", String(b.dataset.lang === code));
      bindings.forEach(apply);
    }

    function scrollToEnd() {
      log.scrollTop = log.scrollHeight;
    }

    function say(node) {
      log.append(node);
      scrollToEnd();
      return node;
    }

    function notice(key, text) {
      const el = h("div", { class: "msg bot notice", role: "status" });
      if (text) el.textContent = text;
      else tr(el, key);
      return say(el);
    }

    function autosize() {
      input.style.height = "auto";
      input.style.height = `${Math.min(input.scrollHeight + 2, 120)}px`;
    }

    let pending = false;
    async function ask() {
      const question = input.value.trim();
      if (pending) return;
      if (!question) return void notice("empty");
      if (question.length > MAX_CHARS) return void notice("tooLong");

      const asked = say(h("div", { class: "msg user" }, tr(h("span", { class: "sr" }), "you"), h("p", {}, question)));
      input.value = "";
      autosize();
      pending = true;
      send.disabled = true;
      log.setAttribute("aria-busy", "true");
      const thinking = say(tr(h("div", { class: "msg bot thinking", role: "status" }), "thinking"));
      try {
        const res = await post("ask", { question, lang });
        thinking.remove();
        if (res.ok) {
          say(renderAnswer(await res.json()));
        } else if (res.status === 429) {
          const wait = Number.parseInt(res.headers.get("Retry-After") || "", 10);
          if (Number.isFinite(wait) && wait > 0) notice(null, t("busyWait").replace("{n}", String(wait)));
          else notice("busy");
        } else if (res.status >= 400 && res.status < 500) {
          notice("badQuestion");
        } else {
          notice("error");
        }
      } catch {
        thinking.remove();
        notice("error");
      } finally {
        pending = false;
        send.disabled = false;
        log.removeAttribute("aria-busy");
        log.scrollTop = asked.offsetTop - 8; // the question on top, its answer read from the beginning
      }
    }

    bubble.addEventListener("click", () => setOpen(panel.hidden));
    close.addEventListener("click", () => setOpen(false));
    for (const b of langButtons) b.addEventListener("click", () => setLang(b.dataset.lang));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      ask();
    });
    input.addEventListener("input", autosize);
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        ask();
      }
    });
    root.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !panel.hidden) {
        e.stopPropagation();
        setOpen(false);
      }
    });
    if (script.dataset.open === "true") setOpen(true);
  }

  /* ---------- rendering an answer (text nodes only) ---------- */

  /* The citation passage that contains the answer span, so the sentence is shown in its context. */
  function containing(answer, citations) {
    const i = citations.findIndex((c) => c.doc === answer.doc && c.start <= answer.start && answer.end <= c.end);
    return i;
  }

  /* Passage text around [s, e) cut to about CONTEXT_CHARS on each side, at a word boundary. */
  function excerpt(text, s, e) {
    let from = Math.max(0, s - CONTEXT_CHARS);
    let to = Math.min(text.length, e + CONTEXT_CHARS);
    if (from > 0) {
      const space = text.indexOf(" ", from);
      from = space >= 0 && space < s ? space + 1 : from;
    }
    if (to < text.length) {
      const space = text.lastIndexOf(" ", to);
      to = space > e ? space : to;
    }
    return {
      before: (from > 0 ? "…" : "") + text.slice(from, s).trimStart(),
      mark: text.slice(s, e),
      after: text.slice(e, to).trimEnd() + (to < text.length ? "…" : ""),
    };
  }

  /* Section paths are rooted at the document's Kazakh title (index/chunking.py); the title is shown already, in
     the reader's language, so the root is dropped. */
  function sectionBelow(section, title) {
    const parts = String(section || "").split(" › ");
    return (parts.length > 1 || parts[0] === title ? parts.slice(1) : parts).join(" › ");
  }

  /* Blank lines of the source would make a chat bubble tall and gappy; one line break keeps the structure. */
  const tidy = (text) => text.replace(/\n\s*\n/g, "\n");

  function sourceItem(c) {
    const href = viewerUrl(c);
    const name = c.title || c.doc;
    const link = href ? h("a", { href, target: "_blank", rel: "noopener" }, name) : h("span", {}, name);
    const section = sectionBelow(c.section, c.title);
    return h("li", {}, link, section ? h("span", { class: "section" }, section) : null);
  }

  /* «indicator · year · value» of a programme target the answer was taken from. */
  function targetLine(r) {
    const sign = { ">=": "≥ ", "<=": "≤ ", top: "top " }[r.comparison] || "";
    const unit = r.unit && r.unit !== ":1" ? ` ${r.unit}` : "";
    return h("li", {}, `${r.indicator}${r.year ? ` · ${r.year}` : ""} · `, h("b", {}, `${sign}${r.value_text}${unit}`));
  }

  function renderAnswer(data) {
    const citations = Array.isArray(data.citations) ? data.citations : [];
    const article = h("article", { class: "msg bot answer" });
    tr(article, "answer", "aria-label");

    if (!data.abstained && data.answer) {
      const a = data.answer;
      const rows = Array.isArray(data.target?.rows) ? data.target.rows : [];
      if (rows.length) article.append(h("ul", { class: "target" }, ...rows.map(targetLine)));
      const i = containing(a, citations);
      const quote = h("blockquote", {});
      if (i >= 0) {
        const c = citations[i];
        const part = excerpt(c.text, a.start - c.start, a.end - c.start);
        quote.append(tidy(part.before), h("mark", {}, part.mark), tidy(part.after));
        const href = viewerUrl(c);
        if (href) quote.append(h("a", { class: "cite", href, target: "_blank", rel: "noopener" }, `[${i + 1}]`));
      } else {
        quote.append(h("mark", {}, a.text));
      }
      article.append(quote);
      const from = i >= 0 ? citations[i] : { title: "", section: "" };
      const section = sectionBelow(from.section, from.title);
      const href = viewerUrl({ ...a, viewer_url: null }); // the exact answer sentence, not the whole passage
      article.append(h("p", { class: "from" },
        href ? tr(h("a", { href, target: "_blank", rel: "noopener" }), "openSource") : null,
        ` · ${from.title || a.doc}${section ? ` › ${section}` : ""}`));
      if (citations.length) {
        article.append(tr(h("h3", {}), "sources"));
        article.append(h("ol", { class: "sources" }, ...citations.slice(0, SOURCES_SHOWN).map(sourceItem)));
      }
    } else {
      // on the topic, but the documents do not give what was asked (a sum in the unit, the concept)
      const near = data.abstain_reason === "no_amount" || data.abstain_reason === "concept_missing";
      article.append(tr(h("p", {}), near ? "abstainedNear" : "abstained"));
      const call = h("a", { class: "call", href: "tel:1414" }, "☎ ", tr(h("span", {}), "call"));
      article.append(call);
      if (citations.length) {
        article.append(tr(h("h3", {}), "closest"));
        article.append(h("ol", { class: "sources" }, ...citations.slice(0, 3).map(sourceItem)));
      }
    }
    if (data.answer_id) article.append(feedback(data.answer_id));
    return article;
  }

  /* 👍/👎 with an optional reason; a rating can be changed, the server keeps one per answer. */
  function feedback(answerId) {
    // Drawn icons rather than 👍/👎 emoji: not every phone or kiosk has a colour emoji font.
    const good = h("button", { class: "rate", type: "button", "aria-pressed": "false", "data-rating": "1" },
      svg(ICON_THUMB, 18));
    const bad = h("button", { class: "rate down", type: "button", "aria-pressed": "false", "data-rating": "-1" },
      svg(ICON_THUMB, 18));
    tr(good, "good", "aria-label");
    tr(good, "good", "title");
    tr(bad, "bad", "aria-label");
    tr(bad, "bad", "title");
    const reasonInput = h("input", { type: "text", maxlength: "500" });
    tr(reasonInput, "reason", "placeholder");
    tr(reasonInput, "reason", "aria-label");
    const reasonSend = tr(h("button", { type: "submit" }), "sendReason");
    const reasonForm = h("form", { class: "reason", hidden: true }, reasonInput, reasonSend);
    const status = h("span", { class: "fb-status", role: "status" });
    const box = h("div", { class: "fb" }, tr(h("span", { class: "q" }), "rate"), good, bad, reasonForm, status);

    async function rate(rating, reason) {
      good.setAttribute("aria-pressed", String(rating === 1));
      bad.setAttribute("aria-pressed", String(rating === -1));
      const body = { answer_id: answerId, rating };
      if (reason) body.reason = reason;
      try {
        const res = await post("feedback", body);
        status.textContent = t(res.ok ? "thanks" : "feedbackFailed");
      } catch {
        status.textContent = t("feedbackFailed");
      }
    }
    good.addEventListener("click", () => {
      reasonForm.hidden = true;
      rate(1);
    });
    bad.addEventListener("click", () => {
      reasonForm.hidden = false;
      reasonInput.focus();
      rate(-1);
    });
    reasonForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const reason = reasonInput.value.trim();
      if (!reason) return;
      rate(-1, reason);
      reasonForm.hidden = true;
      bad.focus();
    });
    return box;
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
