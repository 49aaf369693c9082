"""Helpers the benchmark scripts share: where data and results live, the machine, timing and memory."""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "benchmarks" / "out"
SCIFACT_DIR = ROOT.parent / "shared" / "data" / "scifact"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine() -> dict:
    """What the figures were measured on (library versions are read only if already imported or cheap)."""
    import faiss
    import torch

    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "faiss": faiss.__version__,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def rss_mb() -> float:
    """Current resident set size (what the process holds in RAM now, mmapped pages that were touched included)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float]) -> dict[str, float]:
    """p50 / p95 / mean in the unit given, rounded for the tables."""
    arr = np.asarray(values, dtype=float)
    return {"p50": round(float(np.percentile(arr, 50)), 2), "p95": round(float(np.percentile(arr, 95)), 2), "mean": round(float(arr.mean()), 2), "n": len(arr)}


def timed_ms(fn, *args, **kwargs) -> tuple[object, float]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, (time.perf_counter() - started) * 1000


def write_json(name: str, payload: dict) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / name
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return path


def corpus_chunk_texts(path: Path, embedder, settings=None) -> list[str]:  # noqa: ANN001 - an Embedder
    """The unique chunk texts the ingest pipeline embeds for ``path``, in its order."""
    from citewise.ingest.chunking import chunk_paper
    from citewise.ingest.sources import read_papers
    from citewise.settings import load_settings

    settings = settings or load_settings()
    papers = read_papers([path], settings.parsing).papers
    return list(dict.fromkeys(c.text for p in papers for c in chunk_paper(p, embedder.count_tokens, settings.chunking)))


def scifact_index_dir(**overrides) -> Path:  # noqa: ANN003 - settings overrides, e.g. embedding={"backend": "torch"}
    """The SciFact corpus as a Citewise index folder, built once into the evals benchmark cache and reused after."""
    from citewise.evals.index_cache import cached_index
    from citewise.settings import load_settings

    return cached_index(SCIFACT_DIR / "corpus.jsonl", "scifact", load_settings(**overrides), show_progress=False)[0]


def scifact_index(**overrides):  # noqa: ANN003, ANN201 - settings overrides; a PaperIndex
    from citewise.index.reader import PaperIndex
    from citewise.settings import load_settings

    return PaperIndex.open(load_settings(index_dir=scifact_index_dir(**overrides), **overrides))
