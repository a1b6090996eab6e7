"""The analysts' page used as a person would: `ews dashboard` on a free port, driven by headless Chromium.

Debian's `chromium` is driven through Playwright's Python package (no browser download). The
test loads the ranking, filters it, opens an enterprise, switches to English and records a
review, then checks the review is in the workspace database. Screenshots go to pytest's
tmp dir, and to `$EWS_SCREENSHOTS_DIR` when set (that is how `docs/screenshots/` is made).
Without Chromium the test skips locally; under `CI` it fails, since CI installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from outputs.reviews import read_reviews

CHROMIUM = Path("/usr/bin/chromium")
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
GARMENT_ID = "3714467586"  # a garment maker in Dĩ An, rank 2 of the last demo night (see conftest)
TIMEOUT_MS = 60_000


def _need(condition: bool, why: str) -> None:
    """Skip when something the browser test needs is missing; under CI that is a failure."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI must install it: make browser)")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"ews dashboard exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the page did not answer on {url} within {seconds:.0f} s")


@pytest.fixture
def dashboard(fresh_home: Path) -> Iterator[str]:
    """`ews dashboard --port <free>` on the demo workspace; stopped (Ctrl-C, then kill) afterwards."""
    _need(CHROMIUM.exists(), f"{CHROMIUM} is not installed")
    port = _free_port()
    env = {**os.environ, "EWS_HOME": str(fresh_home), "CI": os.environ.get("CI", "")}
    command = [sys.executable, "-c", "from cli.main import main; main()", "dashboard", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _save(page: object, name: str, tmp_path: Path) -> None:
    """Full-page screenshot to tmp_path and, when asked, to $EWS_SCREENSHOTS_DIR."""
    target = tmp_path / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)  # type: ignore[attr-defined]
    wanted = os.environ.get("EWS_SCREENSHOTS_DIR")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, Path(wanted) / f"{name}.png")


def _choose(page: object, label: str, text: str, *, exact: bool = False) -> None:
    """Pick the option `text` (or the first containing it) in the Streamlit selectbox labelled `label`."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label)  # type: ignore[attr-defined]
    box.locator("input").click()
    box.locator("input").fill(text)
    page.get_by_role("option", name=text, exact=exact).first.click()  # type: ignore[attr-defined]


def test_an_analyst_reviews_an_enterprise_in_the_browser(
    dashboard: str, fresh_home: Path, tmp_path: Path
) -> None:
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:  # pragma: no cover - the test extras install it
        _need(False, "playwright is not installed")
        return

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # A tall window: Streamlit scrolls inside its main block, so a screenshot holds one window.
            page = browser.new_page(viewport={"width": 1400, "height": 2000}, locale="vi-VN")
            page.set_default_timeout(TIMEOUT_MS)
            # 1. The ranking of the latest night, in Vietnamese.
            page.goto(dashboard)
            expect(page.get_by_text("Bảng xếp hạng ngày 30/06/2024")).to_be_visible()
            expect(page.get_by_text("Đang hiển thị 1.460 / 1.460 doanh nghiệp")).to_be_visible()
            page.wait_for_timeout(3000)  # let the charts draw before the picture
            _save(page, "ranking", tmp_path)

            # 2. Filter to apparel (VSIC 14): the count narrows.
            _choose(page, "Ngành (VSIC)", "14", exact=True)
            expect(page.get_by_text("/ 1.460 doanh nghiệp")).not_to_have_text(
                "Đang hiển thị 1.460 / 1.460 doanh nghiệp"
            )
            count = page.get_by_text("/ 1.460 doanh nghiệp").inner_text()
            assert count != "Đang hiển thị 1.460 / 1.460 doanh nghiệp"

            # 3. Open the garment maker at the top of that list.
            _choose(page, "Mở hồ sơ doanh nghiệp", f"{GARMENT_ID} — ")
            expect(page.get_by_role("heading", name=f"({GARMENT_ID})")).to_be_visible()
            expect(
                page.get_by_text("Chỉ số theo tháng (chỉ những gì đã biết vào đêm 30/06/2024)")
            ).to_be_visible()
            expect(page).to_have_url(re.compile(f"enterprise={GARMENT_ID}"))
            page.locator('[data-testid="stMain"]').evaluate("main => main.scrollTo(0, 0)")
            page.wait_for_timeout(2000)
            _save(page, "enterprise", tmp_path)

            # 4. Switch to English.
            page.get_by_text("English", exact=True).click()
            expect(page.get_by_text("Monthly indicators (only what was known on 2024-06-30)")).to_be_visible()
            expect(page).to_have_url(re.compile("lang=en"))

            # 5. Record a review.
            page.get_by_text("Action taken", exact=True).click()
            page.get_by_label("Note").fill("Met the director about the arrears")
            page.get_by_label("Reviewer").fill("Trần Thị Bình")
            page.get_by_role("button", name="Save review").click()
            expect(page.get_by_text("Review saved.")).to_be_visible()
            expect(page.get_by_text("Met the director about the arrears")).to_be_attached()  # a grid cell
            _save(page, "review", tmp_path)
        finally:
            browser.close()

    rows = read_reviews(fresh_home / "ews.db")
    assert list(
        rows[["enterprise_id", "as_of", "status", "reviewer", "note"]].itertuples(index=False, name=None)
    ) == [(GARMENT_ID, "2024-06-30", "action_taken", "Trần Thị Bình", "Met the director about the arrears")]
