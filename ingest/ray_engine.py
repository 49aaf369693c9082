"""Embedding on a Ray cluster: Ray Data streams chunk texts to a pool of actors that load the model once each.

Vectors come back to this process shard by shard and the pipeline saves each one in the embedding cache as it
arrives, so workers need no shared disk and a failed or killed run resumes from what was saved. Without an
address a local cluster is started on this machine, so one code path serves a laptop and a cluster.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import numpy as np
from pydantic import BaseModel, Field

from citewise.errors import CitewiseError
from citewise.ingest.embedding import Embedder
from citewise.ingest.engine import Shard
from citewise.settings import EmbeddingSettings

SHARDS_PER_WORKER = 4  # smaller shards than workers x 1 balance uneven texts and resume at a finer grain


class RayOptions(BaseModel):
    """Where and how wide the distributed embedding runs."""

    address: str | None = Field(None, description="Ray cluster (HOST:6379 or 'auto'); None starts one on this machine.")
    workers: int | None = Field(None, ge=1, description="Embedding actors; default: the cluster's CPUs / cpus_per_worker.")
    cpus_per_worker: int = Field(1, ge=1, description="CPUs (and torch threads) per actor.")


def import_ray() -> ModuleType:
    """Ray is an optional extra; say how to get it instead of a bare ImportError."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise CitewiseError("Ray is not installed; pip install 'citewise[ray]'") from None
    return ray


@contextmanager
def ray_session(address: str | None) -> Iterator[ModuleType]:
    """Use the connection this process already has, else connect (or start a local cluster) and shut it down after."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    try:
        if address:
            ray.init(address=address, logging_level=logging.WARNING)
        else:
            ray.init(num_cpus=len(os.sched_getaffinity(0)), include_dashboard=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise CitewiseError(f"Cannot start or reach a Ray cluster at {address or 'this machine'}: {exc}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


class EncodeBatch:
    """A Ray Data actor: loads the model once, then encodes every batch it is sent."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        self.embedder = Embedder(settings)
        self.embedder.model  # noqa: B018 - load at start-up, not inside the first batch

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"hash": batch["hash"], "vector": self.embedder.encode([str(t) for t in batch["text"]])}


class RayEngine:
    """Embeds on Ray: same model, settings and normalisation as the local engine, so the same vectors."""

    def __init__(self, settings: EmbeddingSettings, options: RayOptions | None = None) -> None:
        self.options = options or RayOptions()
        self.settings = settings.model_copy(update={"threads": self.options.cpus_per_worker})
        import_ray()  # fail before any work when the extra is missing

    def shard_size(self, count: int, workers: int, shard_chunks: int) -> int:
        """Chunks per actor call (and saved shard): several per worker, at least one encoder batch, at most shard_chunks."""
        return max(1, min(shard_chunks, max(self.settings.batch_size, math.ceil(count / (SHARDS_PER_WORKER * workers)))))

    def encode_shards(self, hashes: list[str], texts: list[str], shard_chunks: int) -> Iterator[Shard]:
        with ray_session(self.options.address) as ray:
            cpus = int(ray.cluster_resources().get("CPU", 1))
            workers = self.options.workers or max(1, cpus // self.options.cpus_per_worker)
            context = ray.data.DataContext.get_current()
            context.enable_progress_bars = False  # the pipeline shows one bar for the whole embedding
            context.print_on_execution_start = False
            dataset = ray.data.from_items([{"hash": h, "text": t} for h, t in zip(hashes, texts)]).map_batches(
                EncodeBatch,
                fn_constructor_kwargs={"settings": self.settings},
                batch_size=self.shard_size(len(texts), workers, shard_chunks),
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=self.options.cpus_per_worker,
            )
            try:
                for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                    yield [str(h) for h in batch["hash"]], np.asarray(batch["vector"], dtype=np.float32)
            except ray.exceptions.RayError as exc:
                reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
                raise CitewiseError(f"Embedding on Ray failed ({reason}); shards saved so far are kept: run again to resume.") from exc
