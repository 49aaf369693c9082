"""Where embeddings are computed: this process, or a Ray cluster (``ingest/ray_engine.py``).

The pipeline asks an engine only for the vectors of chunk texts the embedding cache lacks, and saves each
shard the moment it arrives; reading, chunking, the cache (and so resuming) and the index writer stay one
code path whatever computes the vectors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np

from citewise.errors import CitewiseError
from citewise.ingest.embedding import Embedder
from citewise.settings import EmbeddingSettings

Shard = tuple[list[str], np.ndarray]  # text hashes, and their vectors row for row


class EmbeddingEngine(Protocol):
    def encode_shards(self, hashes: list[str], texts: list[str], shard_chunks: int) -> Iterator[Shard]:
        """Vectors of ``texts`` (keyed by ``hashes``), in shards of at most ``shard_chunks``, in any order."""
        ...


class LocalEngine:
    """The embedder in this process, one shard after the other."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def encode_shards(self, hashes: list[str], texts: list[str], shard_chunks: int) -> Iterator[Shard]:
        for start in range(0, len(texts), shard_chunks):
            yield hashes[start : start + shard_chunks], self.embedder.encode(texts[start : start + shard_chunks])


def select_engine(name: str, settings: EmbeddingSettings, ray_address: str | None = None) -> EmbeddingEngine | None:
    """The engine a command line names; None means the pipeline's default (local, with its own embedder)."""
    if name == "ray":
        from citewise.ingest.ray_engine import RayEngine, RayOptions  # Ray is an optional extra

        return RayEngine(settings, RayOptions(address=ray_address))
    if name != "local":
        raise CitewiseError(f"Unknown engine '{name}'; use local or ray.")
    if ray_address:
        raise CitewiseError("--ray-address needs --engine ray.")
    return None
