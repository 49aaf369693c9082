"""The Ray engine on a real local Ray cluster (2 CPUs) and the first SLICE_PAPERS SciFact abstracts.

It must give the local engine's chunk ids and vectors, resume from the shards a failed run saved (embedding
only the rest), publish an index that opens and answers, and be reachable from `citewise ingest --engine ray`.
"""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'citewise[ray]'): the Ray engine is not tested")

from typer.testing import CliRunner  # noqa: E402

from citewise.cli import cli as app  # noqa: E402
from citewise.errors import CitewiseError  # noqa: E402
from citewise.index.dense import search_dense  # noqa: E402
from citewise.index.reader import PaperIndex  # noqa: E402
from citewise.ingest.embedding_cache import EmbeddingCache  # noqa: E402
from citewise.ingest.engine import select_engine  # noqa: E402
from citewise.ingest.pipeline import CACHE_DIR, ingest  # noqa: E402
from citewise.ingest.ray_engine import RayEngine, RayOptions, import_ray  # noqa: E402

pytestmark = pytest.mark.slow

SLICE_PAPERS = 200
ATOL = 1e-5


@pytest.fixture(scope="module")
def ray_cluster():
    """One local cluster for the module; the engine reuses a connection it finds and leaves it running."""
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=256 * 1024**2, logging_level=logging.WARNING)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def scifact_slice(scifact_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scifact-slice") / "slice.jsonl"
    lines = scifact_corpus.read_text(encoding="utf-8").splitlines()[:SLICE_PAPERS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ray_engine(settings) -> RayEngine:
    return RayEngine(settings.embedding, RayOptions(workers=2))


def index_vectors(settings) -> dict[str, np.ndarray]:
    """chunk id -> its vector in the live version."""
    index = PaperIndex.open(settings)
    try:
        return {c.chunk_id: np.asarray(index.vectors[row]) for row, c in enumerate(index.store.iter_chunks())}
    finally:
        index.store.close()


def cache_shards(index_dir: Path) -> list[Path]:
    return sorted((index_dir / CACHE_DIR).rglob("shard-*.npz"))


def assert_same_vectors(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert list(got) == list(want)  # same chunk ids, in the same rows
    assert np.allclose(np.stack(list(got.values())), np.stack(list(want.values())), atol=ATOL)


@pytest.fixture(scope="module")
def local_index_dir(scifact_slice: Path, tmp_path_factory: pytest.TempPathFactory, settings_for, embedder) -> Path:
    index_dir = tmp_path_factory.mktemp("local-index")
    ingest([scifact_slice], settings_for(index_dir), show_progress=False, embedder=embedder)
    return index_dir


@pytest.fixture(scope="module")
def local_vectors(local_index_dir: Path, settings_for) -> dict[str, np.ndarray]:
    return index_vectors(settings_for(local_index_dir))


@pytest.fixture(scope="module")
def ray_build(ray_cluster, scifact_slice: Path, tmp_path_factory: pytest.TempPathFactory, settings_for, embedder):
    index_dir = tmp_path_factory.mktemp("ray-index")
    settings = settings_for(index_dir)
    report = ingest([scifact_slice], settings, show_progress=False, embedder=embedder, engine=ray_engine(settings))
    return index_dir, report


def test_same_chunk_ids_and_vectors_as_the_local_engine(ray_build, local_vectors, settings_for) -> None:
    index_dir, report = ray_build
    assert report.papers_total == SLICE_PAPERS and report.version == "v000001"
    assert report.chunks_embedded == len(local_vectors) == report.chunks_total
    assert len(cache_shards(index_dir)) > 2  # several shards, so both workers had work and a failure loses little
    assert_same_vectors(index_vectors(settings_for(index_dir)), local_vectors)


def test_the_index_opens_and_answers(ray_build, scifact_slice: Path, settings_for, embedder) -> None:
    index_dir, _ = ray_build
    index = PaperIndex.open(settings_for(index_dir))
    try:
        target = index.store.paper_at(7)
        rows, scores = search_dense(index.dense, embedder.encode_query(target.title), 5)
        assert len(rows) == 5 and scores[0] > 0.5
        assert index.store.paper_at(index.store.chunk_at(int(rows[0]))[1]).paper_id == target.paper_id
        rows, _ = index.lexical.search(target.title, 5)
        assert index.store.paper_at(index.store.chunk_at(int(rows[0]))[1]).paper_id == target.paper_id
    finally:
        index.store.close()


def test_a_failed_run_resumes_from_its_saved_shards(
    ray_build, local_vectors, scifact_slice: Path, tmp_path: Path, settings_for, embedder
) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(ray_build[0], index_dir)
    settings = settings_for(index_dir)
    lost = cache_shards(index_dir)[0]  # as if the run had died before saving this shard
    with np.load(lost) as data:
        lost_rows = len(data["hashes"])
    lost.unlink()

    report = ingest([scifact_slice], settings, rebuild=True, show_progress=False, embedder=embedder, engine=ray_engine(settings))
    assert report.chunks_embedded == lost_rows  # only the missing shard was embedded again
    assert report.version == "v000002"
    assert_same_vectors(index_vectors(settings), local_vectors)

    again = ingest([scifact_slice], settings, show_progress=False, embedder=embedder, engine=ray_engine(settings))
    assert (again.version, again.chunks_embedded, again.unchanged) == (None, 0, SLICE_PAPERS)  # idempotent


def test_a_half_done_run_embeds_only_the_rest(
    ray_cluster, local_index_dir: Path, local_vectors, scifact_slice: Path, tmp_path: Path, settings_for, embedder
) -> None:
    settings = settings_for(tmp_path / "index")
    index = PaperIndex.open(settings_for(local_index_dir))
    try:
        chunks = list(index.store.iter_chunks())
        half = len(chunks) // 2
        cache = EmbeddingCache(settings.index_dir / CACHE_DIR, settings.embedding.encoder_id, embedder.dimension)
        cache.add([c.text_hash for c in chunks[:half]], np.asarray(index.vectors[:half]))  # what a killed run saved
    finally:
        index.store.close()

    report = ingest([scifact_slice], settings, show_progress=False, embedder=embedder, engine=ray_engine(settings))
    assert report.chunks_embedded == len(chunks) - half
    assert_same_vectors(index_vectors(settings), local_vectors)


def test_a_worker_that_cannot_load_the_model_fails_the_run_in_one_line(ray_cluster, settings_for, tmp_path: Path) -> None:
    embedding = settings_for(tmp_path).embedding.model_copy(update={"model_path": str(tmp_path / "no-model")})
    engine = RayEngine(embedding, RayOptions(workers=1))
    with pytest.raises(CitewiseError, match=r"^Embedding on Ray failed \(.*No sentence-transformers model at .*run again to resume\.$"):
        list(engine.encode_shards(["h1"], ["a text"], 64))


def test_cli_ingests_with_the_ray_engine(ray_cluster, scifact_slice: Path, tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text("".join(scifact_slice.read_text(encoding="utf-8").splitlines(keepends=True)[:12]), encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(small), "--engine", "ray", "--index-dir", str(tmp_path / "index"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Ingested 12 papers" in result.output


def test_engine_choice_errors_name_the_fix(monkeypatch: pytest.MonkeyPatch, settings_for, tmp_path: Path) -> None:
    embedding = settings_for(tmp_path).embedding
    assert select_engine("local", embedding) is None
    with pytest.raises(CitewiseError, match="Unknown engine 'spark'; use local or ray"):
        select_engine("spark", embedding)
    with pytest.raises(CitewiseError, match="--ray-address needs --engine ray"):
        select_engine("local", embedding, "10.0.0.1:6379")
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    with pytest.raises(CitewiseError, match=r"^Ray is not installed; pip install 'citewise\[ray\]'$"):
        import_ray()
