"""Crash-safe file primitives: write, fsync, rename; a reader never sees a half-written file or folder."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from citewise.errors import CitewiseError


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Flush every file, then every folder bottom-up, so a rename of ``root`` publishes complete data."""
    for folder, _, files in os.walk(root, topdown=False):
        for name in files:
            fd = os.open(Path(folder) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(folder))


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def file_sha256(path: Path, chunk_bytes: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def out_of_space(exc: BaseException) -> bool:
    """ENOSPC as numpy/json (OSError), SQLite ("database or disk is full") and FAISS (RuntimeError) report it."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return "disk is full" in text or "no space left" in text or "quota exceeded" in text


@contextmanager
def exclusive_lock(index_dir: Path) -> Iterator[None]:
    """One writer per index; a second ingest is told to wait instead of interleaving its files.
    A full disk while writing is reported in one line (the live version is untouched) rather than as a traceback."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CitewiseError(f"Another ingest is writing {index_dir}; wait for it to finish and run again.") from None
        try:
            yield
        except Exception as exc:
            if not out_of_space(exc):
                raise
            free_mb = shutil.disk_usage(index_dir).free / 1e6
            raise CitewiseError(
                f"Not enough disk space to write the index at {index_dir} ({free_mb:.1f} MB free); free some space "
                "or set index_dir on a bigger disk, then run the ingest again. The previous index version is unchanged."
            ) from None
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
