"""The analysts' page used as a person would: `ews dashboard` on a free port, driven by headless Chromium.

Debian's `chromium` is driven through Playwright's Python package (no browser download). The
first test loads the ranking, filters it, opens an enterprise, switches to English and
records a review, then checks the review is in the workspace database. The second closes
the analysts' loop (issue 17) on a workspace with a champion: it records an action, finds
it beside the firm on the next night, opens "why it moved", the supervisors' page and the
map, and prints the enterprise's brief to PDF (one A4 page holding the firm's name).
Screenshots go to pytest's tmp dir, and to `$EWS_SCREENSHOTS_DIR` when set (that is how
`docs/screenshots/` is made: `EWS_SCREENSHOTS_DIR=docs/screenshots pytest tests/app/test_browser.py`).
Without Chromium the tests skip locally; under `CI` they fail, since CI installs it.
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
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from outputs.actions import VIETNAM, read_actions
from outputs.rankings import read_ranking
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
    yield from _serve(fresh_home)


@pytest.fixture
def champion_dashboard(fresh_champion_home: Path) -> Iterator[str]:
    """`ews dashboard` on the demo workspace with a champion (`MLFLOW_TRACKING_URI` is its own)."""
    yield from _serve(fresh_champion_home)


def _serve(home: Path) -> Iterator[str]:
    _need(CHROMIUM.exists(), f"{CHROMIUM} is not installed")
    port = _free_port()
    env = {**os.environ, "EWS_HOME": str(home), "CI": os.environ.get("CI", "")}
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
            review = _section(page, "Save review")  # the action form below has its own note
            review.get_by_label("Note").fill("Met the director about the arrears")  # type: ignore[attr-defined]
            review.get_by_label("Reviewer").fill("Trần Thị Bình")  # type: ignore[attr-defined]
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


# ----------------------------------------------------------------------------- the analysts' loop

_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def _pdf_pages_and_text(pdf: bytes) -> tuple[int, str]:
    """The page count and the text of a PDF as Chromium (Skia) writes it: each font's ToUnicode
    map decodes the glyph ids its text operators show (enough to find a name; no PDF library)."""
    objects = {int(m.group(1)): m.group(2) for m in _OBJECT.finditer(pdf)}

    def stream(body: bytes) -> bytes:
        found = _STREAM.search(body)
        if found is None:
            return b""
        data = found.group(1)
        return zlib.decompress(data) if b"/FlateDecode" in body[: found.start()] else data

    def to_unicode(number: int) -> dict[int, str]:
        cmap = stream(objects.get(number, b"")).decode("latin-1")
        out: dict[int, str] = {}
        for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
            for gid, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                out[int(gid, 16)] = bytes.fromhex(uni).decode("utf-16-be")
        for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
            for low, high, uni in re.findall(
                r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
            ):
                first = int(uni, 16)
                for offset, gid in enumerate(range(int(low, 16), int(high, 16) + 1)):
                    out[gid] = chr(first + offset)
        return out

    fonts: dict[int, dict[int, str]] = {}
    for number, body in objects.items():
        unicode_ref = re.search(rb"/ToUnicode (\d+) 0 R", body)
        if b"/Type /Font" in body and unicode_ref:
            fonts[number] = to_unicode(int(unicode_ref.group(1)))
    pages = [body for body in objects.values() if re.search(rb"/Type /Page\b", body)]
    text: list[str] = []
    for page in pages:
        names = {name.decode(): int(ref) for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", page)}
        contents = re.search(rb"/Contents (\d+) 0 R", page)
        if contents is None:
            continue
        current: dict[int, str] = {}
        ops = stream(objects[int(contents.group(1))]).decode("latin-1")
        for font, shown in re.findall(r"/(F\d+) [\d.]+ Tf|(\[.*?\]\s*TJ|<[0-9A-Fa-f]*>\s*Tj)", ops, re.S):
            if font:
                current = fonts.get(names.get(font, -1), {})
                continue
            for hexed in re.findall(r"<([0-9A-Fa-f]*)>", shown):
                text.append(
                    "".join(current.get(int(hexed[i : i + 4], 16), "") for i in range(0, len(hexed), 4))
                )
            text.append(" ")
    return len(pages), "".join(text)


def _idle(page: object) -> None:
    """Wait until the script run is over (Streamlit's "running" widget gone), then a moment."""
    page.wait_for_timeout(500)  # type: ignore[attr-defined]
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")  # type: ignore[attr-defined]


def _pick(page: object, label: str, text: str) -> None:
    """`_choose`, tried again when a rerun closed the list before the option could be clicked."""
    for attempt in range(3):
        _idle(page)
        box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label)  # type: ignore[attr-defined]
        box.locator("input").click()
        box.locator("input").fill(text)
        option = page.get_by_role("option", name=text, exact=True).first  # type: ignore[attr-defined]
        try:
            option.click(timeout=5000)
            return
        except Exception:  # noqa: BLE001 - the list closed under us; the last try raises
            page.keyboard.press("Escape")  # type: ignore[attr-defined]
            if attempt == 2:
                raise


def _section(page: object, button: str) -> object:
    """The form whose submit button says `button`."""
    return page.locator('[data-testid="stForm"]').filter(has_text=button)  # type: ignore[attr-defined]


@pytest.mark.slow
def test_the_analysts_loop_in_the_browser(
    champion_dashboard: str,
    fresh_champion_home: Path,
    tmp_path: Path,
    later_night: Callable[[Path, str], None],
) -> None:
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:  # pragma: no cover - the test extras install it
        _need(False, "playwright is not installed")
        return

    import datetime as dt

    home = fresh_champion_home
    name = str(read_ranking(home / "ews.db", "2024-06-30").set_index("enterprise_id").at[GARMENT_ID, "name"])
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2000}, locale="vi-VN")
            page.set_default_timeout(TIMEOUT_MS)
            main = page.locator('[data-testid="stMain"]')

            # 1. Record an action on the garment maker, on the night of 30/06/2024.
            page.goto(f"{champion_dashboard}/?enterprise={GARMENT_ID}&night=2024-06-30")
            expect(page.get_by_role("heading", name=f"({GARMENT_ID})")).to_be_visible()
            form = _section(page, "Lưu hành động")
            _pick(page, "Hành động", "Hòa giải")
            _pick(page, "Kết quả xử lý", "Đã thỏa thuận")
            form.get_by_label("Ghi chú").fill("Hòa giải về nợ lương, công ty hứa trả trước 15/7")  # type: ignore[attr-defined]
            form.get_by_label("Người đánh giá").fill("Lê Văn Cường")  # type: ignore[attr-defined]
            page.get_by_role("button", name="Lưu hành động").click()
            expect(page.get_by_text("Đã lưu hành động.")).to_be_visible()
            form.scroll_into_view_if_needed()  # type: ignore[attr-defined]
            page.wait_for_timeout(1000)
            _save(page, "action-recorded", tmp_path)
            saved = read_actions(home / "ews.db")
            assert list(
                saved[["enterprise_id", "kind", "outcome", "recorded_by"]].itertuples(index=False, name=None)
            ) == [(GARMENT_ID, "mediation", "agreed", "Lê Văn Cường")]

            # 2. The next night is scored; the action is beside the firm in its ranking.
            today = dt.datetime.now(VIETNAM).date()
            later_night(home, str(today))
            page.goto(f"{champion_dashboard}/?page=ranking")
            expect(page.get_by_text(f"Bảng xếp hạng ngày {today:%d/%m/%Y}")).to_be_visible()
            page.get_by_label("Tìm theo mã số thuế hoặc tên").fill(GARMENT_ID)
            page.get_by_label("Tìm theo mã số thuế hoặc tên").press("Enter")
            expect(page.get_by_text("Đang hiển thị 1 / ")).to_be_visible()
            expect(page.get_by_text("Hòa giải (30/06/2024, Đã thỏa thuận)")).to_be_attached()  # a grid cell
            page.wait_for_timeout(2000)
            _save(page, "action-next-night", tmp_path)

            # ... and listed on its page that night.
            page.goto(f"{champion_dashboard}/?enterprise={GARMENT_ID}")
            expect(page.get_by_text("Hòa giải về nợ lương, công ty hứa trả trước 15/7")).to_be_attached()

            # 3. Why it moved, on the night of 30/06/2024: since 31/05 and since a month before.
            page.goto(f"{champion_dashboard}/?enterprise={GARMENT_ID}&night=2024-06-30")
            page.get_by_text("Xem vì sao điểm thay đổi").click()
            expect(page.get_by_text("So với đêm chấm điểm trước (31/05/2024)")).to_be_visible()
            expect(page.get_by_text("So với một tháng trước (30/05/2024)")).to_be_visible()
            expect(page.get_by_text("Điểm: ").first).to_be_visible()
            page.get_by_text("So với đêm chấm điểm trước (31/05/2024)").scroll_into_view_if_needed()
            page.wait_for_timeout(3000)
            _save(page, "why-it-moved", tmp_path)

            # 4. The brief: downloaded as HTML, shown in the page, printed to one A4 page.
            with page.expect_download() as download:
                page.get_by_role("button", name="Tải phiếu doanh nghiệp (HTML, để in)").click()
            brief = Path(download.value.path()).read_text(encoding="utf-8")
            page.get_by_text("Xem phiếu để in").click()
            expect(page.frame_locator("iframe").first.get_by_text(f"{GARMENT_ID}").first).to_be_visible()
            page.locator("iframe").first.scroll_into_view_if_needed()
            page.wait_for_timeout(1000)
            _save(page, "brief", tmp_path)
            printable = browser.new_page()
            printable.set_content(brief)
            pdf = printable.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            printable.close()
            (tmp_path / "brief.pdf").write_bytes(pdf)
            pages, text = _pdf_pages_and_text(pdf)
            assert pages == 1, f"the brief printed on {pages} pages"
            # Chromium places some glyphs one by one: compare without the spaces between them.
            squeezed = "".join(text.split())
            assert "".join(name.split()) in squeezed and GARMENT_ID in squeezed, text[:400]

            # 5. The supervisors' page, with its charts.
            page.goto(f"{champion_dashboard}/?page=supervisors&night=2024-06-30")
            expect(page.get_by_role("heading", name="Hiệu quả cảnh báo")).to_be_visible()
            expect(page.get_by_text("Hiệu chuẩn theo mức cảnh báo")).to_be_visible()
            expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(3)
            main.evaluate("main => main.scrollTo(0, 0)")
            page.wait_for_timeout(3000)
            _save(page, "supervisors", tmp_path)

            # 6. The map of the night.
            page.goto(f"{champion_dashboard}/?page=map&night=2024-06-30")
            expect(page.get_by_role("heading", name="Nguy cơ theo khu vực, đêm 30/06/2024")).to_be_visible()
            if (home / "areas.csv").exists():
                expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(1)
            page.wait_for_timeout(3000)
            _save(page, "map", tmp_path)
        finally:
            browser.close()
