"""The encoder on ONNX Runtime with int8 weights: about 3x the torch throughput on 2 cores (benchmarks/RESULTS.md).

The model folder is exported to ONNX once (torch.onnx with eager attention, nothing downloaded), its attention,
GELU and layer norms fused by ONNX Runtime's BERT optimizer, quantised dynamically to int8 and cached beside the
bundled LLM in ``~/.cache/citewise/models``; pooling and normalisation are the sentence-transformers ones (mean
over the tokens, L2; one text per run, so no padding)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from citewise.cache import models_cache_dir
from citewise.errors import CitewiseError
from citewise.settings import ONNX_RECIPE

INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


def _folder_digest(model_dir: Path) -> str:
    """Names, sizes and modification times of the folder's files: a model tuned again into the same folder has
    weights of the same size, and must not be served the previous export (stat only: this runs at every start)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(model_dir)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:12]


def export_fp32(model_dir: Path, fp32_path: Path) -> None:
    """The transformer alone (pooling stays in numpy), with dynamic batch and length axes; eager attention, because
    the optimizer recognises its graph and not the SDPA one."""
    import torch
    from sentence_transformers import SentenceTransformer

    class Transformer(torch.nn.Module):  # keyword call: BertModel's positional order differs across versions
        def __init__(self, bert) -> None:  # noqa: ANN001
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN201
            return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    model = SentenceTransformer(str(model_dir), device="cpu", model_kwargs={"attn_implementation": "eager"})
    example = model.tokenizer(["an example sentence", "another"], padding=True, return_tensors="pt")
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer chatter about data-dependent shapes
        torch.onnx.export(
            Transformer(model[0].auto_model).eval(), tuple(example[name] for name in INPUTS), str(fp32_path),
            input_names=INPUTS, output_names=["last_hidden_state"], opset_version=17, dynamo=False,
            dynamic_axes={name: axes for name in [*INPUTS, "last_hidden_state"]},
        )


def fuse(model_dir: Path, fp32_path: Path, fused_path: Path) -> None:
    """Attention, GELU and skip-layer-norm fused into single kernels before quantising (QAttention then takes the
    attention block). On 2 cores it ran level with the unfused int8 graph (3.1x torch either way) at the same
    SciFact quality; every published figure was measured with this recipe (benchmarks/RESULTS.md)."""
    from onnxruntime.transformers import optimizer

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    fused = optimizer.optimize_model(
        str(fp32_path), model_type="bert", num_heads=config["num_attention_heads"], hidden_size=config["hidden_size"]
    )
    fused.save_model_to_file(str(fused_path))


def quantize_int8(fp32_path: Path, int8_path: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic advises pre-processing on the root logger
    try:
        quantize_dynamic(
            str(fp32_path), str(int8_path), weight_type=QuantType.QInt8, per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # fused ops carry no inferred output types
        )
    finally:
        root.setLevel(level)


def int8_model_file(model_dir: Path) -> Path:
    """The cached int8 ONNX file for ``model_dir``, made on first use (under a minute)."""
    cache = models_cache_dir()
    target = cache / f"{model_dir.name}-{_folder_digest(model_dir)}-int8-r{ONNX_RECIPE}.onnx"
    if target.is_file():
        return target
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache, prefix=".export-") as tmp:  # published by rename: never half a file
            fp32, fused, int8 = (Path(tmp) / name for name in ("model.onnx", "fused.onnx", "int8.onnx"))
            export_fp32(model_dir, fp32)
            fuse(model_dir, fp32, fused)
            quantize_int8(fused, int8)
            os.replace(int8, target)
    except ImportError as exc:
        raise CitewiseError(
            f"embedding.backend 'onnx-int8' needs onnx and onnxruntime ({exc.name} is missing); "
            "reinstall Citewise or set embedding.backend = 'torch'."
        ) from None
    except OSError as exc:
        raise CitewiseError(
            f"Could not write the ONNX encoder to {cache} ({exc.strerror}); set XDG_CACHE_HOME to a writable folder."
        ) from None
    return target


class OnnxEncoder:
    def __init__(self, onnx_file: Path, model_dir: Path, max_tokens: int, threads: int | None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or len(os.sched_getaffinity(0))
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # pool threads spin inside a run (fast) but stop when it returns: left spinning, they took the cores from
        # FAISS, BM25 and torch between runs (a peer's query latency doubled beside them)
        options.add_session_config_entry("session.force_spinning_stop", "1")
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str]) -> np.ndarray:
        """One text per run: int8 activations are quantised per run, so batching would make a text's vector depend
        on its neighbours (cosine 0.985 measured); alone, it is the same every time, and no padding is computed
        (batch 1 ran as fast as batch 64 here)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, encoded in enumerate(self.tokenizer.encode_batch(texts)):
            ids = np.array([encoded.ids], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
            pooled = self.session.run(None, feeds)[0][0].mean(0)
            out[row] = pooled / np.linalg.norm(pooled)
        return out
