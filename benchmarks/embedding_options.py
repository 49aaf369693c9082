"""Ways to embed faster, measured on SciFact's own chunk texts: threads, batch size, length sorting, ONNX, int8.

    nice -n 10 .venv/bin/python benchmarks/embedding_options.py [--sample 2000] [--rounds 2] [--no-quality]

Throughput (chunks/s, best of ``--rounds`` interleaved rounds, since other processes share the cores) is taken
on the first ``--sample`` unique chunk texts, encoded the way the pipeline encodes them (shards of 1024 texts):

- torch (sentence-transformers, the product's encoder) with 1 and 2 intra-op threads, batch 16/32/64/128;
- the same with the whole list sorted by length before sharding (fewer padded tokens);
- ONNX Runtime fp32 and int8 (dynamic quantisation), exported here from the bundled model folder with
  ``torch.onnx.export`` (nothing is downloaded), each as exported and with ONNX Runtime's BERT fusions
  (attention, GELU, skip layer norm); fused int8 is the product's default encoder. optimum /
  ``backend="onnx"`` are not used: optimum-onnx pins transformers < 4.58 and would downgrade this
  environment's transformers 5.

Quality (unless --no-quality): the whole SciFact corpus is embedded with torch and the ONNX variants; dense
paper-level nDCG@10 / Recall@5 over the train claims (exact search), and the largest vector difference from
torch. Needs ``onnxruntime`` and ``onnx`` in the venv. Writes benchmarks/out/embedding_options.json."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import SCIFACT_DIR, machine, scifact_index, write_json

SHARD = 1024  # the pipeline's embed_missing shard


def export_onnx(model_dir: Path, folder: Path) -> dict[str, Path]:
    """The product's export (fp32), fusion and int8 quantisation into ``folder``, and int8 of the unfused graph."""
    from citewise.ingest.onnx_encoder import export_fp32, fuse, quantize_int8

    paths = {name: folder / f"{name}.onnx" for name in ("fp32", "fp32 fused", "int8", "int8 fused")}
    export_fp32(model_dir, paths["fp32"])
    fuse(model_dir, paths["fp32"], paths["fp32 fused"])
    quantize_int8(paths["fp32"], paths["int8"])
    quantize_int8(paths["fp32 fused"], paths["int8 fused"])
    return paths


def torch_encode(model, texts: list[str], batch_size: int, threads: int, sort: bool = False) -> np.ndarray:  # noqa: ANN001
    """As the pipeline does: shards of 1024 texts, each encoded (and length-sorted within) by sentence-transformers."""
    import torch

    torch.set_num_threads(threads)
    order = np.argsort([-len(t) for t in texts], kind="stable") if sort else np.arange(len(texts))
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for start in range(0, len(texts), SHARD):
        rows = order[start : start + SHARD]
        out[rows] = model.encode([texts[i] for i in rows], batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return out


def throughput(variants: dict, texts: list[str], rounds: int) -> dict[str, dict]:
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, encode in variants.items():
            started = time.perf_counter()
            encode(texts)
            best[name] = min(best.get(name, np.inf), time.perf_counter() - started)
    base = best["torch 2 threads, batch 64 (torch backend)"]
    result = {name: {"seconds": round(s, 2), "chunks_per_s": round(len(texts) / s, 1), "speedup": round(base / s, 2)} for name, s in best.items()}
    for name, row in result.items():
        print(f"{name:<42}{row['chunks_per_s']:>9.1f} chunks/s{row['speedup']:>7.2f}x")
    return result


def dense_quality(chunk_vectors: np.ndarray, chunk_papers: list[str], claim_vectors: np.ndarray, claims) -> dict:  # noqa: ANN001
    from citewise.evals.metrics import dedupe, mean, ndcg_at_k, recall_at_k

    scores = claim_vectors @ chunk_vectors.T
    top = np.argsort(-scores, axis=1)[:, :100]
    rankings = [dedupe(chunk_papers[j] for j in row) for row in top]
    return {
        "ndcg@10": round(mean(ndcg_at_k(r, q.relevant, 10) for r, q in zip(rankings, claims)), 4),
        "recall@5": round(mean(recall_at_k(r, q.relevant, 5) for r, q in zip(rankings, claims)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=2000, help="Chunks timed per variant.")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--quality-of", default="int8,int8 fused", help="ONNX variants whose retrieval quality is measured.")
    args = parser.parse_args()

    from sentence_transformers import SentenceTransformer

    from citewise.evals.datasets import load_scifact
    from citewise.ingest.embedding import Embedder
    from citewise.ingest.onnx_encoder import OnnxEncoder
    from citewise.settings import load_settings

    embedder = Embedder(load_settings().embedding)
    model = SentenceTransformer(str(embedder.model_path), device="cpu")
    index = scifact_index(embedding={"backend": "torch"})  # built by the pipeline on torch: the reference vectors
    chunks = list(index.store.iter_chunks())
    chunk_papers, chunk_texts = [c.paper_id for c in chunks], [c.text for c in chunks]
    sample = list(dict.fromkeys(chunk_texts))[: args.sample]
    with tempfile.TemporaryDirectory(prefix="citewise-onnx-") as tmp:
        onnx = {name: OnnxEncoder(path, embedder.model_path, 256, 2) for name, path in export_onnx(embedder.model_path, Path(tmp)).items()}
        variants = {
            "torch 2 threads, batch 64 (torch backend)": lambda t: torch_encode(model, t, 64, 2),
            "torch 1 thread, batch 64": lambda t: torch_encode(model, t, 64, 1),
            "torch 2 threads, batch 16": lambda t: torch_encode(model, t, 16, 2),
            "torch 2 threads, batch 32": lambda t: torch_encode(model, t, 32, 2),
            "torch 2 threads, batch 128": lambda t: torch_encode(model, t, 128, 2),
            "torch 2 threads, batch 64, length-sorted": lambda t: torch_encode(model, t, 64, 2, sort=True),
            **{f"onnx {name}, one text a run": encoder.encode for name, encoder in onnx.items()},
        }
        for encode in variants.values():  # warm-up: first shapes are slow everywhere
            encode(sample[:128])
        result = {"machine": machine(), "sample_chunks": len(sample), "throughput": throughput(variants, sample, args.rounds)}
        unsorted, ordered = torch_encode(model, sample, 64, 2), torch_encode(model, sample, 64, 2, sort=True)
        result["length_sort_max_abs_diff"] = float(np.abs(unsorted - ordered).max())
        if not args.no_quality:
            claims = load_scifact(SCIFACT_DIR, "train").queries
            torch_claims = torch_encode(model, [q.text for q in claims], 64, 2)
            quality = {"torch": {**dense_quality(np.asarray(index.vectors), chunk_papers, torch_claims, claims), "vectors": index.vectors}}
            for name in args.quality_of.split(","):
                encoder = onnx[name]
                started = time.perf_counter()
                vectors = encoder.encode(chunk_texts)
                seconds = time.perf_counter() - started
                quality[f"onnx {name}"] = dense_quality(vectors, chunk_papers, encoder.encode([q.text for q in claims]), claims)
                quality[f"onnx {name}"]["full_corpus_seconds"] = round(seconds, 1)
                quality[f"onnx {name}"]["vectors"] = vectors
            for name, row in quality.items():
                print(name, {k: v for k, v in row.items() if k != "vectors"})
            for name in (f"onnx {n}" for n in args.quality_of.split(",")):
                quality[name]["max_abs_diff_vs_torch"] = float(np.abs(quality[name]["vectors"] - quality["torch"]["vectors"]).max())
                quality[name]["ndcg_change_vs_torch"] = round(quality[name]["ndcg@10"] / quality["torch"]["ndcg@10"] - 1, 4)
            result["quality"] = {k: {m: v for m, v in row.items() if m != "vectors"} for k, row in quality.items()}
            result["quality_chunks"] = len(chunk_texts)
            result["claims"] = len(claims)
    write_json("embedding_options.json", result)


if __name__ == "__main__":
    main()
