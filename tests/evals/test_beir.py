"""Benchmark loaders (BEIR and SciFact layouts) and `citewise eval beir` on a small SciFact slice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citewise.errors import CitewiseError
from citewise.evals.datasets import load_beir, load_benchmark, load_scifact

SLICE_DOCS = 300


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def beir_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    (folder / "qrels").mkdir(parents=True)
    _write_jsonl(folder / "corpus.jsonl", [
        {"_id": "d1", "title": "Speculative decoding", "text": "A draft model proposes tokens. The target model verifies them."},
        {"_id": "d2", "title": "KV cache quantisation", "text": "Keys and values are stored in 4 bits."},
        {"_id": "d3", "title": "", "text": "An untitled abstract about batching requests."},
    ])
    _write_jsonl(folder / "queries.jsonl", [
        {"_id": "q1", "text": "How does speculative decoding verify tokens?"},
        {"_id": "q2", "text": "How many bits for the KV cache?"},
        {"_id": "q3", "text": "A query judged irrelevant everywhere"},
        {"_id": "q4", "text": "A query without judgements"},
    ])
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\nq2\td3\t1\nq3\td1\t0\n", encoding="utf-8"
    )
    return folder


def test_beir_loader(beir_folder: Path):
    bench = load_beir(beir_folder, "test")
    assert bench.layout == "beir" and bench.name == "tiny" and bench.split == "test"
    assert {q.id: q.relevant for q in bench.queries} == {"q1": {"d1"}, "q2": {"d2", "d3"}}  # score 0 is not relevant
    assert bench.queries[0].text == "How does speculative decoding verify tokens?"
    assert load_benchmark(beir_folder, "test").queries == bench.queries
    with pytest.raises(CitewiseError, match="dev.tsv"):
        load_beir(beir_folder, "dev")


def test_beir_loader_rejects_unknown_query(beir_folder: Path):
    with (beir_folder / "qrels" / "test.tsv").open("a", encoding="utf-8") as handle:
        handle.write("q9\td1\t1\n")
    with pytest.raises(CitewiseError, match="q9"):
        load_beir(beir_folder, "test")


def test_beir_corpus_is_read_by_the_normal_ingest(beir_folder: Path):
    from citewise.ingest.sources import read_papers
    from citewise.settings import ParsingSettings

    papers = read_papers([beir_folder / "corpus.jsonl"], ParsingSettings()).papers
    assert [p.paper_id for p in papers] == ["d1", "d2", "d3"]
    assert papers[0].sentences == ["A draft model proposes tokens.", "The target model verifies them."]


@pytest.fixture(scope="module")
def scifact_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first SLICE_DOCS SciFact abstracts and the train claims whose cited documents are all among them."""
    from tests.conftest import SCIFACT_DIR

    if not (SCIFACT_DIR / "claims_train.jsonl").is_file():
        pytest.skip(f"SciFact not found at {SCIFACT_DIR} (shared data missing)")
    folder = tmp_path_factory.mktemp("scifact-slice") / "scifact-slice"
    folder.mkdir()
    lines = (SCIFACT_DIR / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:SLICE_DOCS]
    (folder / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ids = {json.loads(line)["doc_id"] for line in lines}
    claims = [json.loads(line) for line in (SCIFACT_DIR / "claims_train.jsonl").read_text(encoding="utf-8").splitlines()]
    kept = [c for c in claims if c["cited_doc_ids"] and set(c["cited_doc_ids"]) <= ids]
    _write_jsonl(folder / "claims_train.jsonl", kept)
    return folder


def test_scifact_loader(scifact_slice: Path):
    bench = load_scifact(scifact_slice, "train")
    assert bench.layout == "scifact" and len(bench.queries) >= 10
    with_evidence = [q for q in bench.queries if q.evidence]
    assert with_evidence and all(set(q.evidence) <= q.relevant for q in with_evidence)
    assert all(isinstance(i, int) for q in with_evidence for s in q.evidence.values() for i in s)


@pytest.mark.slow
def test_eval_beir_on_a_scifact_slice(scifact_slice: Path, tmp_path: Path):
    from citewise.cli import cli as app

    runner = CliRunner()
    args = ["eval", "beir", "--data", str(scifact_slice), "--split", "train", "--out", str(tmp_path / "runs"),
            "--cache-dir", str(tmp_path / "cache"), "--limit", "12", "--quiet"]  # ~1 s per query and method at depth 100
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1
    report = json.loads((runs[0] / "report.json").read_text())
    assert report["dataset"] == "scifact-slice" and report["split"] == "train" and report["queries"] == 12
    # the simple recipe runs beside the engine's methods, so every report shows the gap to it
    assert set(report["methods"]) == {"bm25", "dense", "hybrid", "recipe-bm25", "recipe-dense", "recipe-fused"}
    assert report["hybrid_minus_recipe_ndcg@10"] == pytest.approx(
        report["methods"]["hybrid"]["ndcg@10"] - report["methods"]["recipe-fused"]["ndcg@10"])
    for values in report["methods"].values():
        for metric in ("ndcg@10", "recall@100", "map"):
            assert 0.0 <= values[metric] <= 1.0
        assert values["recall@100"] >= values["recall@10"]
    # a small corpus is easy: every method finds most gold abstracts in its top 100
    assert min(v["recall@100"] for v in report["methods"].values()) > 0.8
    assert 0.0 <= report["evidence"]["quotes_gold_evidence"] <= 1.0 and report["evidence"]["claims"] > 0
    assert (runs[0] / "methods.png").is_file() and "recipe-fused" in (runs[0] / "report.md").read_text()
    assert "hybrid" in result.output

    # the cached index is reused on the next run (same corpus, model and chunker)
    again = runner.invoke(app, args[:-3] + ["--limit", "2", "--no-evidence"])
    assert again.exit_code == 0, again.output
    assert "Reusing" in again.output
    assert len(list((tmp_path / "cache").iterdir())) == 1
