"""The int8 ONNX encoder (embedding.backend = "onnx-int8"): close to torch, its own index identity, same answers."""

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

ONNX = {"embedding": {"backend": "onnx-int8"}}


@pytest.fixture(scope="module")
def onnx_embedder(settings_for, tmp_path_factory) -> Embedder:
    return Embedder(settings_for(tmp_path_factory.mktemp("unused"), **ONNX).embedding)


@pytest.fixture(scope="module")
def onnx_index_dir(onnx_embedder: Embedder, settings_for, tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("onnx-index")
    ingest([bundled_listing()], settings_for(index_dir, **ONNX), show_progress=False, embedder=onnx_embedder)
    return index_dir


def test_vectors_are_close_to_torch_and_the_same_in_any_batch(onnx_embedder: Embedder, embedder: Embedder) -> None:
    texts = ["A short one.", "DistServe disaggregates prefill and decoding to raise goodput under latency limits. " * 6, "KV cache"]
    onnx, torch = onnx_embedder.encode(texts), embedder.encode(texts)
    assert onnx.shape == torch.shape == (3, 384)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1, atol=1e-5)
    assert (onnx * torch).sum(1).min() > 0.97  # cosine to the torch vector of the same text
    assert np.allclose(onnx_embedder.encode(texts[::-1]), onnx[::-1], atol=1e-6)
    assert np.array_equal(onnx_embedder.encode([texts[1]])[0], onnx[1])  # a vector never depends on its neighbours


def test_an_onnx_index_answers_and_is_not_mixed_with_torch(onnx_index_dir: Path, settings_for, embedder: Embedder) -> None:
    index = PaperIndex.open(settings_for(onnx_index_dir, **ONNX))
    assert index.manifest.embedding_model.endswith("@onnx-int8") and index.manifest.papers == 48
    answer = Assistant(settings=settings_for(onnx_index_dir, **ONNX)).ask("How does DistServe work?")
    assert answer.citations and all(c.title.startswith("DistServe") for c in answer.citations)
    with pytest.raises(CitewiseError, match="CITEWISE_EMBEDDING__BACKEND=onnx-int8") as info:
        PaperIndex.open(settings_for(onnx_index_dir))  # the torch encoder would query it with other vectors
    assert "\n" not in str(info.value)
