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

import contextlib
import hashlib
import io
import json
import os
import secrets
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
from django.db import connection, connections, transaction

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


def _tables() -> list[str]:
    """Every table of the site's models (Django's own included)."""
    return sorted({model._meta.db_table for model in apps.get_models() if model._meta.managed and not model._meta.proxy})


def row_counts(cursor=None) -> dict[str, int]:
    """Rows per table, by `cursor` (default: the site's connection)."""
    own = cursor is None
    cursor = cursor or connection.cursor()
    try:
        counts = {}
        for table in _tables():
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
        return counts
    finally:
        if own:
            cursor.close()


# Not the site's files: the health probe's scratch file, and a restore's own work.
SKIPPED = (".health-", ".restoring-", ".before-restore-")


def _media_files(root: Path):
    for path in sorted(root.rglob("*")) if root.exists() else ():
        relative = path.relative_to(root)
        if any(part.startswith(SKIPPED) for part in relative.parts):
            continue
        if path.is_file() and not path.is_symlink():
            yield relative.as_posix(), path


def _sha256(fh) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def media_hashes(root: Path) -> dict[str, str]:
    found = {}
    for name, path in _media_files(root):
        with open(path, "rb") as fh:
            found[name] = _sha256(fh)
    return found


class _Hashing:
    """A file read into the archive, hashed on the way: one pass, and the hash is of the
    bytes the archive holds."""

    def __init__(self, fh):
        self.fh, self.digest = fh, hashlib.sha256()

    def read(self, size=-1):
        data = self.fh.read(size)
        self.digest.update(data)
        return data


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


@contextlib.contextmanager
def _dumped_database(into: Path):
    """Yield (the dump's file name, the rows per table the dump holds): counted from the
    dump itself (SQLite) or in the very snapshot pg_dump reads (PostgreSQL), so that work
    arriving during the backup never makes it disagree with its own manifest."""
    if _engine() == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(into / "database.sqlite3")
        try:
            connection.connection.backup(target)
            yield "database.sqlite3", row_counts(target.cursor())
        finally:
            target.close()
        return
    args, env = _pg_env()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = row_counts(cursor)
            # The snapshot lives as long as this transaction: pg_dump reads it meanwhile.
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                  "--file", str(into / "database.pgdump"), *args], env)
    yield "database.pgdump", counts


def backup(destination: Path) -> Summary:
    """Write a backup of the database and the media directory to `destination` (a file
    name, or a directory to put a dated one in)."""
    destination = Path(destination)
    if destination.is_dir():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        destination = destination / f"coursework-backup-{stamp}.tar.gz"
    media = Path(settings.MEDIA_ROOT)
    partial = destination.with_name(destination.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="backup-") as work, _dumped_database(Path(work)) as (database_file, counts):
        # The media after the database: see the module's docstring.
        hashes = {}
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(work) / database_file, arcname=database_file)
            for name, path in _media_files(media):
                try:
                    fh = open(path, "rb")
                except FileNotFoundError:
                    continue  # deleted since it was listed (a run's old pictures): no row names it
                with fh:
                    info = tar.gettarinfo(fileobj=fh, arcname=f"media/{name}")
                    reader = _Hashing(fh)
                    tar.addfile(info, reader)
                    hashes[name] = reader.digest.hexdigest()
            manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(), "engine": _engine(),
                        "database_file": database_file, "rows": counts, "media": hashes}
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    partial.replace(destination)  # a backup that exists is a whole one
    return Summary(destination, sum(counts.values()), len(hashes), destination.stat().st_size)


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    return [m for m in tar.getmembers() if m.isfile() and not m.name.startswith("/") and ".." not in Path(m.name).parts]


def restore(archive: Path) -> Summary:
    """Replace the media directory and the database with those of `archive`, then check
    them against its manifest. Raises BackupError if the archive is not a backup of this
    kind of database, there is no room for it, or the result differs from the backup.

    The media first (the likelier to fail: room, permissions), swapped entry by entry
    inside MEDIA_ROOT, which may be a mount point (a compose volume) that cannot itself be
    renamed; then the database."""
    archive = Path(archive)
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    staging, old = media / f".restoring-{token}", media / f".before-restore-{token}"
    with tempfile.TemporaryDirectory(prefix="restore-") as work, tarfile.open(archive, "r:gz") as tar:
        work = Path(work)
        try:
            manifest = json.load(tar.extractfile("manifest.json"))
        except (KeyError, AttributeError, ValueError):
            raise BackupError(f"{archive} has no readable manifest.json: not a backup made by manage.py backup") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{archive} is a backup of format {manifest.get('format')}; this site reads {FORMAT}")
        if manifest["engine"] != _engine():
            raise BackupError(f"{archive} holds a {manifest['engine']} database and this site uses {_engine()}: "
                              "restore it on a site with the same kind of database")
        members = _safe_members(tar)
        needed = sum(m.size for m in members if m.name.startswith("media/"))
        free = shutil.disk_usage(media).free
        if needed > free:
            raise BackupError(f"the backup's media need {needed / 1e6:.0f} MB and the media disk has {free / 1e6:.0f} "
                              "MB free: nothing was changed")
        tar.extractall(staging, members=[m for m in members if m.name.startswith("media/")], filter="data")
        tar.extractall(work, members=[m for m in members if m.name == manifest["database_file"]], filter="data")
        old.mkdir()
        for entry in list(media.iterdir()):
            if entry not in (staging, old):
                entry.rename(old / entry.name)
        if (staging / "media").exists():
            for entry in list((staging / "media").iterdir()):
                entry.rename(media / entry.name)
        shutil.rmtree(staging)
        shutil.rmtree(old)
        try:
            _load_database(work / manifest["database_file"])
        except BackupError as error:
            raise BackupError(f"the media are restored, but the database is not: {error}") from None
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
