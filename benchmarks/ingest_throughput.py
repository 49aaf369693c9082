"""Ingest throughput: the whole pipeline against a plain SentenceTransformer.encode of the same chunks.

With the default int8 ONNX encoder the pipeline runs faster than that torch ceiling; its own encoder called alone
on the same texts (``encoder_alone``) is reported too, so pipeline overhead stays visible.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/ingest_throughput.py [--no-scifact] [--scifact PATH]

For each corpus (the bundled listing, the SciFact corpus) it ingests into a fresh temporary index (fresh
embedding cache, so every chunk is embedded), then encodes the very same chunk texts with a plain
SentenceTransformer (same model files, same batch size, normalised), and reports papers/s, chunks/s and
pipeline/raw (target >= 0.9). The model is loaded and warmed up before either timing starts (a long-running
ingest pays that once); by default the raw encode runs second, so it gets any warm-cache advantage (new
padded batch shapes are slower the first time they are seen): the ratio is a conservative one; --raw-first
swaps the order. Phases of the pipeline (read, chunk, embed, write) are timed by wrapping the pipeline's
functions, nothing in the package is changed. Results: benchmarks/out/ingest_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from _common import OUT_DIR, SCIFACT_DIR, corpus_chunk_texts  # _common also sets the offline environment

DEFAULT_SCIFACT = SCIFACT_DIR / "corpus.jsonl"
OUT = OUT_DIR / "ingest_throughput.json"
TARGET_RATIO = 0.9


@contextmanager
def timed_phases(phases: dict[str, float]):
    """Wrap the pipeline's read / chunk / embed / write steps with timers (restored afterwards)."""
    from citewise.ingest import pipeline

    originals = {name: getattr(pipeline, name) for name in ("read_papers", "chunk_paper", "embed_missing", "write_version", "_previous")}
    labels = {"read_papers": "read", "chunk_paper": "chunk", "embed_missing": "embed", "write_version": "write", "_previous": "open_previous"}

    def wrap(name):
        original = originals[name]

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                phases[labels[name]] = phases.get(labels[name], 0.0) + time.perf_counter() - started

        return timed

    for name in originals:
        setattr(pipeline, name, wrap(name))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(pipeline, name, original)


def run_raw(raw_model, texts: list[str], batch_size: int) -> float:
    started = time.perf_counter()
    raw_model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    return time.perf_counter() - started


def run_corpus(name: str, path: Path, embedder, raw_model, batch_size: int, raw_first: bool = False) -> dict:
    from citewise.index.reader import PaperIndex
    from citewise.ingest.pipeline import ingest
    from citewise.settings import load_settings

    raw_s = run_raw(raw_model, corpus_chunk_texts(path, embedder), batch_size) if raw_first else None
    with tempfile.TemporaryDirectory(prefix=f"citewise-bench-{name}-") as tmp:
        settings = load_settings(index_dir=Path(tmp) / "index", embedding={"batch_size": batch_size})
        phases: dict[str, float] = {}
        with timed_phases(phases):
            started = time.perf_counter()
            report = ingest([path], settings, show_progress=False, embedder=embedder)
            pipeline_s = time.perf_counter() - started
        index = PaperIndex.open(settings)
        texts = list(dict.fromkeys(c.text for c in index.store.iter_chunks()))  # what the pipeline embedded
        index.store.close()
    assert len(texts) == report.chunks_embedded, (len(texts), report.chunks_embedded)

    if raw_s is None:
        raw_s = run_raw(raw_model, texts, batch_size)
    started = time.perf_counter()
    embedder.encode(texts)
    encoder_alone_s = time.perf_counter() - started

    pipeline_rate = report.chunks_embedded / pipeline_s
    raw_rate = len(texts) / raw_s
    return {
        "corpus": name,
        "order": "raw first" if raw_first else "pipeline first",
        "path": str(path),
        "papers": report.papers_total,
        "chunks": report.chunks_total,
        "chunks_embedded": report.chunks_embedded,
        "pipeline_seconds": round(pipeline_s, 3),
        "pipeline_papers_per_s": round(report.papers_total / pipeline_s, 2),
        "pipeline_chunks_per_s": round(pipeline_rate, 2),
        "pipeline_embed_seconds": round(report.seconds_embedding, 3),
        "pipeline_embed_chunks_per_s": round(report.chunks_embedded / report.seconds_embedding, 2),
        "raw_encode_seconds": round(raw_s, 3),
        "raw_encode_chunks_per_s": round(raw_rate, 2),
        "ratio_pipeline_over_raw": round(pipeline_rate / raw_rate, 3),
        "ratio_embed_only_over_raw": round((report.chunks_embedded / report.seconds_embedding) / raw_rate, 3),
        "encoder": embedder.settings.encoder_id,
        "encoder_alone_seconds": round(encoder_alone_s, 3),
        "ratio_pipeline_over_encoder_alone": round(encoder_alone_s / pipeline_s, 3),
        "phases_seconds": {k: round(v, 3) for k, v in sorted(phases.items(), key=lambda kv: -kv[1])},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scifact", type=Path, default=DEFAULT_SCIFACT, help="SciFact corpus.jsonl")
    parser.add_argument("--no-scifact", action="store_true", help="Only the bundled listing (quick).")
    parser.add_argument("--batch-size", type=int, default=None, help="Encoder batch size (default: the setting, 64).")
    parser.add_argument("--raw-first", action="store_true", help="Time the raw encode before the pipeline (order check).")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    from citewise.ingest.embedding import Embedder
    from citewise.ingest.sources import bundled_listing
    from citewise.settings import load_settings

    embedding = load_settings().embedding
    batch_size = args.batch_size or embedding.batch_size
    embedder = Embedder(embedding)
    started = time.perf_counter()
    embedder.encode(["load now, outside the timings"])
    model_load_s = time.perf_counter() - started
    raw_model = SentenceTransformer(str(embedder.model_path), device="cpu")
    warmup = [f"Warm-up sentence number {i} about attention kernels and KV caches. " * (1 + i % 8) for i in range(2 * batch_size)]
    embedder.encode(warmup)
    raw_model.encode(warmup, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)

    corpora = [("bundled", bundled_listing())]
    if not args.no_scifact:
        if args.scifact.is_file():
            corpora.append(("scifact", args.scifact))
        else:
            print(f"SciFact corpus not found at {args.scifact}; bundled only.", file=sys.stderr)

    load_before = os.getloadavg()
    results = [run_corpus(name, path, embedder, raw_model, batch_size, args.raw_first) for name, path in corpora]
    summary = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        },
        "model": str(embedder.model_path),
        "batch_size": batch_size,
        "model_load_seconds": round(model_load_s, 3),
        "target_ratio": TARGET_RATIO,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")

    header = f"{'corpus':<9}{'papers':>8}{'chunks':>8}{'pipe s':>9}{'papers/s':>10}{'chunks/s':>10}{'raw s':>9}{'raw ch/s':>10}{'ratio':>7}{'embed-only':>12}{'vs own':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['corpus']:<9}{r['papers']:>8}{r['chunks']:>8}{r['pipeline_seconds']:>9.1f}{r['pipeline_papers_per_s']:>10.1f}"
            f"{r['pipeline_chunks_per_s']:>10.1f}{r['raw_encode_seconds']:>9.1f}{r['raw_encode_chunks_per_s']:>10.1f}"
            f"{r['ratio_pipeline_over_raw']:>7.3f}{r['ratio_embed_only_over_raw']:>12.3f}{r['ratio_pipeline_over_encoder_alone']:>8.3f}"
        )
    for r in results:
        phases = ", ".join(f"{k} {v:.2f}s" for k, v in r["phases_seconds"].items())
        print(f"{r['corpus']} phases: {phases}")
    print(f"encoder {embedding.encoder_id}; model load {model_load_s:.2f}s (not in the timings); batch size {batch_size}; "
          f"{summary['machine']['torch_threads']} torch threads; load avg before {load_before[0]:.2f}")
    print(f"wrote {args.out}")
    worst = min(r["ratio_pipeline_over_raw"] for r in results)
    print(f"pipeline/raw >= {TARGET_RATIO}: {'yes' if worst >= TARGET_RATIO else 'NO'} (lowest {worst:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
