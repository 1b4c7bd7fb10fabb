"""Markup and script inside an indexed document (its text, its catalogue title and its file name) render as text in
the widget on another site, the search page and the viewer, in a real headless Chromium: no element is injected,
no script runs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from live_server import hosting, listening_socket, new_tab, serving
from test_browser import (  # the Chromium fixture and helpers of the widget tests
    HOSTILE_PAGE,
    Servers,
    ask,
    browser,  # noqa: F401  (one headless Chromium per module, launched by the widget tests' fixture)
    open_widget,
)

from api.app import create_app
from config import Settings
from index.build import build_index

pytestmark = pytest.mark.browser

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
PAYLOADS = [
    "<img src=x onerror=window.__xss=1>",
    "<script>window.__xss=2</script>",
    '"><svg onload=window.__xss=3>',
    "<a href=javascript:window.__xss=4>сілтеме</a>",
    "<style>*{display:none!important}</style>",
    "{{7*7}} ${7*7} %BASE%",
]
DOC_NAME = "<img src=x onerror=window.__xss=5>.txt"
TITLE = "<b onmouseover=window.__xss=6>Зиянды</b> \u202eтақырып"
DOC_TEXT = (
    "Теледидар хабарларының тізімі\n\n"
    f"Теледидар арнасында 4242 хабар көрсетілді {PAYLOADS[0]} {PAYLOADS[1]}.\n"
    f"Теледидар хабарларының саны {PAYLOADS[2]} {PAYLOADS[3]} артты.\n"
    f"Теледидар {PAYLOADS[4]} {PAYLOADS[5]} \u202eжыл сайын\u202c \u200bжаңарады.\n"
)
QUESTION = "Теледидар арнасында қанша хабар көрсетілді?"


STRICT_HOST = """<!doctype html><html><head><meta charset="utf-8"><title>Strict host</title></head>
<body><p>Host page with a strict policy.</p><script src="{api}/widget.js" data-lang="kk" defer></script></body></html>
"""


@dataclass
class HostileServers(Servers):
    strict_host: str  # a third origin: a host page with a strict Content-Security-Policy


@pytest.fixture(scope="module")
def hostile_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileServers]:
    tmp = tmp_path_factory.mktemp("hostile-docs")
    corpus = tmp / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / DOC_NAME).write_text(DOC_TEXT, encoding="utf-8")
    catalog = (corpus / "catalog.toml").read_text(encoding="utf-8")
    (corpus / "catalog.toml").write_text(catalog + f'\n["{DOC_NAME}"]\ntitle_kk = "{TITLE}"\n', encoding="utf-8")
    index_settings = Settings.of(
        corpus_dir=corpus, index_dir=tmp / "index", embedder="hash", curated_file=tmp / "curated.toml",
        abstain_below=0.0,
    )  # fmt: skip
    build_index(index_settings)
    with closing(listening_socket()) as api_sock:
        api = f"http://127.0.0.1:{api_sock.getsockname()[1]}"
        # a government site with a strict CSP: scripts and requests to the API only, no inline styles or scripts
        policy = f"default-src 'none'; script-src {api}; connect-src {api}; style-src 'self'; img-src 'self'"
        with (
            hosting(HOSTILE_PAGE.replace("{api}", api)) as host,
            hosting(STRICT_HOST.replace("{api}", api), {"Content-Security-Policy": policy}) as strict_host,
        ):
            settings = index_settings.replace(
                rate_limit="0", cors_origins=f"{host},{strict_host}", querylog_path=tmp / "q.sqlite3",
                log_level="WARNING",
            )  # fmt: skip
            with serving(create_app(settings), api_sock):
                yield HostileServers(api=api, host=host, strict_host=strict_host)


@pytest.fixture
def tab(browser: object) -> Iterator[object]:  # noqa: F811
    dialogs: list[str] = []
    with new_tab(browser, 820) as p:
        p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        yield p
    assert not dialogs


def _inert(page: object, scope: str) -> None:
    """Nothing of the payloads became an element, and none of their scripts ran."""
    assert page.evaluate("typeof window.__xss") == "undefined"
    tags = ("img", "svg", "script:not([src])", "style", "a[href^=javascript]")
    injected = ", ".join(f"{scope} {tag}" for tag in tags)
    counts = page.evaluate(
        """(sel) => {
            const hosts = [...document.querySelectorAll('*')].map(e => e.shadowRoot).filter(Boolean);
            const payload = (e) => /xss|display:none!important/.test(e.outerHTML);
            return [document, ...hosts].map(r => [...r.querySelectorAll(sel)].filter(payload).length)
        }""",
        injected,
    )
    assert sum(counts) == 0, counts


def test_widget_on_another_site_shows_document_markup_as_text(tab: object, hostile_servers: Servers) -> None:
    tab.goto(hostile_servers.host)
    open_widget(tab)
    answer = ask(tab, QUESTION)
    shown = answer.inner_text()
    assert "4242" in shown and "<img src=x onerror=window.__xss=1>" in shown
    assert "<b onmouseover=window.__xss=6>Зиянды</b>" in answer.locator("ol.sources").inner_text()
    _inert(tab, "*")


def test_search_page_shows_document_markup_as_text(tab: object, hostile_servers: Servers) -> None:
    tab.goto(f"{hostile_servers.api}/")
    box = tab.locator("#q")
    box.fill("теледидар хабарларының <script>window.__xss=7</script>")
    box.press("Enter")
    tab.locator("li.result").first.wait_for()
    results = tab.locator("#results").inner_text()
    assert "<script>window.__xss=2</script>" in results and "{{7*7}} ${7*7} %BASE%" in results
    options = tab.locator("#doc option").all_inner_texts()
    assert any("<b onmouseover=window.__xss=6>Зиянды</b>" in o for o in options)
    _inert(tab, "*")


def test_viewer_shows_document_markup_and_a_hostile_name_as_text(tab: object, hostile_servers: Servers) -> None:
    start = DOC_TEXT.index("Теледидар арнасында")
    end = DOC_TEXT.index("\n", start)
    tab.goto(f"{hostile_servers.api}/view/{quote(DOC_NAME, safe='')}?start={start}&end={end}")
    passage = tab.locator("mark#passage")
    passage.wait_for()
    assert passage.text_content() == DOC_TEXT[start:end]
    assert "<b onmouseover=window.__xss=6>Зиянды</b>" in tab.locator("h1").inner_text()
    assert "<style>*{display:none!important}</style>" in tab.locator("body").inner_text()
    _inert(tab, "*")
    # offsets from the address bar are numbers or nothing: a script there is not run either
    tab.goto(f"{hostile_servers.api}/view/{quote(DOC_NAME, safe='')}?start=<script>&end=javascript:alert(1)")
    tab.locator("h1").wait_for()
    _inert(tab, "*")


def test_widget_works_on_a_host_page_with_a_strict_csp(tab: object, hostile_servers: HostileServers) -> None:
    """The widget needs no 'unsafe-inline' from its host: its styles live in its Shadow DOM's constructed sheets."""
    tab.add_init_script(
        "window.__violations = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    tab.goto(hostile_servers.strict_host)
    bubble = tab.locator("jauap-widget .bubble")
    bubble.wait_for()
    box = bubble.bounding_box()
    assert box and box["width"] >= 50 and box["height"] >= 50  # styled, so its sheet was applied
    open_widget(tab)
    answer = ask(tab, QUESTION)
    assert "4242" in answer.inner_text()
    assert tab.evaluate("window.__violations") == []
