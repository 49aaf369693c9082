"""Versioned index folders: each ingest builds a new version aside and publishes it with one rename.

    <index_dir>/CURRENT            name of the live version (replaced atomically)
    <index_dir>/versions/v000007/  manifest.json, store.sqlite, vectors.npy, dense.faiss, bm25/, chunk_meta.npz
    <index_dir>/versions/.build-*  a version being written (removed on the next ingest if a crash left it)
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from citewise.index.durable import atomic_write_text, fsync_dir, fsync_tree

CURRENT_NAME = "CURRENT"
VERSIONS_DIR = "versions"


def current_version_dir(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT_NAME
    if not pointer.is_file():
        return None
    return index_dir / VERSIONS_DIR / pointer.read_text(encoding="utf-8", errors="replace").strip()  # damaged: refused on open


def remove_stale_builds(index_dir: Path) -> None:
    """Delete ``.build-*`` folders a crashed ingest left (never live); call only while holding the lock."""
    for stale in (index_dir / VERSIONS_DIR).glob(".build-*"):
        shutil.rmtree(stale, ignore_errors=True)


def new_build_dir(index_dir: Path) -> Path:
    versions = index_dir / VERSIONS_DIR
    versions.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(index_dir)
    build = versions / f".build-{uuid.uuid4().hex[:12]}"
    build.mkdir()
    return build


def next_version_name(index_dir: Path) -> str:
    numbers = [int(p.name[1:]) for p in (index_dir / VERSIONS_DIR).glob("v[0-9]*") if p.name[1:].isdigit()]
    return f"v{max(numbers, default=0) + 1:06d}"


def publish(index_dir: Path, build_dir: Path, name: str, keep: int) -> Path:
    """fsync everything, rename the build into place, then flip CURRENT: a crash at any point leaves
    either the old version or the new one live, never a mixture."""
    fsync_tree(build_dir)
    final = build_dir.parent / name
    build_dir.rename(final)
    fsync_dir(final.parent)
    atomic_write_text(index_dir / CURRENT_NAME, name + "\n")
    _prune(index_dir, keep)
    return final


def _prune(index_dir: Path, keep: int) -> None:
    versions = sorted(p for p in (index_dir / VERSIONS_DIR).glob("v[0-9]*") if p.is_dir())
    live = current_version_dir(index_dir)
    for old in versions[: max(0, len(versions) - max(keep, 1))]:
        if old != live:
            shutil.rmtree(old, ignore_errors=True)
