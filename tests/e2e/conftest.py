"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Every page opened through ``Browse.new_page`` reports console errors, uncaught exceptions and
Content-Security-Policy violations; the ``browse`` fixture fails the test if there were any.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_service

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PASSWORD = "pass-for-tests-1"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Runs before any page script; reports violations through the console, which we collect.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " in " + e.sourceFile);
});
"""


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    require_service("Chromium", os.path.exists(CHROMIUM), f"no browser at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def jpeg_bytes(chromium: Any) -> bytes:
    """A real JPEG, encoded by the browser's own canvas."""
    page = chromium.new_page()
    data = page.evaluate(
        """() => { const c = document.createElement("canvas"); c.width = 48; c.height = 32;
        const g = c.getContext("2d"); g.fillStyle = "#1d7a46"; g.fillRect(0, 0, 48, 32);
        g.fillStyle = "#ffbf47"; g.fillRect(8, 8, 20, 14); return c.toDataURL("image/jpeg", 0.9).split(",")[1]; }"""
    )
    page.close()
    return base64.b64decode(data)


@dataclass
class Browse:
    browser: Any
    base_url: str
    problems: list[str] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)

    def new_page(self, *, phone: bool = True, js: bool = True, width: int | None = None) -> Any:
        viewport = dict(PHONE if phone else DESKTOP)
        if width:
            viewport["width"] = width
        context = self.browser.new_context(
            viewport=viewport,
            locale="ru-RU",
            java_script_enabled=js,
            is_mobile=phone,
            has_touch=phone,
        )
        context.add_init_script(CSP_LISTENER)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)

        def on_console(message: Any) -> None:
            if message.type == "error" or "Content Security Policy" in message.text:
                self.problems.append(f"{page.url}: console {message.type}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.problems.append(f"{page.url}: uncaught {exc}"))
        return page

    def url(self, path: str) -> str:
        return self.base_url + path

    def login(self, page: Any, username: str) -> None:
        page.goto(self.url("/accounts/login/"))
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(self.url("/"))

    def shot(self, page: Any, name: str) -> None:
        """Save a screenshot, and check the page fits the screen: no sideways scrolling on a phone."""
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            self.problems.append(f"{page.url}: {overflow}px wider than the {page.viewport_size['width']}px screen")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def browse(chromium: Any, live_server: Any, request: Any) -> Iterator[Browse]:
    session = Browse(chromium, live_server.url)
    yield session
    for i, context in enumerate(session.contexts):
        for page in context.pages:  # the last state of every page, to debug a failure
            session.shot(page, f"last-{request.node.name}-{i}")
        context.close()
    assert session.problems == [], "console errors or CSP violations:\n" + "\n".join(session.problems)


@pytest.fixture
def roles(transactional_db: Any) -> None:
    """The role groups from the data migration: a transactional test's flush removed them."""
    from complaints.roles import ensure_role_groups

    ensure_role_groups()


@pytest.fixture
def people(roles: None, make_user: Any, territory: dict[str, Any], category: Any) -> dict[str, Any]:
    category.help_ru = "Начальник требует голосовать «как надо» или прислать фото бюллетеня."
    category.help_kk = "Басшы «керек жаққа» дауыс беруді немесе бюллетеньнің фотосын жіберуді талап етеді."
    category.save()
    return {
        "observer": make_user("observer", username="observer", first_name="Ерлан"),
        "reviewer": make_user(
            "reviewer", [territory["pav"]], username="reviewer", first_name="Айгуль", last_name="Сеитова"
        ),
        "coordinator": make_user("coordinator", username="coordinator", first_name="Марат", last_name="Омаров"),
    }
