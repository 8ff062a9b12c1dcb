"""A picture of a report's first screen, as a reader opens it.

    python -m sqla_matrix.report.screenshot report/report.html report/report-first-screen.png

Headless Chromium through Playwright (``MATRIX_BROWSER``, else chromium on the
PATH, else Playwright's own browser); without either, one line and exit 2.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m sqla_matrix.report.screenshot REPORT.html OUT.png", file=sys.stderr)
        return 2
    page_path, out = Path(args[0]), Path(args[1])
    if not page_path.is_file():
        print(f"screenshot: {page_path}: no such report; build it first", file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("screenshot: playwright is not installed (pip install playwright)", file=sys.stderr)
        return 2
    browser = os.environ.get("MATRIX_BROWSER") or shutil.which("chromium")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=browser, args=["--no-sandbox", "--disable-background-networking"]
        )
        page = launched.new_page(viewport={"width": 1400, "height": 900})
        page.goto(page_path.resolve().as_uri())
        page.screenshot(path=str(out))
        launched.close()
    print(f"screenshot: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
