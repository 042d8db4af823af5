"""Browser journeys: the real app in a subprocess, driven by Debian's Chromium through Playwright.

One server per run (`live_server`), on a free localhost port, with a fresh SQLite database that
is migrated and seeded by the same CLI commands as `make run`. Every test gets its own browser
context (pytest-playwright's `context`/`page`) emulating a 360x640 phone in Chinese.

Run with `make e2e` (pytest -m e2e tests/e2e). `make test` deselects these by the marker.
E2E_CHROMIUM=/path/to/chromium overrides the browser; pytest-playwright's options (--headed,
--tracing, --screenshot, --output) work as usual.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 360, "height": 640},
    "screen": {"width": 360, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
SERVER_START_TIMEOUT = 30.0
DEFAULT_TIMEOUT_MS = 10_000


try:  # `make test` installs only the [test] extra; `make e2e` adds playwright and pytest-playwright.
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover
    collect_ignore_glob = ["test_*.py"]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything in this directory is a browser journey, so `-m "not e2e"` never runs it by mistake."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


# ---------------------------------------------------------------------------------------------
# The application under test
# ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310 (localhost)
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@pytest.fixture(scope="session")
def server_env() -> Iterator[dict[str, str]]:
    """The environment the app under test runs with (its DATABASE_URL included), for CLI steps in a test,
    e.g. `python -m flask --app wsgi scheduler once` run from the project root."""
    tmp = Path(tempfile.mkdtemp(prefix="carbon-e2e-"))
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp / 'e2e.db'}",
        "SECRET_KEY": "e2e-secret-key-not-for-production",
        "RATELIMIT_ENABLED": "false",
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name in ("FLASK_DEBUG", "FLASK_RUN_PORT", "FLASK_RUN_HOST", "FLASK_APP", "TEST_DATABASE_URL"):
        env.pop(name, None)
    try:
        yield env
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def live_server(server_env: dict[str, str]) -> Iterator[str]:
    """Migrate, seed and serve the app; yields its base URL, e.g. http://127.0.0.1:54321.

    The server's log (warnings and errors, with tracebacks) goes to screenshots/server.log.
    """
    env = server_env
    server: subprocess.Popen | None = None
    try:
        for step in (("db", "upgrade"), ("seed", "city"), ("seed", "demo")):
            done = subprocess.run(_flask(*step), cwd=ROOT, env=env, capture_output=True, text=True, check=False)
            if done.returncode:
                message = f"flask {' '.join(step)} failed:\n{done.stdout}\n{_tail(done.stderr)}"
                pytest.fail(message, pytrace=False)

        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        SCREENSHOTS.mkdir(exist_ok=True)
        log_path = SCREENSHOTS / "server.log"  # kept after the run: a 500 in a screenshot has its traceback here
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                _flask("run", "--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger"),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                log_text = _tail(log_path.read_text(errors="replace"))
                pytest.fail(f"the app did not start on {url}:\n{log_text}", pytrace=False)
            time.sleep(0.05)
        yield url
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


# ---------------------------------------------------------------------------------------------
# The browser (pytest-playwright's fixtures, pointed at Debian's Chromium and a phone)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """pytest-playwright passes this to every context, so `page.goto("/")` works."""
    return live_server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make install-e2e` (apt-get install chromium)", pytrace=False)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "headless": browser_type_launch_args.get("headless", True),
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, **PHONE}


@pytest.fixture
def page(page, axe_script: str):
    """pytest-playwright's page, with timeouts that survive a busy CI machine (argon2 is slow on purpose),
    and axe-core run on every page it loads: the test fails on any serious or critical violation."""
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    found: list[str] = []
    checked: list[str] = []
    page.expose_function("__axeReport", lambda where, lines: (checked.append(where), found.extend(lines)))
    page.add_init_script(axe_script)
    yield page
    if not page.is_closed():  # the page still open: wait for its last check
        page.evaluate("window.__axeDone || null")
    assert checked, "axe-core never ran: is tests/e2e/vendor/axe.min.js installed (`make install-e2e`)?"
    assert not found, "accessibility (axe-core, serious or critical):\n" + "\n".join(dict.fromkeys(found))


AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# Run after each load, in the top frame only; report the serious and critical violations to Python.
AXE_RUN = """
if (window.top === window) window.addEventListener("load", () => {
  window.__axeDone = new Promise((done) => setTimeout(done, 50)).then(() => axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"],
  })).then((result) => window.__axeReport(location.pathname, result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${location.pathname} ${v.impact} ${v.id}: ${n.target.join(" ")} (${v.help})`))
  ));
});
"""


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core (installed by `make install-e2e`, test-only, never served by the app) and the call that runs it."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make install-e2e` (npm pack axe-core)", pytrace=False)
    return AXE.read_text(encoding="utf-8") + AXE_RUN


# ---------------------------------------------------------------------------------------------
# Helpers for the journeys
# ---------------------------------------------------------------------------------------------

_phones = itertools.count()


@pytest.fixture
def new_phone() -> str:
    """A mainland mobile number no other test of this run has used."""
    return f"139{os.getpid() % 10_000:04d}{next(_phones):04d}"


@pytest.fixture
def shoot(page, request):
    """`shoot("01-home")` saves screenshots/<test name>/01-home.png (the viewport, as a phone sees it)."""
    folder = SCREENSHOTS / request.node.originalname
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)

    def take(name: str, *, full_page: bool = False) -> Path:
        path = folder / f"{name}.png"
        page.wait_for_load_state()  # after a click that navigates, images may not be decoded yet
        if full_page:  # from the top, or the sticky top bar is drawn halfway down the page
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    return take
