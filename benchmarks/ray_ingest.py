"""Ingest throughput with the local engine and with Ray on this machine, and what that means for N workers.

    nice -n 10 .venv/bin/python benchmarks/ray_ingest.py [--papers 1000] [--scifact PATH]

The same first --papers SciFact abstracts are ingested into a fresh temporary index (fresh embedding cache, so
every chunk is embedded) three times: the local engine (one process, torch on all cores), then Ray with 1 and
with all-CPU actors (1 CPU and 1 torch thread each) on a local cluster started beforehand (its start-up is
reported, not timed in). Wall-clock rates on a shared 2-core machine say more about the other load than about
the engines, so the capacity estimate uses CPU time: a worker's cost is a 1-thread encode of the same chunk
texts as an actor runs it (CPU s per chunk), the driver's is its own CPU time in the 1-actor Ray run (read,
chunk, receive and save shards, write the index). Time for ARXIV_PAPERS abstracts with N dedicated 1-CPU
workers: driver + embedding / N (the printed assumptions).
Results: benchmarks/out/ray_ingest.json.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

from _common import SCIFACT_DIR, corpus_chunk_texts, cpu_model, machine, write_json

ARXIV_PAPERS = 2_600_000
PROBE_CHUNKS = 600
WORKER_COUNTS = (8, 32, 128)


def run(name: str, corpus: Path, embedder, engine=None) -> dict:
    """One ingest into a fresh index; the whole call is timed, the embedding part separately."""
    from citewise.ingest.pipeline import ingest
    from citewise.settings import load_settings

    with tempfile.TemporaryDirectory(prefix=f"citewise-ray-bench-{name}-") as tmp:
        settings = load_settings(index_dir=Path(tmp) / "index")
        started, cpu_started = time.perf_counter(), time.process_time()
        report = ingest([corpus], settings, show_progress=False, embedder=embedder, engine=engine)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "engine": name,
        "papers": report.papers_total,
        "chunks": report.chunks_total,
        "chunks_embedded": report.chunks_embedded,
        "seconds": round(seconds, 2),
        "papers_per_s": round(report.papers_total / seconds, 2),
        "embed_seconds": round(report.seconds_embedding, 2),
        "embed_chunks_per_s": round(report.chunks_embedded / report.seconds_embedding, 2),
        "other_seconds": round(seconds - report.seconds_embedding, 2),
        "driver_cpu_seconds": round(cpu_seconds, 2),
    }


def worker_cpu_per_chunk(embedding, texts: list[str]) -> float:
    """CPU seconds per chunk of one 1-CPU worker: an actor's encode (1 torch thread), timed in CPU time."""
    from citewise.ingest.embedding import Embedder

    worker = Embedder(embedding.model_copy(update={"threads": 1}))  # sets torch to 1 thread: run it last
    worker.encode(texts[:64])
    started = time.process_time()
    worker.encode(texts)
    return (time.process_time() - started) / len(texts)


def capacity(cpu_s_per_chunk: float, chunks_per_paper: float, driver: dict) -> dict:
    """Hours for ARXIV_PAPERS with N workers: the driver's serial time + embedding spread over N workers."""
    embed_s_per_paper = cpu_s_per_chunk * chunks_per_paper
    serial_s_per_paper = driver["driver_cpu_seconds"] / driver["papers"]
    serial_h = ARXIV_PAPERS * serial_s_per_paper / 3600
    return {
        "arxiv_papers": ARXIV_PAPERS,
        "chunks_per_paper": round(chunks_per_paper, 3),
        "worker_cpu_s_per_chunk": round(cpu_s_per_chunk, 5),
        "embed_s_per_paper_per_worker": round(embed_s_per_paper, 5),
        "serial_s_per_paper": round(serial_s_per_paper, 5),
        "serial_hours": round(serial_h, 2),
        "hours_by_workers": {
            n: {"embedding": round(ARXIV_PAPERS * embed_s_per_paper / n / 3600, 2),
                "total": round(serial_h + ARXIV_PAPERS * embed_s_per_paper / n / 3600, 2)}
            for n in WORKER_COUNTS
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scifact", type=Path, default=SCIFACT_DIR / "corpus.jsonl", help="SciFact corpus.jsonl")
    parser.add_argument("--papers", type=int, default=1000, help="First N SciFact papers.")
    args = parser.parse_args()

    import ray

    from citewise.ingest.embedding import Embedder
    from citewise.ingest.ray_engine import RayEngine, RayOptions
    from citewise.settings import load_settings

    embedding = load_settings().embedding
    embedder = Embedder(embedding)
    embedder.encode([f"Warm-up sentence {i} about protein folding and cell signalling." * (1 + i % 6) for i in range(128)])
    cpus = len(os.sched_getaffinity(0))
    host = machine()  # before the 1-thread probe changes torch's thread count
    with tempfile.TemporaryDirectory(prefix="citewise-ray-bench-input-") as tmp:
        corpus = Path(tmp) / "scifact-slice.jsonl"
        lines = args.scifact.read_text(encoding="utf-8").splitlines()[: args.papers]
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")

        results = [run("local", corpus, embedder)]
        started = time.perf_counter()
        ray.init(num_cpus=cpus, include_dashboard=False, logging_level=logging.WARNING)
        ray_start_s = time.perf_counter() - started
        try:
            for workers in sorted({1, cpus}):
                engine = RayEngine(embedding, RayOptions(workers=workers))
                results.append(run(f"ray x{workers}", corpus, embedder, engine) | {"workers": workers})
        finally:
            ray.shutdown()
        texts = corpus_chunk_texts(corpus, embedder)[:PROBE_CHUNKS]
        cpu_s_per_chunk = worker_cpu_per_chunk(embedding, texts)

    estimate = capacity(cpu_s_per_chunk, results[0]["chunks"] / results[0]["papers"], next(r for r in results if r.get("workers") == 1))
    summary = {
        "machine": host | {"ray": ray.__version__, "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
        "batch_size": embedding.batch_size,
        "ray_start_seconds": round(ray_start_s, 2),
        "results": results,
        "capacity": estimate,
    }

    header = (f"{'engine':<9}{'papers':>7}{'chunks':>7}{'total s':>9}{'papers/s':>10}{'embed s':>9}{'chunks/s':>10}"
              f"{'other s':>9}{'driver CPU s':>14}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['engine']:<9}{r['papers']:>7}{r['chunks']:>7}{r['seconds']:>9.1f}{r['papers_per_s']:>10.2f}"
              f"{r['embed_seconds']:>9.1f}{r['embed_chunks_per_s']:>10.1f}{r['other_seconds']:>9.1f}{r['driver_cpu_seconds']:>14.1f}")
    print(f"ray start-up {ray_start_s:.1f} s (not timed in); {cpus} CPUs ({cpu_model()}); "
          f"load avg {host['loadavg'][0]:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"\n{ARXIV_PAPERS:,} abstracts at {estimate['chunks_per_paper']:.2f} chunks/paper; a 1-CPU worker "
          f"{cpu_s_per_chunk * 1000:.1f} CPU ms/chunk = {estimate['embed_s_per_paper_per_worker'] * 1000:.1f} ms/paper "
          f"({1 / estimate['embed_s_per_paper_per_worker']:.1f} papers/s); driver {estimate['serial_s_per_paper'] * 1000:.2f} CPU ms/paper:")
    for n, hours in estimate["hours_by_workers"].items():
        print(f"  N={n:<4} embedding {hours['embedding']:>7.2f} h + driver {estimate['serial_hours']:.2f} h = {hours['total']:.2f} h")
    write_json("ray_ingest.json", summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
