"""Corpus adaptation: `citewise tune`'s training on a corpus file, timed (the index is not needed to tune, only to use).

    CITEWISE_EMBEDDING__THREADS=1 .venv/bin/python benchmarks/tuning.py [--corpus ../shared/data/scifact/corpus.jsonl]

Reads the corpus as `citewise ingest` would, tunes the configured encoder with the configured ``tuning.*``
settings (environment or citewise.toml), saves the model and prints the settings that use it; writes
benchmarks/out/tuning.json (wall time, pairs, steps, losses). Retrieval with the tuned model is then measured with
`citewise eval beir` / `citewise eval seed` under those settings (benchmarks/RESULTS.md)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import SCIFACT_DIR, machine, write_json

from citewise.ingest.sources import read_papers
from citewise.ingest.tuning import tune_encoder
from citewise.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=SCIFACT_DIR / "corpus.jsonl")
    args = parser.parse_args()
    settings = load_settings()
    papers = read_papers([args.corpus], settings.parsing).papers
    started = time.perf_counter()
    report = tune_encoder(papers, settings)
    wall = time.perf_counter() - started
    print(f"{report.papers} papers, {report.pairs} pairs, {report.steps} steps, {wall:.0f} s wall; loss {report.first_loss} -> {report.last_loss}")
    print(f"export CITEWISE_EMBEDDING__MODEL_NAME={report.model_name}\nexport CITEWISE_EMBEDDING__MODEL_PATH={report.model_path}")
    write_json("tuning.json", {"machine": machine(), "corpus": str(args.corpus), "tuning": settings.tuning.model_dump(mode="json"),
                               "threads": settings.embedding.threads, "wall_s": round(wall, 1), "report": report.model_dump(mode="json")})


if __name__ == "__main__":
    main()
