"""Ingest: read → merge with the live index → chunk → embed what is new → publish a new version."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import closing
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field
from tqdm.auto import tqdm

from citewise.errors import CitewiseError
from citewise.index.durable import exclusive_lock
from citewise.index.lexical import LexicalTokenizer
from citewise.index.manifest import Manifest
from citewise.index.reader import PaperIndex
from citewise.index.versions import current_version_dir, remove_stale_builds
from citewise.index.writer import write_version
from citewise.ingest.chunking import chunk_paper
from citewise.ingest.embedding import Embedder
from citewise.ingest.embedding_cache import EmbeddingCache
from citewise.ingest.engine import EmbeddingEngine, LocalEngine
from citewise.records import Chunk, Paper, SkippedFile
from citewise.ingest.paper_merge import merge_full_texts
from citewise.ingest.sources import read_papers
from citewise.settings import Settings

CACHE_DIR = "embedding-cache"
CACHE_SHARD_CHUNKS = 1024

ProgressCallback = Callable[[int, int], None]


class IngestReport(BaseModel):
    papers_read: int
    added: int
    updated: int
    unchanged: int
    papers_total: int
    chunks_total: int
    chunks_embedded: int = Field(description="Chunks that were not in the embedding cache.")
    skipped: list[SkippedFile]
    version: str | None
    seconds: float
    seconds_embedding: float


def _previous(settings: Settings, rebuild: bool) -> tuple[list[Paper], list[Chunk], dict[str, str]]:
    """The live version's papers and chunks (empty when rebuilding or when there is none)."""
    if rebuild or current_version_dir(settings.index_dir) is None:
        return [], [], {}
    index = PaperIndex.open(settings)  # refuses a damaged or other-model index with the fix
    try:
        return list(index.store.iter_papers()), list(index.store.iter_chunks()), index.store.content_hashes()
    finally:
        index.store.close()


def embed_missing(
    chunks: list[Chunk],
    engine: EmbeddingEngine,
    cache: EmbeddingCache,
    show_progress: bool,
    on_progress: ProgressCallback | None = None,
) -> int:
    """Embed chunks whose text is not cached, saving each shard the engine returns as it comes (resumable)."""
    missing: dict[str, str] = {}
    for chunk in chunks:
        if chunk.text_hash not in cache:
            missing.setdefault(chunk.text_hash, chunk.text)
    if not missing:  # nothing to do: do not start an engine (a Ray cluster) for it
        return 0
    hashes = list(missing)
    done = 0
    shards = engine.encode_shards(hashes, [missing[h] for h in hashes], CACHE_SHARD_CHUNKS)
    # closing: a failed save still ends the engine's run (and a Ray cluster it started) at once
    with tqdm(total=len(hashes), desc="Embedding", unit="chunk", disable=not show_progress) as bar, closing(shards):
        for part, vectors in shards:
            cache.add(part, vectors)
            done += len(part)
            bar.update(len(part))
            if on_progress:
                on_progress(done, len(hashes))
    return len(hashes)


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    rebuild: bool = False,
    show_progress: bool = True,
    embedder: Embedder | None = None,
    on_progress: ProgressCallback | None = None,
    engine: EmbeddingEngine | None = None,
) -> IngestReport:
    """``embedder`` counts tokens for chunking; ``engine`` computes the vectors (default: ``embedder`` here)."""
    started = time.perf_counter()
    LexicalTokenizer.from_settings(settings.index)  # an unknown stemmer fails now, not after embedding
    read = read_papers(list(paths), settings.parsing, show_progress)
    if not read.papers:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in read.skipped[:3]) or "no input files"
        raise CitewiseError(f"Nothing to ingest ({reasons}). Name .txt/.md/.jsonl/.csv/.pdf files or folders.")
    embedder = embedder or Embedder(settings.embedding)
    with exclusive_lock(settings.index_dir):
        remove_stale_builds(settings.index_dir)  # also when nothing changed and no new version is written
        old_papers, old_chunks, old_hashes = _previous(settings, rebuild)
        papers: dict[str, Paper] = {p.paper_id: p for p in old_papers}
        added = updated = unchanged = 0
        incoming, absorbed = merge_full_texts(read.papers, old_papers)
        changed_ids: set[str] = {i for i in absorbed if papers.pop(i, None)}
        for paper in incoming:
            previous_hash = old_hashes.get(paper.paper_id)
            if previous_hash == paper.content_hash:
                unchanged += 1
                continue
            if previous_hash is None:
                added += 1
            else:
                updated += 1
            papers[paper.paper_id] = paper
            changed_ids.add(paper.paper_id)
        if not changed_ids and not rebuild and old_papers:
            return IngestReport(
                papers_read=len(read.papers), added=0, updated=0, unchanged=unchanged, papers_total=len(papers),
                chunks_total=len(old_chunks), chunks_embedded=0, skipped=read.skipped, version=None,
                seconds=time.perf_counter() - started, seconds_embedding=0.0,
            )
        kept_chunks = [c for c in old_chunks if c.paper_id not in changed_ids]
        fresh = [papers[i] for i in papers if i in changed_ids]
        new_chunks = [
            c for p in tqdm(fresh, desc="Chunking", unit="paper", disable=not show_progress)
            for c in chunk_paper(p, embedder.count_tokens, settings.chunking)
        ]
        order = {pid: i for i, pid in enumerate(papers)}
        chunks = sorted(kept_chunks + new_chunks, key=lambda c: (order[c.paper_id], c.first_sentence))
        cache = EmbeddingCache(settings.index_dir / CACHE_DIR, settings.embedding.encoder_id, embedder.dimension)
        embed_started = time.perf_counter()
        embedded = embed_missing(chunks, engine or LocalEngine(embedder), cache, show_progress, on_progress)
        seconds_embedding = time.perf_counter() - embed_started
        vectors = np.stack([cache.get(c.text_hash) for c in chunks]).astype(np.float32)
        sources = sorted({p.source for p in papers.values() if p.source})
        manifest: Manifest = write_version(settings.index_dir, list(papers.values()), chunks, vectors, settings, sources)
    return IngestReport(
        papers_read=len(read.papers), added=added, updated=updated, unchanged=unchanged, papers_total=len(papers),
        chunks_total=len(chunks), chunks_embedded=embedded, skipped=read.skipped, version=manifest.version,
        seconds=time.perf_counter() - started, seconds_embedding=seconds_embedding,
    )
