"""Per-stage answer latency (retrieve, generate, total), p50/p95 over N questions, for each backend.

    nice -n 10 .venv/bin/python benchmarks/answer_latency.py --corpus bundled|scifact [--backends extractive,local]
        [--limit 100] [--base-url URL]

Corpora: the bundled papers (indexed into a temporary folder) asked the seed evaluation questions, or SciFact
(the evals benchmark cache, built on first use) asked its train claims. Questions repeat when there are fewer than
``--limit``. The openai backend needs ``--base-url`` of a running OpenAI-compatible server, e.g.
``python -m llama_cpp.server --model ~/.cache/citewise/models/gemma-3-270m-q4_k_m.gguf --chat_format gemma``.
Writes benchmarks/out/answer_latency-<corpus>.json and prints a table."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _common import ROOT, SCIFACT_DIR, machine, pct, scifact_index_dir, write_json


def load_questions(corpus: str, limit: int) -> list[str]:
    if corpus == "bundled":
        path, field = ROOT / "evals/datasets/seed_qa.jsonl", "question"
    else:
        path, field = SCIFACT_DIR / "claims_train.jsonl", "claim"
    questions = [json.loads(line)[field] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return (questions * (limit // len(questions) + 1))[:limit]


def index_dir_for(corpus: str, scratch: Path) -> Path:
    if corpus == "scifact":
        return scifact_index_dir()
    from citewise.ingest.pipeline import ingest
    from citewise.ingest.sources import bundled_listing
    from citewise.settings import load_settings

    ingest([bundled_listing()], load_settings(index_dir=scratch), show_progress=False)
    return scratch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=["bundled", "scifact"], default="bundled")
    parser.add_argument("--backends", default="extractive,local")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--base-url", default=None)
    args = parser.parse_args()

    from citewise.app.assistant import Assistant
    from citewise.settings import load_settings

    overrides = {"llm": {"base_url": args.base_url, "model": "local"}} if args.base_url else {}
    with tempfile.TemporaryDirectory(prefix="citewise-latency-") as scratch:
        assistant = Assistant(settings=load_settings(index_dir=index_dir_for(args.corpus, Path(scratch)), **overrides))
        questions = load_questions(args.corpus, args.limit)
        results: dict[str, dict] = {}
        for backend in args.backends.split(","):
            assistant.ask(questions[0], backend=backend)  # load the model before the clock starts
            stages: dict[str, list[float]] = {"retrieve": [], "generate": [], "total": []}
            started, fallbacks, refused = time.perf_counter(), 0, 0
            for question in questions:
                answer = assistant.ask(question, backend=backend)
                fallbacks += any("instead" in note for note in answer.notes)
                refused += answer.refused
                for stage, values in stages.items():
                    values.append(answer.timings_ms[stage])
            results[backend] = {stage: pct(values) for stage, values in stages.items()} | {
                "questions": len(questions), "refused": refused, "fallback_to_extractive": fallbacks,
                "wall_s": round(time.perf_counter() - started, 1),
            }
        manifest = assistant.index.manifest
    write_json(f"answer_latency-{args.corpus}.json", {
        "machine": machine(), "corpus": args.corpus, "papers": manifest.papers, "chunks": manifest.chunks, "results": results,
    })
    print(f"{'backend':<11} {'stage':<9} {'p50 ms':>9} {'p95 ms':>9}")
    for backend, row in results.items():
        for stage in ("retrieve", "generate", "total"):
            print(f"{backend:<11} {stage:<9} {row[stage]['p50']:>9.1f} {row[stage]['p95']:>9.1f}")
        print(f"{backend:<11} refused {row['refused']}/{row['questions']}, fell back to extractive {row['fallback_to_extractive']}")


if __name__ == "__main__":
    main()
