"""A real `kill -9` of a real `citewise ingest` process, mid-embedding and mid-write.

The index built before the kill must still open, hold its papers and answer searches; the next ingest
must resume from the embedding-cache shards the killed run wrote, and clear the half-written build folder.

Input: the bundled listing, then the first SLICE_PAPERS SciFact abstracts (~1,200 chunks, so one
1,024-chunk cache shard is written and the kill lands while the second is being embedded).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from citewise.errors import CitewiseError
from citewise.index.dense import search_dense
from citewise.index.reader import PaperIndex
from citewise.index.versions import VERSIONS_DIR, current_version_dir
from citewise.ingest.chunking import chunk_paper
from citewise.ingest.embedding_cache import EmbeddingCache
from citewise.ingest.pipeline import CACHE_DIR, CACHE_SHARD_CHUNKS, ingest
from citewise.ingest.sources import bundled_listing, read_papers

pytestmark = pytest.mark.slow

SLICE_PAPERS = 600
EMBED_TIMEOUT_S = 300  # first cache shard of the killed run (~40 s of embedding on 2 cores)
WRITE_TIMEOUT_S = 120  # start-up and chunking before the write phase of an all-cached run
CLI = "from citewise.cli import main; main()"


def start_cli_ingest(index_dir: Path, paths: list[Path], log: Path, rebuild: bool = False) -> subprocess.Popen:
    """`citewise ingest` in its own process (through the CLI's entry function, so no PATH lookup)."""
    command = [sys.executable, "-c", CLI, "ingest", *map(str, paths), "--index-dir", str(index_dir), "--quiet"]
    if rebuild:
        command.append("--rebuild")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    handle = log.open("w")
    return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=log.parent)


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen, timeout_s: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"ingest exited ({proc.returncode}) before {what}:\n{log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait(timeout=30)
            pytest.fail(f"no {what} after {timeout_s} s:\n{log.read_text()[-2000:]}")
        time.sleep(0.001)


def kill_9(proc: subprocess.Popen) -> None:
    assert proc.poll() is None, "the process had already finished: the kill would prove nothing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def shards(index_dir: Path) -> set[Path]:
    return set((index_dir / CACHE_DIR).rglob("shard-*.npz"))


def build_dirs(index_dir: Path) -> list[Path]:
    return list((index_dir / VERSIONS_DIR).glob(".build-*"))


def assert_index_answers(index_dir: Path, settings_for, embedder, papers: int, version: str) -> None:
    """Opens, is the expected version with the expected papers, and answers a dense and a lexical search."""
    index = PaperIndex.open(settings_for(index_dir))
    try:
        assert index.manifest.version == version
        assert index.manifest.papers == index.store.paper_count() == papers
        assert index.dense.ntotal == index.lexical.size == index.store.chunk_count()
        rows, _ = search_dense(index.dense, embedder.encode_query("disaggregated prefill and decoding for LLM serving"), 5)
        assert len(rows) == 5
        assert any(index.store.paper_at(index.store.chunk_at(int(r))[1]).title.startswith("DistServe") for r in rows)
        rows, _ = index.lexical.search("DistServe goodput", 5)
        assert index.store.paper_at(index.store.chunk_at(int(rows[0]))[1]).title.startswith("DistServe")
    finally:
        index.store.close()


def test_kill_9_mid_embedding_and_mid_write(
    bundled_index_copy: Path, scifact_corpus: Path, tmp_path: Path, settings_for, embedder
) -> None:
    index_dir = bundled_index_copy  # v000001: the 48 bundled papers, and their vectors in the cache
    settings = settings_for(index_dir)
    lines = scifact_corpus.read_text(encoding="utf-8").splitlines()[:SLICE_PAPERS]
    slice_path = tmp_path / "scifact-slice.jsonl"
    slice_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    slice_papers = read_papers([slice_path], settings.parsing).papers
    new_texts = {c.text for p in slice_papers for c in chunk_paper(p, embedder.count_tokens, settings.chunking)}
    assert CACHE_SHARD_CHUNKS < len(new_texts) < 2 * CACHE_SHARD_CHUNKS
    small = tmp_path / "small.jsonl"
    small.write_text(json.dumps({"_id": "x1", "title": "Concurrent", "text": "A second writer."}) + "\n", encoding="utf-8")
    shards_before = shards(index_dir)
    cache_dir, encoder_id = index_dir / CACHE_DIR, settings.embedding.encoder_id
    cached_before = len(EmbeddingCache(cache_dir, encoder_id, embedder.dimension))

    # 1. kill -9 while embedding: the first cache shard is on disk, the second is being computed
    log = tmp_path / "ingest-1.log"
    proc = start_cli_ingest(index_dir, [slice_path], log)
    try:
        wait_for(lambda: len(shards(index_dir)) > len(shards_before), proc, EMBED_TIMEOUT_S, "new cache shard", log)
        # meanwhile a second writer is turned away (it holds the lock)
        with pytest.raises(CitewiseError, match="Another ingest is writing"):
            ingest([small], settings, show_progress=False, embedder=embedder)
        kill_9(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert current_version_dir(index_dir).name == "v000001"
    assert sorted(p.name for p in (index_dir / VERSIONS_DIR).iterdir()) == ["v000001"]
    assert_index_answers(index_dir, settings_for, embedder, papers=48, version="v000001")
    cached_by_killed_run = len(EmbeddingCache(cache_dir, encoder_id, embedder.dimension)) - cached_before
    assert cached_by_killed_run == CACHE_SHARD_CHUNKS

    # 2. the next ingest resumes: only what the killed run had not saved is embedded
    report = ingest([slice_path], settings, show_progress=False, embedder=embedder)
    assert report.added == SLICE_PAPERS and report.papers_total == 48 + SLICE_PAPERS
    assert report.chunks_embedded == len(new_texts) - CACHE_SHARD_CHUNKS
    assert 0 < report.chunks_embedded < report.chunks_total
    assert report.version == "v000002"
    assert_index_answers(index_dir, settings_for, embedder, papers=48 + SLICE_PAPERS, version="v000002")

    # 3. kill -9 while the new version is being written (everything is cached, so the run goes straight to
    #    writing; --rebuild with the slice alone would publish 600 papers, so a mixture would show)
    caught_mid_write = False
    for attempt in range(3):
        live_before = current_version_dir(index_dir).name
        papers_before = PaperIndex.open(settings).manifest.papers
        log = tmp_path / f"ingest-write-{attempt}.log"
        proc = start_cli_ingest(index_dir, [slice_path], log, rebuild=True)
        try:
            wait_for(lambda: bool(build_dirs(index_dir)), proc, WRITE_TIMEOUT_S, "build folder", log)
            kill_9(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
        if build_dirs(index_dir):  # killed before the rename: the half-written build is all that is left
            caught_mid_write = True
            assert current_version_dir(index_dir).name == live_before
            assert_index_answers(index_dir, settings_for, embedder, papers=papers_before, version=live_before)
            break
        # the kill came after the rename: the old version or the whole new one is live, never a mixture
        index = PaperIndex.open(settings)
        assert (index.manifest.version, index.manifest.papers) in {(live_before, papers_before), (index.manifest.version, SLICE_PAPERS)}
        index.store.close()
    assert caught_mid_write, "the kill never landed inside the write phase"

    # 4. the next ingest clears the half-written build and embeds nothing (all cached)
    report = ingest([bundled_listing(), slice_path], settings, rebuild=True, show_progress=False, embedder=embedder)
    assert report.chunks_embedded == 0
    assert not build_dirs(index_dir)
    assert_index_answers(index_dir, settings_for, embedder, papers=48 + SLICE_PAPERS, version=report.version)
