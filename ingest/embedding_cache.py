"""Vectors already computed, keyed by chunk-text hash, kept in small shards written as ingest goes.

Shards are written atomically as embedding progresses, so a killed or failed ingest keeps the work it
finished and the next run embeds only what is missing.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import numpy as np

from citewise.index.durable import fsync_dir

HASH_BYTES = 64  # hex sha256


class EmbeddingCache:
    def __init__(self, folder: Path, encoder_id: str, dimension: int) -> None:
        """``encoder_id``: ``EmbeddingSettings.encoder_id`` (model and backend; their vectors never mix)."""
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", encoder_id)
        self.folder = folder / slug / str(dimension)
        self.dimension = dimension
        self._rows: dict[str, np.ndarray] = {}
        self._load()

    def _load(self) -> None:
        if not self.folder.is_dir():
            return
        for shard in sorted(self.folder.glob("shard-*.npz")):
            try:
                with np.load(shard) as data:
                    hashes, vectors = data["hashes"], data["vectors"]
            except Exception:  # a damaged shard is only a cache miss
                continue
            if vectors.ndim == 2 and vectors.shape[1] == self.dimension:
                self._rows.update(zip((h.decode() for h in hashes), vectors))

    def __contains__(self, text_hash: str) -> bool:
        return text_hash in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, text_hash: str) -> np.ndarray:
        return self._rows[text_hash]

    def add(self, hashes: list[str], vectors: np.ndarray) -> None:
        """Persist one shard (tmp file, fsync, rename) and remember its rows."""
        if not hashes:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"shard-{uuid.uuid4().hex}.npz"
        tmp = self.folder / f".{name}.tmp"
        try:
            with tmp.open("wb") as handle:
                np.savez(handle, hashes=np.array([h.encode() for h in hashes], dtype=f"S{HASH_BYTES}"), vectors=vectors)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.folder / name)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full disk keeps no half shard
            raise
        fsync_dir(self.folder)
        self._rows.update(zip(hashes, vectors))
