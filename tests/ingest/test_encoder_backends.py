"""The two encoder runtimes: int8 ONNX (the default) stays close to torch (the reference), each keeps its own index
identity, and both answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from citewise.app.assistant import Assistant
from citewise.errors import CitewiseError
from citewise.index.reader import PaperIndex
from citewise.ingest.embedding import Embedder
from citewise.ingest.pipeline import ingest
from citewise.ingest.sources import bundled_listing

TORCH = {"embedding": {"backend": "torch"}}


@pytest.fixture(scope="module")
def torch_embedder(settings_for, tmp_path_factory) -> Embedder:
    return Embedder(settings_for(tmp_path_factory.mktemp("unused"), **TORCH).embedding)


@pytest.fixture(scope="module")
def torch_index_dir(torch_embedder: Embedder, settings_for, tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("torch-index")
    ingest([bundled_listing()], settings_for(index_dir, **TORCH), show_progress=False, embedder=torch_embedder)
    return index_dir


def test_int8_vectors_are_close_to_torch_and_the_same_in_any_batch(embedder: Embedder, torch_embedder: Embedder) -> None:
    assert embedder.settings.backend == "onnx-int8"
    texts = ["A short one.", "DistServe disaggregates prefill and decoding to raise goodput under latency limits. " * 6, "KV cache"]
    onnx, torch = embedder.encode(texts), torch_embedder.encode(texts)
    assert onnx.shape == torch.shape == (3, 384)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1, atol=1e-5)
    assert (onnx * torch).sum(1).min() > 0.97  # cosine to the torch vector of the same text
    assert np.allclose(embedder.encode(texts[::-1]), onnx[::-1], atol=1e-6)
    assert np.array_equal(embedder.encode([texts[1]])[0], onnx[1])  # a vector never depends on its neighbours


def test_a_torch_index_answers_and_is_not_mixed_with_int8(torch_index_dir: Path, settings_for) -> None:
    index = PaperIndex.open(settings_for(torch_index_dir, **TORCH))
    assert index.manifest.encoder_id == "sentence-transformers/all-MiniLM-L6-v2" and index.manifest.papers == 48
    answer = Assistant(settings=settings_for(torch_index_dir, **TORCH)).ask("How does DistServe work?")
    assert answer.citations and all(c.title.startswith("DistServe") for c in answer.citations)
    with pytest.raises(CitewiseError, match="CITEWISE_EMBEDDING__BACKEND=torch") as info:
        PaperIndex.open(settings_for(torch_index_dir))  # the int8 encoder would query it with other vectors
    assert "\n" not in str(info.value)

