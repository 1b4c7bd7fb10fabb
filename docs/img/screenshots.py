"""Take the README's screenshots: the search page and the widget of a running API, in headless Chromium.

    python -m api &                                   # on the built index (make demo builds it)
    python docs/img/screenshots.py [--api http://127.0.0.1:8000] [--out docs/img]

Needs Debian's chromium (/usr/bin/chromium) and playwright (the `test` extra). Writes search.png and widget.png,
quantised to a small palette so the repository stays light.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

SEARCH = "Электрондық үкімет порталы"
QUESTION = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


def _save(png: bytes, path: Path) -> None:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 720}, locale="kk-KZ")
        page.set_default_timeout(60_000)
        page.goto(f"{args.api}/?q={SEARCH}")
        page.locator("li.result").nth(2).wait_for()
        page.wait_for_function("() => !document.querySelector('#results').hasAttribute('aria-busy')")
        _save(page.screenshot(), args.out / "search.png")

        page = browser.new_page(viewport={"width": 900, "height": 760}, locale="kk-KZ")
        page.set_default_timeout(60_000)
        page.goto(f"{args.api}/demo")
        page.get_by_role("button", name="Электрондық үкімет бойынша сұрақ қою").click()
        page.get_by_role("dialog").wait_for()
        box = page.get_by_role("textbox", name="Сұрағыңыз")
        box.fill(QUESTION)
        box.press("Enter")
        page.locator("jauap-widget article.answer").first.wait_for()
        page.wait_for_timeout(500)  # the answer's entrance transition
        _save(page.screenshot(), args.out / "widget.png")
        browser.close()


if __name__ == "__main__":
    main()
