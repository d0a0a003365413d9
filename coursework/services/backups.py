"""A term's work in one file, and back: the database and the media directory together.

A backup is a gzipped tar holding `database.sqlite3` (SQLite's online backup API, so the
site can keep running) or `database.pgdump` (pg_dump's custom format, one snapshot), the
media directory under `media/`, and `manifest.json`: the rows of every table and the
SHA-256 of every media file. The database is copied first and the media after: a file is
written before the row that names it commits and is never changed afterwards, so every
file a copied row names is in the media copied after it (files of rows made in between
come along, unreferenced, and harm nothing).

A restore puts both back and then checks them against the manifest, so a restore that
finishes is known to be whole; one that is not says which table or file differs.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, connections

FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot be done, with what to do about it."""


@dataclass(frozen=True)
class Summary:
    path: Path
    rows: int
    files: int
    bytes: int


def _engine() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"backups know SQLite and PostgreSQL, not {engine}")


def row_counts() -> dict[str, int]:
    """Rows per table, for every model of the site (Django's own tables included)."""
    return {model._meta.db_table: model._base_manager.count() for model in apps.get_models()
            if model._meta.managed and not model._meta.proxy}


def media_hashes(root: Path) -> dict[str, str]:
    found = {}
    for path in sorted(root.rglob("*")) if root.exists() else ():
        if path.is_file() and not path.is_symlink():
            digest = hashlib.sha256()
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
            found[path.relative_to(root).as_posix()] = digest.hexdigest()
    return found


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    return args, env


def _run(argv: list[str], env: dict[str, str]) -> None:
    if not shutil.which(argv[0]):
        raise BackupError(f"{argv[0]} is not installed (Debian: postgresql-client)")
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {done.stderr.strip()[-2000:]}")


def _dump_database(into: Path) -> str:
    if _engine() == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(into / "database.sqlite3")
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return "database.sqlite3"
    args, env = _pg_env()
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(into / "database.pgdump"), *args],
         env)
    return "database.pgdump"


def backup(destination: Path) -> Summary:
    """Write a backup of the database and the media directory to `destination` (a file
    name, or a directory to put a dated one in)."""
    destination = Path(destination)
    if destination.is_dir():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        destination = destination / f"coursework-backup-{stamp}.tar.gz"
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="backup-") as work:
        work = Path(work)
        database_file = _dump_database(work)  # first: see the module's docstring
        counts = row_counts()
        hashes = media_hashes(media)
        manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(), "engine": _engine(),
                    "database_file": database_file, "rows": counts, "media": hashes}
        partial = destination.with_name(destination.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(work / database_file, arcname=database_file)
            for name in hashes:
                tar.add(media / name, arcname=f"media/{name}")
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        partial.replace(destination)  # a backup that exists is a whole one
    return Summary(destination, sum(counts.values()), len(hashes), destination.stat().st_size)


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    return [m for m in tar.getmembers() if m.isfile() and not m.name.startswith("/") and ".." not in Path(m.name).parts]


def restore(archive: Path) -> Summary:
    """Replace the database and the media directory with those of `archive`, then check
    them against its manifest. Raises BackupError if the archive is not a backup of this
    kind of database or the result differs from what was backed up."""
    archive = Path(archive)
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="restore-") as work, tarfile.open(archive, "r:gz") as tar:
        work = Path(work)
        tar.extractall(work, members=_safe_members(tar), filter="data")
        try:
            manifest = json.loads((work / "manifest.json").read_text())
        except (OSError, ValueError):
            raise BackupError(f"{archive} has no readable manifest.json: not a backup made by manage.py backup") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{archive} is a backup of format {manifest.get('format')}; this site reads {FORMAT}")
        if manifest["engine"] != _engine():
            raise BackupError(f"{archive} holds a {manifest['engine']} database and this site uses {_engine()}: "
                              "restore it on a site with the same kind of database")
        _load_database(work / manifest["database_file"])
        fresh = media.with_name(media.name + ".restoring")
        shutil.rmtree(fresh, ignore_errors=True)
        if (work / "media").exists():
            shutil.copytree(work / "media", fresh)
        else:
            fresh.mkdir(parents=True)
        old = media.with_name(media.name + ".before-restore")
        shutil.rmtree(old, ignore_errors=True)
        if media.exists():
            media.rename(old)
        fresh.rename(media)
        shutil.rmtree(old, ignore_errors=True)
    differences = compare(manifest)
    if differences:
        raise BackupError("the restored site differs from the backup: " + "; ".join(differences[:10]))
    return Summary(archive, sum(manifest["rows"].values()), len(manifest["media"]), archive.stat().st_size)


def _load_database(dump: Path) -> None:
    if _engine() == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(dump)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        return
    connections.close_all()  # nothing of ours holds a table while it is replaced
    args, env = _pg_env()
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", *args,
          str(dump)], env)


def compare(manifest: dict) -> list[str]:
    """How the site now differs from `manifest`: tables with other row counts, media files
    missing or changed."""
    differences = []
    counts = row_counts()
    for table, count in sorted(manifest["rows"].items()):
        if counts.get(table) != count:
            differences.append(f"table {table}: {counts.get(table)} rows, the backup has {count}")
    hashes = media_hashes(Path(settings.MEDIA_ROOT))
    for name, digest in sorted(manifest["media"].items()):
        if hashes.get(name) != digest:
            differences.append(f"media file {name}: {'changed' if name in hashes else 'missing'}")
    return differences
