"""`citewise tune`: a model tuned on the indexed papers loads, has its own encoder id and ONNX export, answers from
an index built with it, and is never mixed with the bundled encoder's vectors."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from citewise.app.assistant import Assistant
from citewise.cli import cli as app
from citewise.errors import CitewiseError
from citewise.index.reader import PaperIndex
from citewise.ingest.embedding import Embedder, bundled_model_path
from citewise.ingest.onnx_encoder import int8_model_file
from citewise.ingest.pipeline import ingest
from citewise.ingest.sources import bundled_listing, read_papers
from citewise.ingest.training_pairs import corpus_pairs, distinct_paper_batches
from citewise.ingest.tuning import REPORT_NAME
from citewise.settings import ParsingSettings

TINY_BUDGET = ["--max-pairs", "32", "--batch-size", "16", "--max-seq-length", "32", "--epochs", "1"]


@pytest.fixture(scope="module")
def private_cache(bundled_index_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The tuned model's ONNX export goes to a throw-away cache (the bundled index is built before, as usual)."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield Path(os.environ["XDG_CACHE_HOME"])
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(scope="module")
def tune_run(private_cache: Path, bundled_index_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("tuned-models")
    result = CliRunner().invoke(app, ["tune", "--index-dir", str(bundled_index_dir), "--out", str(out), "--quiet", *TINY_BUDGET])
    assert result.exit_code == 0, result.output + repr(result.exception)
    (model_dir,) = out.glob("tuned-*")
    return model_dir, result.output


@pytest.fixture(scope="module")
def tuned(tune_run) -> dict:
    """The embedding settings the command printed (as environment variables)."""
    lines = [line.strip() for line in tune_run[1].splitlines()]
    values = dict(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export CITEWISE_EMBEDDING__"))
    return {"embedding": {"model_name": values["CITEWISE_EMBEDDING__MODEL_NAME"], "model_path": values["CITEWISE_EMBEDDING__MODEL_PATH"]}}


@pytest.fixture(scope="module")
def tuned_index_dir(tuned: dict, settings_for, tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("tuned-index")
    ingest([bundled_listing()], settings_for(index_dir, **tuned), show_progress=False)
    return index_dir


def test_tune_saves_a_model_folder_with_its_own_name_and_says_how_to_use_it(tune_run, tuned: dict, embedder: Embedder, settings_for, tmp_path: Path) -> None:
    model_dir, output = tune_run
    assert tuned["embedding"]["model_path"] == str(model_dir.resolve())
    assert tuned["embedding"]["model_name"] == f"all-MiniLM-L6-v2-tuned-{model_dir.name.removeprefix('tuned-')}"
    assert f'model_path = "{model_dir.resolve()}"' in output and "--rebuild" in output and "daily_papers.txt" in output
    report = json.loads((model_dir / REPORT_NAME).read_text(encoding="utf-8"))
    assert report["papers"] == 48 and report["pairs"] == 32 and report["steps"] == 2

    tuned_settings = settings_for(tmp_path, **tuned).embedding
    assert tuned_settings.encoder_id != embedder.settings.encoder_id
    tuned_torch = Embedder(tuned_settings.model_copy(update={"backend": "torch"}))
    # the window chunks are sized for, not the training length, in either runtime
    assert tuned_torch.max_tokens == Embedder(tuned_settings).max_tokens == embedder.max_tokens == 256
    texts = ["DistServe disaggregates prefill and decoding.", "KV cache compression"]
    bundled_torch = Embedder(embedder.settings.model_copy(update={"backend": "torch"}))
    cosines = (tuned_torch.encode(texts) * bundled_torch.encode(texts)).sum(1)
    assert cosines.min() > 0.8 and not np.allclose(cosines, 1.0, atol=1e-4)  # changed, not destroyed


def test_the_tuned_model_gets_its_own_onnx_export(tune_run, private_cache: Path) -> None:
    tuned_file, bundled_file = int8_model_file(tune_run[0]), int8_model_file(bundled_model_path())
    assert tuned_file != bundled_file and tuned_file.parent == bundled_file.parent == private_cache / "citewise" / "models"


def test_an_index_built_with_the_tuned_model_answers_with_citations(tuned_index_dir: Path, tuned: dict, settings_for) -> None:
    settings = settings_for(tuned_index_dir, **tuned)
    assert PaperIndex.open(settings).manifest.encoder_id == settings.embedding.encoder_id
    answer = Assistant(settings=settings).ask("How does DistServe work?")
    assert not answer.refused and answer.citations
    assert all(c.title.startswith("DistServe") for c in answer.citations)
    assert answer.provenance.encoder_id == settings.embedding.encoder_id


def test_an_index_is_never_opened_with_the_other_encoder(bundled_index_dir: Path, tuned_index_dir: Path, tuned: dict, settings_for) -> None:
    for index_dir, overrides in ((bundled_index_dir, tuned), (tuned_index_dir, {})):
        with pytest.raises(CitewiseError, match=r"Run `citewise ingest --rebuild`") as info:
            PaperIndex.open(settings_for(index_dir, **overrides))
        assert "\n" not in str(info.value)


def test_tune_without_an_index_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["tune", "--index-dir", str(tmp_path / "none"), "--quiet"])
    assert result.exit_code == 2
    assert "No index at" in result.output and "citewise ingest" in result.output and result.output.count("\n") == 1


def test_pairs_are_bounded_and_a_batch_never_holds_one_paper_twice() -> None:
    papers = read_papers([bundled_listing()], ParsingSettings()).papers
    rng = random.Random(0)
    pairs = corpus_pairs(papers, sentences_per_paper=2, max_pairs=100, rng=rng)
    assert len(pairs) == 100
    sentence_pairs = [p for p in pairs if "\n" in p.positive]  # title, newline, the rest of the abstract
    assert sentence_pairs and all(p.anchor not in p.positive for p in sentence_pairs)  # the sentence is left out
    batches = distinct_paper_batches(pairs, 16, rng)
    assert all(len({p.paper_id for p in batch}) == len(batch) for batch in batches)
    assert sum(len(batch) for batch in batches) >= 99
