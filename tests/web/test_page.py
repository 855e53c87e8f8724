"""The lookup page in a real browser (Debian's Chromium, headless, through Selenium): typing 焊工
shows 3850 within a second; markup typed in the box shows as text; screenshots at phone and
desktop width kept in test-artifacts/."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.web.conftest import WebServer

MARKUP = "<b>粗</b><img src=x onerror=\"document.title='pwned'\">"


def _wait(condition: Any, timeout: float, what: str) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.02)
    return time.monotonic() - start


def test_typing_a_name_shows_its_figures_within_a_second(
    web: WebServer, browser: Any, artifacts: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.set_window_size(1280, 900)
    browser.get(web.url + "/")
    box = browser.switch_to.active_element  # autofocused: typing goes straight in
    assert box.get_attribute("id") == "q"
    box.send_keys("焊工")
    results = browser.find_element(By.ID, "results")
    took = _wait(lambda: "3850" in results.text, 1.0, "3850 on the page")
    assert took < 1.0 and "4730" in results.text and "紧缺" in results.text
    browser.save_screenshot(str(artifacts / "lookup-desktop.png"))
    browser.set_window_size(390, 844)
    time.sleep(0.2)  # the layout settles before the phone-width picture
    browser.save_screenshot(str(artifacts / "lookup-phone.png"))

    box.send_keys(Keys.ENTER)  # the text as a question to the engine
    answer = browser.find_element(By.ID, "answer-text")
    _wait(lambda: "3850" in answer.text, 2.0, "the engine's answer")


def test_markup_typed_in_the_box_shows_as_text(web: WebServer, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(web.url + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys(MARKUP + Keys.ENTER)
    answer = browser.find_element(By.ID, "answer-text")
    _wait(lambda: answer.text.strip() != "", 2.0, "an answer")
    assert box.get_attribute("value") == MARKUP
    assert not browser.find_elements(By.CSS_SELECTOR, "main b, main img, #answer b, #answer img")
    assert browser.title != "pwned"


def test_markup_in_an_entry_shows_as_text(web: WebServer, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    real = web.services.lookup.search("焊工")[0]
    hostile = replace(real, name=MARKUP, citation=MARKUP, text=MARKUP)
    web.services.lookup.search = lambda query, limit=20: [hostile]  # type: ignore[method-assign]
    browser.get(web.url + "/")
    browser.find_element(By.ID, "q").send_keys("x")
    results = browser.find_element(By.ID, "results")
    _wait(lambda: "粗" in results.text, 1.0, "the card")
    heading = results.find_element(By.CSS_SELECTOR, "h2 span:nth-child(2)")
    assert heading.text == MARKUP and MARKUP in results.text
    assert not results.find_elements(By.CSS_SELECTOR, "b, img") and browser.title != "pwned"
