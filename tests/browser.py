"""Render an HTML report in headless Chromium and read back what a person sees: the page's text (innerText, so
markup shown as text stays visible as text) and, per image, whether it loaded (naturalWidth > 0).

The report is copied with a small script appended that, once the page has loaded, writes that information as
JSON into a <pre> element; `--dump-dom` then returns the DOM with it. No network, a new empty profile per call.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
PROBE_ID = "b2h-browser-probe"
PROBE = ("<script>window.addEventListener('load', () => { const p = document.createElement('pre'); "
         f"p.id = '{PROBE_ID}'; p.textContent = JSON.stringify({{text: document.body.innerText, "
         "images: [...document.images].map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth}))}); "
         "document.body.appendChild(p); });</script>")


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def render(html_file, timeout: float = 60.0) -> dict:
    """{'text': the rendered text, 'images': [{'alt', 'complete', 'width'}]} of `html_file` in Chromium."""
    exe = chromium()
    if exe is None:
        raise RuntimeError("no chromium on PATH")
    html_file = Path(html_file)
    with tempfile.TemporaryDirectory(prefix="b2h-chromium-") as tmp:
        page = html_file.parent / f".probe-{html_file.name}"     # same folder: relative image paths still resolve
        page.write_text(html_file.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                        encoding="utf-8")
        try:
            out = subprocess.run([exe, *FLAGS, f"--user-data-dir={tmp}", "--virtual-time-budget=10000",
                                  "--dump-dom", page.resolve().as_uri()],
                                 capture_output=True, text=True, timeout=timeout)
        finally:
            page.unlink()
    m = re.search(rf'<pre id="{PROBE_ID}">(.*?)</pre>', out.stdout, re.S)
    if not m:
        raise RuntimeError(f"chromium returned no probe (exit {out.returncode}): {out.stderr[-500:]}")
    import html
    return json.loads(html.unescape(m.group(1)))
