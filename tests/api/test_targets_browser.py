"""The search page's Targets view in a real headless Chromium: rows, sorting, viewer links, the chart over years."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from live_server import listening_socket, new_tab, serving
from test_browser import (
    CHROMIUM,
    browser,  # noqa: F401  (the widget tests' headless Chromium, one per module)
)
from test_targets_api import TargetService

from api.app import create_app
from config import Settings
from index.build import build_index

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

TINY = Path(__file__).resolve().parents[1] / "data" / "corpus"
PLAN = (
    "Жоспар\n\nМіндеті: байланысты дамыту. Нысаналы индикаторлар: 1) Интернет желісіне қолжетімді үй "
    "қожалықтарының үлесі 2017 жылы - 65 %; 2020 жылы - 80 %; 2) АКТ-парктердің саны 2017 жылы - 2, 2020 жылы - 4. "
    "Қол жеткізу жолдары бар.\n"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
    tmp = tmp_path_factory.mktemp("targets-browser")
    shutil.copytree(TINY, tmp / "corpus")
    (tmp / "corpus" / "plan.txt").write_text(PLAN, encoding="utf-8")
    index = Settings.of(corpus_dir=tmp / "corpus", index_dir=tmp / "index", embedder="hash",
                          curated_file=tmp / "curated.toml", abstain_below=0.0)
    build_index(index)
    settings = index.replace(rate_limit="0", querylog_path=tmp / "q.sqlite3", log_level="WARNING")
    app = create_app(settings)
    with closing(listening_socket()) as sock, serving(app, sock, lifespan="on"):
        app.state.service = TargetService(app.state.service)  # answers carry their target rows, as once wired
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app


@pytest.fixture
def api(served: tuple[str, object]) -> str:
    return served[0]


@pytest.fixture
def page(api: str, browser: object) -> Iterator[object]:  # noqa: F811
    errors: list[str] = []
    with new_tab(browser, 900) as pg:
        pg.on("pageerror", lambda e: errors.append(str(e)))
        yield pg
    assert not errors, f"JavaScript errors: {errors}"


def cells(page: object, column: int) -> list[str]:
    return page.locator(f"#targets-table tbody tr td:nth-child({column})").all_inner_texts()


def test_targets_view_sorts_links_and_charts(page: object, api: str) -> None:
    page.goto(f"{api}/?lang=kk")
    page.get_by_text("Нысаналы көрсеткіштер").click()
    page.locator("#targets-table tbody tr").nth(5).wait_for()
    assert page.locator("#targets-table tbody tr").count() == 6  # 2 tiny-corpus rows + 4 plan rows
    assert "≤ 3 жұмыс күні" in cells(page, 3)

    page.get_by_role("button", name="Мәні").click()  # numeric sort, ascending then descending
    assert page.locator("th[aria-sort=ascending]").count() == 1
    ascending = [float(re.search(r"\d+(?:[.,]\d+)?", v).group().replace(",", ".")) for v in cells(page, 3)]
    assert ascending == sorted(ascending)
    page.get_by_role("button", name="Мәні").click()
    assert page.locator("th[aria-sort=descending]").count() == 1

    row = page.locator("#targets-table tbody tr", has_text="үй қожалықтарының").first
    link = row.locator("a")
    params = parse_qs(urlsplit(link.get_attribute("href")).query)
    start, end = int(params["start"][0]), int(params["end"][0])
    with page.context.expect_page() as opened:
        link.click()
    viewer = opened.value
    viewer.locator("mark#passage").wait_for()
    assert viewer.locator("mark#passage").text_content() == PLAN[start:end]
    assert viewer.locator("mark#passage").text_content().startswith("1) Интернет желісіне")

    row.locator("button.chart-button").click()
    chart = page.locator("#targets-chart svg")
    chart.wait_for()
    assert chart.locator("circle").count() == 2
    assert [c.get_attribute("data-year") for c in chart.locator("circle").all()] == ["2017", "2020"]
    assert "80 %" in chart.text_content()

    page.fill("#targets-q", "akt-parkterdin")  # Latin typing finds the Cyrillic indicator
    playwright_api.expect(page.locator("#targets-table tbody tr")).to_have_count(2)
    assert set(cells(page, 1)) == {"АКТ-парктердің саны 📈"}
    page.select_option("#targets-year", "2020")
    playwright_api.expect(page.locator("#targets-table tbody tr")).to_have_count(1)
    assert cells(page, 3) == ["4"]


def test_widget_shows_indicator_year_value_when_a_target_answers(page: object, api: str) -> None:
    page.goto(f"{api}/demo")
    page.get_by_role("button", name="Электрондық үкімет бойынша сұрақ қою").click()
    box = page.get_by_role("textbox", name="Сұрағыңыз")
    box.fill("2020 жылға қарай АКТ-парктердің саны қанша болуы тиіс?")
    box.press("Enter")
    answer = page.locator("jauap-widget article.answer").first
    answer.wait_for()
    lines = answer.locator("ul.target li").all_inner_texts()
    assert lines == ["АКТ-парктердің саны · 2020 · 4"]
    assert answer.locator("ul.target b").inner_text() == "4"
    assert "АКТ-парктердің саны" in answer.locator("blockquote mark").inner_text()
