"""The web chat page and the embeddable widget, end to end in real headless Chromium (Debian's `chromium`)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import ARTIFACTS, free_port

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
Q = "Which countries are ready to send peacekeepers to Ukraine?"
SCREENSHOT = ARTIFACTS / "chat-screenshot.png"  # copied by hand to docs/ for the README
# Counts the renders of streamed text in the answer being written (set up before a question is sent).
WATCH_STREAM = """() => { window.__streamed = 0; new MutationObserver(() => {
  if (document.querySelector('.aqa-bot[aria-busy] .aqa-stream')) window.__streamed++;
}).observe(document.body, {subtree: true, childList: true, characterData: true}); }"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    assert Path(CHROMIUM).exists(), "install Debian's chromium (apt-get install chromium); .ci/run does"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _ask(page, question: str, nth: int) -> None:
    """Type a question, send it with Enter, wait until answer number `nth` (0-based) is complete."""
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    page.locator(".aqa-bot").nth(nth).and_(page.locator(".aqa-done, .aqa-failed")).wait_for(timeout=60_000)


@pytest.mark.slow
def test_chat_page_streams_lists_sources_and_followups(browser, server: str) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 1500})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.goto(server + "/")
    page.evaluate(WATCH_STREAM)
    with page.expect_response("**/v1/chat/completions") as resp_info:
        _ask(page, Q, 0)
    assert resp_info.value.headers["content-type"].startswith("text/event-stream")
    assert page.evaluate("window.__streamed") > 0  # the text was shown while it streamed in
    answer = page.locator(".aqa-bot").nth(0)
    # a list answer: one entry per country, each with its stance
    items = answer.locator(".aqa-included .aqa-item")
    assert items.count() >= 3
    ireland = items.filter(has=page.locator(".aqa-name", has_text="Ireland"))
    assert ireland.count() == 1 and ireland.locator(".aqa-stance").inner_text().lower() == "yes"
    # open a source: the cited sentence, with the answer span highlighted, in its passage
    sources = answer.locator(".aqa-source details")
    assert sources.count() >= 1
    ireland.locator(".aqa-cite").first.click()
    opened = answer.locator(".aqa-source details[open]")
    expect(opened).to_have_count(1)
    assert "Ireland" in opened.inner_text() or "Irish" in opened.inner_text()
    assert opened.locator(".aqa-source-body .aqa-context").is_visible()
    assert opened.locator("mark").count() >= 1
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.querySelector('.aqa-log').scrollTop = 0")
    page.screenshot(path=str(SCREENSHOT))
    # a follow-up in the same conversation
    _ask(page, "And Sweden?", 1)
    follow = page.locator(".aqa-bot").nth(1)
    assert "Read as: Is Sweden ready to send peacekeepers to Ukraine?" in follow.inner_text()
    assert follow.locator(".aqa-source details").count() >= 1
    follow.locator(".aqa-source summary").first.focus()
    page.keyboard.press("Enter")  # sources open by keyboard too
    expect(follow.locator(".aqa-source details[open]")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "chat-followup.png"))
    # a question the service cannot take gets a clear reply, and the conversation goes on
    _ask(page, "x" * 1200, 2)
    too_long = page.locator(".aqa-bot").nth(2)
    assert "question is too long (1200 characters; at most 1000)" in too_long.inner_text()
    assert errors == []

    # a phone-sized screen: nothing overflows sideways, the question box and button are on screen
    page.set_viewport_size({"width": 375, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.get_by_role("button", name="Ask").is_visible()
    box = page.get_by_label("Your question").bounding_box()
    assert box and box["y"] + box["height"] <= 740 and box["width"] > 200
    page.screenshot(path=str(ARTIFACTS / "chat-phone.png"))
    page.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.slow
def test_widget_on_another_site(browser, server_factory, tmp_path: Path) -> None:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        with server_factory({"QA_CORS_ORIGINS": origin, "QA_API_KEY": ""}) as service:
            (tmp_path / "index.html").write_text(
                "<!doctype html><html><head><title>A news site</title></head><body><h1>Our newsroom</h1>"
                f'<p>Some article.</p><script src="{service}/widget.js" data-title="Ask our archive" defer></script>'
                "</body></html>"
            )
            page.goto(origin + "/index.html")
            launch = page.get_by_role("button", name="Ask our archive")
            launch.click()
            expect(launch).to_have_attribute("aria-expanded", "true")
            dialog = page.get_by_role("dialog", name="Ask our archive")
            expect(dialog).to_be_visible()
            expect(dialog.get_by_label("Your question")).to_be_focused()
            _ask(page, Q, 0)  # cross-origin: the service's CORS allows this site
            assert dialog.locator(".aqa-item .aqa-name", has_text="Ireland").count() == 1
            page.screenshot(path=str(ARTIFACTS / "widget.png"))
            page.keyboard.press("Escape")
            expect(dialog).to_be_hidden()
            expect(launch).to_have_attribute("aria-expanded", "false")
            launch.click()
        # the service has stopped: the widget says so instead of failing silently
        _ask(page, "And Sweden?", 1)
        error = page.locator(".aqa-bot").nth(1).locator(".aqa-error")
        assert "Cannot reach the articleqa service" in error.inner_text()
    finally:
        page.close()
        site.shutdown()


@pytest.mark.slow
def test_chat_page_with_a_read_key_on_a_public_bind(browser, seed_index_dir: Path) -> None:
    """Reads need a key, writes another: the page asks for a key on 401, works with the read key, and says so
    when the rate limit answers 429."""
    from tests.conftest import run_server

    env = {"QA_API_KEY": "", "QA_READ_KEYS": "page-read-key", "QA_WRITE_KEYS": "never-in-a-page",
           "QA_RATE_LIMIT": "2/minute"}  # fmt: skip
    page = browser.new_page(viewport={"width": 1100, "height": 1200})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        with run_server(seed_index_dir, env=env, host="0.0.0.0") as service:
            page.goto(service + "/")
            box = page.get_by_label("Your question")
            box.fill(Q)
            box.press("Enter")
            key = page.get_by_label("This service needs an API key (a read key is enough):")
            expect(key).to_be_visible()
            key.fill("page-read-key")
            key.press("Enter")  # the question waiting for the key is sent again, with it
            page.locator(".aqa-bot").nth(0).and_(page.locator(".aqa-done")).wait_for(timeout=60_000)
            assert page.locator(".aqa-bot").nth(0).locator(".aqa-name", has_text="Ireland").count() == 1
            _ask(page, "And Sweden?", 1)
            assert page.locator(".aqa-bot").nth(1).locator(".aqa-error").count() == 0
            _ask(page, "Who said that?", 2)  # the third read in a minute
            limited = page.locator(".aqa-bot").nth(2).locator(".aqa-error")
            assert "Too many questions from here just now. Please wait" in limited.inner_text()
    finally:
        page.close()
    assert errors == []


def test_sources_show_their_publication_and_date(browser, seed_index_dir: Path, tmp_path: Path) -> None:
    import shutil

    import httpx

    from tests.api.test_filters_api import WIRE
    from tests.conftest import run_server

    index = tmp_path / "index"
    shutil.copytree(seed_index_dir, index)
    with run_server(index, env={"QA_API_KEY": ""}) as base:
        assert httpx.post(base + "/documents", json={"documents": WIRE}, timeout=120).status_code == 201
        page = browser.new_page()
        page.goto(base + "/")
        _ask(page, "How much will the new harbour in Bergen cost?", 0)
        answer = page.locator(".aqa-bot").nth(0)
        assert "four billion kroner" in answer.inner_text()
        answer.locator(".aqa-source summary").first.click()
        expect(answer.locator(".aqa-source details[open] .aqa-doc-meta")).to_have_text("NRK, 2026-03-02")
        page.close()
