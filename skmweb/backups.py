"""Backups of a SQLite database that can only ever remove backups.

A backup is made with SQLite's online backup API (a consistent snapshot, also while the app writes) and
marked twice: ``PRAGMA application_id`` and a row in a small ``_skm_backup`` table recording the command
that made it and the file name it was written under. ``--keep`` removes a file only when its name fits
the ``--out`` pattern it was asked for, it carries both marks, the recorded name is its own name, and it
is not the live database: never by a glob alone. A restore removes the marks from the restored copy.
"""
from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime
from pathlib import Path

APPLICATION_ID = 0x534B4D42  # "SKMB"
MARKER_TABLE = "_skm_backup"


class BackupError(Exception):
    """A backup or restore could not be done as asked; the message says why."""


def copy_database(source: sqlite3.Connection, target: str | Path) -> None:
    """A consistent copy of ``source`` in one self-contained file (no -wal beside it)."""
    destination = sqlite3.connect(str(target))
    try:
        source.backup(destination)
        destination.execute("PRAGMA journal_mode=DELETE")
    finally:
        destination.close()


def make_backup(source: sqlite3.Connection, target: Path, made_by: str) -> None:
    """Copy ``source`` to ``target``, mark the copy as a backup and check its integrity. The copy is made
    beside the target and renamed into place, so ``target`` is never a half-written file; an existing
    ``target`` is replaced only when it is a backup ``made_by`` made under that name."""
    if target.exists() and not is_own_backup(target, made_by):
        raise BackupError(f"{target} exists and is not a backup made by {made_by}: it is left alone")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    copy_database(source, partial)
    conn = sqlite3.connect(str(partial), isolation_level=None)
    try:
        conn.execute(f"CREATE TABLE {MARKER_TABLE} (made_by TEXT NOT NULL, file_name TEXT NOT NULL, "
                     f"made_at TEXT NOT NULL)")
        conn.execute(f"INSERT INTO {MARKER_TABLE} VALUES (?, ?, ?)",
                     (made_by, target.name, datetime.now().astimezone().isoformat(timespec="microseconds")))
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    finally:
        conn.close()
    check = integrity(partial)
    if check != "ok":
        partial.unlink()
        raise BackupError(f"{target}: the copy fails its integrity check: {check}")
    os.replace(partial, target)


def integrity(path: str | Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def backup_marker(path: Path) -> tuple[str, str, str] | None:
    """(made_by, file_name, made_at) if ``path`` is a SQLite file marked as a backup, else None."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            return None
        row = conn.execute(f"SELECT made_by, file_name, made_at FROM {MARKER_TABLE}").fetchone()
        return tuple(row) if row else None
    except sqlite3.Error:  # not a database, or not ours
        return None
    finally:
        conn.close()


def is_own_backup(path: Path, made_by: str) -> bool:
    """Marked as a backup that ``made_by`` wrote under this very name (a renamed copy is not)."""
    marker = backup_marker(path)
    return marker is not None and marker[:2] == (made_by, path.name)


def name_pattern(out_template: str) -> re.Pattern:
    """The file names ``--out`` can produce: its strftime codes each stand for some characters."""
    parts = re.split(r"(%.)", Path(out_template).name)
    return re.compile("".join(".+?" if p.startswith("%") and len(p) == 2 else re.escape(p) for p in parts) + r"\Z")


def remove_old_backups(out_template: str, made_by: str, keep: int, live: Path) -> list[Path]:
    """Delete all but the ``keep`` newest backups that ``made_by`` wrote under ``out_template``'s folder and
    naming; never the live database or any other file. Returns the removed paths."""
    folder = Path(datetime.now().strftime(out_template)).parent
    pattern = name_pattern(out_template)
    ours = []
    for path in folder.iterdir():
        if not path.is_file() or not pattern.match(path.name) or same_file(path, live):
            continue
        if is_own_backup(path, made_by):
            marker = backup_marker(path)
            assert marker is not None  # is_own_backup has just read it
            ours.append((marker[2], path))
    removed = [path for _made_at, path in sorted(ours, reverse=True)[keep:]]
    for path in removed:
        path.unlink()
    return removed


def same_file(path: Path, live: Path) -> bool:
    return path.resolve() == live.resolve() or path.name.startswith(live.name + "-")  # its -wal and -shm


def clear_marker(path: Path) -> None:
    """Make a restored copy a live database again, so no ``--keep`` ever takes it for a backup."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")
        conn.execute("PRAGMA application_id = 0")
    finally:
        conn.close()


def restore_new(backup: Path, target: Path) -> None:
    """Put ``backup`` in place as the database ``target`` of a new instance (refused when one exists)."""
    check = integrity(backup)
    if check != "ok":
        raise BackupError(f"{backup}: fails its integrity check: {check}")
    if target.exists():
        raise BackupError(f"{target} exists: restore into a new instance folder, or move the database aside "
                          f"first")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        copy_database(source, target)
    finally:
        source.close()
    clear_marker(target)
