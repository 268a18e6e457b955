"""The HTML report of every shipped example, opened in a real headless Chromium: nothing logged
as an error, nothing fetched, nothing wider than the window at 1,280 × 800 or than A4 when
printed, and a PDF printed by the browser on A4 with the Vietnamese text as written.

Skipped where no Chromium is installed (``.ci/run`` installs Debian's ``chromium``); set
``PARRULES_CHROMIUM`` to use another, ``PARRULES_SCREENSHOTS=DIR`` to keep what it drew.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from parrules import cli

from browser import Browser, Page, browser, find
from helpers import study_files

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("*.yaml"))
SOC_TRANG = sorted((ROOT / "examples" / "soc-trang").rglob("*.yaml"))
TAM_DUONG = [ROOT / "examples" / "lai-chau" / f"tam-duong-{y}.yaml" for y in (2022, 2023)]
A4_TEXT = 624  # px: 165 mm, A4 less its 30 and 15 mm margins, at 96 px an inch
EXECUTABLE = find()

pytestmark = pytest.mark.skipif(
    EXECUTABLE is None, reason="no Chromium: apt-get install chromium (or set PARRULES_CHROMIUM)"
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    assert EXECUTABLE is not None
    with browser(EXECUTABLE) as b:
        yield b


def keep(path: Path) -> None:
    where = os.environ.get("PARRULES_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(where) / path.name)


def check(chromium: Browser, page_path: Path, tmp_path: Path, words: list[str]) -> Page:
    page = Page(chromium, page_path)
    assert page.errors() == []
    assert page.requests() == []
    assert page.overflow() == []  # the window: 1,280 × 800
    assert page.overflow("print", A4_TEXT) == []
    png = tmp_path / f"{page_path.stem}.png"
    page.screenshot(png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 1280
    pdf = tmp_path / f"{page_path.stem}.pdf"
    page.pdf(pdf)
    raw = pdf.read_bytes()
    assert raw.startswith(b"%PDF")
    sizes = set(re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", raw))
    assert sizes, "no page in the PDF"
    assert {(round(float(w)), round(float(h))) for w, h in sizes} == {(595, 842)}  # A4
    fonts = set(re.findall(rb"/BaseFont /[A-Z]{6}\+([A-Za-z-]+)", raw))
    assert fonts & {
        b"LiberationSerif",
        b"DejaVuSerif",
        b"Tinos",
        b"TimesNewRomanPSMT",
        b"NotoSerif",
        b"LiberationSerif-Bold",
        b"DejaVuSerif-Bold",
    }, fonts
    if shutil.which("pdftotext"):  # the text as written: every diacritic where it belongs
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        flat = " ".join(text.split())
        for word in words:
            assert word in flat, word
    keep(png)
    keep(pdf)
    return page


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_html_report_of_every_example(chromium: Browser, tmp_path: Path, example: Path) -> None:
    out = tmp_path / f"{example.stem}.html"
    assert cli.main(["explain", str(example), "-o", str(out)]) == 0
    words = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "KẾT QUẢ CHUNG"]
    check(chromium, out, tmp_path, words)


def test_the_html_report_with_last_year_and_rank(chromium: Browser, tmp_path: Path) -> None:
    out = tmp_path / "tam-duong.html"
    argv = ["explain", str(TAM_DUONG[1]), "--previous", str(TAM_DUONG[0]), "-o", str(out)]
    assert cli.main(argv) == 0
    check(chromium, out, tmp_path, ["SO SÁNH VỚI NĂM 2022", "Phòng Tài chính - Kế hoạch"])


def test_the_html_ranking_report(chromium: Browser, tmp_path: Path) -> None:
    out = tmp_path / "xep-hang.html"
    assert cli.main(["rank", *map(str, SOC_TRANG), "-o", str(out)]) == 0
    check(
        chromium, out, tmp_path, ["Thị trấn Phú Lộc", "Điểm trung bình", "Bảng xếp hạng chi tiết"]
    )


def test_the_html_report_in_english(chromium: Browser, tmp_path: Path) -> None:
    out = tmp_path / "tam-duong-en.html"
    assert cli.main(["explain", str(TAM_DUONG[1]), "--lang", "en", "-o", str(out)]) == 0
    check(chromium, out, tmp_path, ["SOCIALIST REPUBLIC OF VIETNAM", "Phòng Nội vụ"])


def test_the_html_uncertainty_report(chromium: Browser, tmp_path: Path) -> None:
    out = tmp_path / "do-tin-cay.html"
    argv = ["uncertainty", *study_files(tmp_path), "--draws", "200", "--workers", "1"]
    assert cli.main([*argv, "-o", str(out)]) == 0
    words = ["Độ tin cậy của điểm, hạng và xếp loại", "Huyện Cường", "Xác suất xếp loại"]
    page = check(chromium, out, tmp_path, words)
    # the chart is drawn from the file itself, as wide as the text at most
    chart = page.evaluate(
        "(() => { const i = document.querySelector('figure img');"
        " return [i.complete, i.naturalWidth, i.getBoundingClientRect().width]; })()"
    )
    loaded, natural, shown = chart
    assert loaded
    assert natural > 1000
    assert 0 < shown <= natural
