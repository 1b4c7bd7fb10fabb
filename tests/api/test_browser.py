"""The widget, search page and viewer in a real headless Chromium against the real app served by uvicorn.

A second loopback server plays a hostile government site on another origin: aggressive global CSS, and the widget
embedded with one script tag.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from live_server import hosting, listening_socket, new_tab, serving

from api.app import create_app
from config import Settings

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
QUESTION_KK = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"
NONSENSE = "xyzzy qwerty plugh"  # no word of it is in the corpus: confidence near zero, so the widget abstains
XSS = "<img src=x onerror=window.__xss=1>"

HOSTILE_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Hostile host</title>
<style>
  :root { --jw-brand: #ff00ff; font-size: 40px; color: red; line-height: 5; }
  * { all: unset !important; }
  div, section, form, ol, li, header, article, textarea { display: none !important; }
  button { display: none !important; position: static !important; width: 2px !important; }
  body * { font-size: 30px !important; position: static !important; }
  [hidden] { display: block !important; }
  mark { background: lime !important; }
  body > :not(#app) { display: none !important; opacity: 0 !important; }
</style></head>
<body>
  <main id="app">
    <h1>Host site</h1>
    <p id="host-text">Host paragraph.</p>
    <button class="bubble" id="host-button">host</button>
  </main>
  <script src="{api}/widget.js" data-lang="kk" defer></script>
</body></html>
"""


@dataclass
class Servers:
    api: str  # http://127.0.0.1:PORT of the app
    host: str  # http://127.0.0.1:PORT of the hostile page, another origin


@pytest.fixture(scope="module")
def servers(index_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with closing(listening_socket()) as api_sock:
        api = f"http://127.0.0.1:{api_sock.getsockname()[1]}"
        with hosting(HOSTILE_PAGE.replace("{api}", api)) as host:
            settings = index_settings.replace(
                rate_limit="0",
                cors_origins=host,
                querylog_path=tmp_path_factory.mktemp("browser") / "querylog.sqlite3",
                log_json=False,
                log_level="WARNING",
                abstain_below=0.3,
            )
            with serving(create_app(settings), api_sock, lifespan="on"):
                yield Servers(api=api, host=host)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    errors: list[str] = []
    with new_tab(browser, 820) as p:
        p.on("pageerror", lambda e: errors.append(str(e)))
        yield p
    assert not errors, f"JavaScript errors: {errors}"


def ask(page: object, question: str) -> object:
    """Type a question into the open widget, send it with Enter, return the newest answer element."""
    answers = page.locator("jauap-widget article.answer")
    before = answers.count()
    box = page.get_by_role("textbox", name="Сұрағыңыз")
    box.fill(question)
    box.press("Enter")
    answers.nth(before).wait_for()
    return answers.nth(before)


def open_widget(page: object) -> None:
    page.get_by_role("button", name="Электрондық үкімет бойынша сұрақ қою").click()
    page.get_by_role("dialog").wait_for()


def test_demo_answers_a_kazakh_question_and_the_source_opens_highlighted(page: object, servers: Servers) -> None:
    page.goto(f"{servers.api}/demo")
    open_widget(page)
    answer = ask(page, QUESTION_KK)

    marked = answer.locator("blockquote mark").inner_text()
    assert "25 000" in marked  # the answering sentence is the highlighted one
    assert answer.locator("blockquote").inner_text().startswith("«Электрондық үкімет» порталы")  # shown in context
    sources = answer.locator("ol.sources a")
    assert sources.count() >= 1
    assert answer.locator("ol.sources").inner_text().count("«Электрондық үкімет» порталы") >= 1  # titles, not ids
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-answer.png"))

    with page.context.expect_page() as opened:
        sources.first.click()
    viewer = opened.value
    viewer.locator("mark#passage").wait_for()
    params = parse_qs(urlsplit(viewer.url).query)
    start, end = int(params["start"][0]), int(params["end"][0])
    doc = viewer.url.split("/view/")[1].split("?")[0]
    text = page.request.get(f"{servers.api}/documents/{doc}").json()["text"]
    assert viewer.locator("mark#passage").text_content() == text[start:end]
    assert viewer.evaluate("document.activeElement.id") == "passage"
    assert viewer.locator("mark#passage").is_visible()
    assert viewer.locator("h1").inner_text() == "«Электрондық үкімет» порталы"


def test_widget_works_cross_origin_on_a_hostile_page(page: object, servers: Servers) -> None:
    sent: list[dict[str, str]] = []
    page.on(
        "request", lambda r: sent.append(r.all_headers()) if r.url.endswith("/ask") and r.method == "POST" else None
    )
    page.goto(servers.host)
    bubble = page.locator("jauap-widget .bubble")
    bubble.wait_for()
    box = bubble.bounding_box()
    assert box and box["width"] >= 50 and box["height"] >= 50  # hostile `button { width: 2px }` did not reach it

    open_widget(page)
    panel = page.locator("jauap-widget .panel").bounding_box()
    assert panel and panel["width"] >= 300 and panel["height"] >= 300
    answer = ask(page, QUESTION_KK)
    assert "25 000" in answer.locator("mark").first.inner_text()
    brand = page.locator("jauap-widget header").evaluate("el => getComputedStyle(el).backgroundColor")
    assert brand == "rgb(10, 90, 156)"  # the host's --jw-brand custom property did not leak in
    assert sent and sent[0].get("origin") == servers.host and len(sent[0].get("x-jauap-session", "")) >= 16

    # ...and the widget left the host page alone: one element, no global styles.
    assert page.evaluate("document.querySelectorAll('jauap-widget').length") == 1
    assert page.evaluate("document.styleSheets.length + document.adoptedStyleSheets.length") == 1
    assert page.locator("#host-button").evaluate("el => getComputedStyle(el).display") == "none"


def test_question_markup_renders_as_text(page: object, servers: Servers) -> None:
    page.goto(servers.host)
    open_widget(page)
    ask(page, f"Порталды қанша азамат пайдаланады? {XSS}")
    user = page.locator("jauap-widget .msg.user p").last
    assert XSS in user.inner_text()
    assert page.locator("jauap-widget img").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_abstained_answer_offers_the_1414_call_centre(page: object, servers: Servers) -> None:
    page.goto(f"{servers.api}/demo")
    open_widget(page)
    answer = ask(page, NONSENSE)
    call = answer.get_by_role("link", name="1414 байланыс орталығына қоңырау шалыңыз")
    assert call.get_attribute("href") == "tel:1414"
    assert answer.locator("mark").count() == 0
    assert "сұраған мәліметіңізді келтірмейді" not in answer.inner_text()  # nothing close: the plain "no answer"


def test_an_abstention_on_the_topic_says_the_documents_do_not_give_what_was_asked(
    page: object, servers: Servers
) -> None:
    page.goto(f"{servers.api}/demo")
    open_widget(page)
    answer = ask(page, "ХҚКО-да жеке куәлікті ауыстыру қанша теңге тұрады?")  # the documents give no such sum
    assert "құжаттар бұл тақырыпты қозғайды, бірақ сұраған мәліметіңізді келтірмейді" in answer.inner_text()
    assert answer.get_by_role("link", name="1414 байланыс орталығына қоңырау шалыңыз").count() == 1
    assert answer.locator("ol.sources li").count() >= 1  # the closest passages


def test_keyboard_language_switch_and_feedback(page: object, servers: Servers) -> None:
    page.goto(f"{servers.api}/demo")
    page.locator("jauap-widget .bubble").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.querySelector('jauap-widget').shadowRoot.activeElement.id") == "jauap-q"

    page.get_by_role("button", name="РУС").click()
    box = page.get_by_role("textbox", name="Ваш вопрос")
    assert box.get_attribute("placeholder") == "Напишите ваш вопрос…"
    box.fill("Сколько стоил тариф Мегалайн?")
    box.press("Enter")
    answer = page.locator("jauap-widget article.answer").first
    answer.wait_for()
    assert "3887" in answer.locator("mark").inner_text()

    # The 👎 click posts at once; wait for it so the reason's post is the one caught below.
    with page.expect_response(lambda r: r.url.endswith("/feedback")) as rated:
        answer.get_by_role("button", name="Нет, бесполезен").click()
    assert "reason" not in rated.value.request.post_data_json
    reason = answer.get_by_role("textbox", name="Что не так? (необязательно)")
    reason.fill("нужно больше подробностей")
    with page.expect_response(lambda r: r.url.endswith("/feedback")) as posted:
        reason.press("Enter")
    assert posted.value.status == 200
    assert posted.value.request.post_data_json["rating"] == -1
    assert posted.value.request.post_data_json["reason"] == "нужно больше подробностей"
    assert answer.locator(".fb-status").inner_text() == "Спасибо! Оценка сохранена."

    page.keyboard.press("Escape")
    assert page.locator("jauap-widget .panel").is_hidden()
    assert page.evaluate("document.querySelector('jauap-widget').shadowRoot.activeElement.className") == "bubble"


def test_widget_fits_a_phone_screen(browser: object, servers: Servers) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(f"{servers.api}/demo")
        open_widget(page)
        ask(page, QUESTION_KK)
        panel = page.locator("jauap-widget .panel").bounding_box()
        assert panel and panel["x"] >= 0 and panel["x"] + panel["width"] <= 360
        log_overflows = page.locator("jauap-widget .log").evaluate("el => el.scrollWidth > el.clientWidth")
        assert not log_overflows
        assert page.locator("jauap-widget .send").is_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "widget-answer-360.png"))
    finally:
        context.close()


def test_search_page_finds_a_passage_and_copies_its_citation(page: object, servers: Servers) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=servers.api)
    page.goto(f"{servers.api}/")
    page.locator("#doc option").nth(3).wait_for(state="attached")  # "all" + the three test documents
    page.locator("h1, .brand").first.click()
    page.keyboard.press("/")
    page.keyboard.type("1414 нөмірі")
    page.keyboard.press("Enter")
    first = page.locator("li.result").first
    first.wait_for()
    assert "1414" in first.locator("mark").all_inner_texts()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.index") == "0"
    page.keyboard.press("c")
    page.get_by_role("status").filter(has_text="Дәйексөз көшірілді").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "1414" in copied and copied.startswith("«")
    assert "«Электрондық үкімет» порталы" in copied and "/view/egov-portal.txt?start=" in copied
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-results.png"))

    page.locator("#doc").select_option("tariffs-ru.txt")
    page.locator("li.result").first.wait_for()
    page.wait_for_function("() => !document.querySelector('#results').hasAttribute('aria-busy')")
    docs = page.locator("li.result a.open").evaluate_all("links => links.map(a => a.href)")
    assert docs and all("/view/tariffs-ru.txt?" in href for href in docs)
