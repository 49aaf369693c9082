"""Write one complete index version from papers, chunks and their vectors."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from citewise.index.dense import DENSE_NAME, build_dense, save_dense
from citewise.index.durable import file_sha256
from citewise.index.lexical import LEXICAL_DIR, PAPER_LEXICAL_DIR, LexicalTokenizer, build_lexical
from citewise.index.manifest import FileRecord, Manifest
from citewise.index.store import STORE_NAME, write_store
from citewise.index.versions import new_build_dir, next_version_name, publish
from citewise.records import Chunk, Paper
from citewise.settings import Settings

VECTORS_NAME = "vectors.npy"
# what the files of a version are; 2: BM25 over whole papers beside BM25 over chunks
INDEX_LAYOUT_REVISION = 2
CHUNK_META_NAME = "chunk_meta.npz"


def _chunk_metadata(papers: list[Paper], chunks: list[Chunk]) -> dict[str, np.ndarray]:
    """Per-chunk arrays that metadata filters read without touching the store."""
    by_id = {p.paper_id: (row, p) for row, p in enumerate(papers)}
    paper_row = np.fromiter((by_id[c.paper_id][0] for c in chunks), dtype=np.int32, count=len(chunks))
    ordinal = np.array([p.published.toordinal() if p.published else 0 for p in papers], dtype=np.int32)
    upvotes = np.array([-1 if p.upvotes is None else p.upvotes for p in papers], dtype=np.int32)
    return {"paper_row": paper_row, "published_ordinal": ordinal, "upvotes": upvotes}


def write_version(
    index_dir: Path,
    papers: list[Paper],
    chunks: list[Chunk],
    vectors: np.ndarray,
    settings: Settings,
    sources: list[str],
) -> Manifest:
    build = new_build_dir(index_dir)
    try:
        manifest = _write_files(build, next_version_name(index_dir), papers, chunks, vectors, settings, sources)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)  # a failed write (a full disk, Ctrl-C) gives back the space it took
        raise
    publish(index_dir, build, manifest.version, settings.index.keep_versions)
    return manifest


def _write_files(
    build: Path, name: str, papers: list[Paper], chunks: list[Chunk], vectors: np.ndarray, settings: Settings, sources: list[str]
) -> Manifest:
    """Every file of one version, then its manifest with their sizes and checksums."""
    write_store(build / STORE_NAME, papers, chunks)
    np.save(build / VECTORS_NAME, vectors)
    np.savez(build / CHUNK_META_NAME, **_chunk_metadata(papers, chunks))
    dense, kind = build_dense(vectors, settings.index)
    save_dense(dense, build / DENSE_NAME)
    tokenizer = LexicalTokenizer.from_settings(settings.index)
    build_lexical([c.text for c in chunks], build / LEXICAL_DIR, tokenizer)
    build_lexical([f"{p.title} {p.abstract}" for p in papers], build / PAPER_LEXICAL_DIR, tokenizer)
    files = {
        str(path.relative_to(build)): FileRecord(bytes=path.stat().st_size, sha256=file_sha256(path))
        for path in sorted(build.rglob("*"))
        if path.is_file()
    }
    manifest = Manifest(
        version=name,
        created_at=datetime.now(timezone.utc),
        encoder_id=settings.embedding.encoder_id,
        embedding_dim=int(vectors.shape[1]),
        lexical=tokenizer,
        chunking=settings.chunking.model_dump(),
        faiss_type=kind,
        papers=len(papers),
        chunks=len(chunks),
        sources=sources,
        files=files,
    )
    manifest.write(build)
    return manifest
