"""Per-stage answer latency (retrieve, generate, total), p50/p95 over N questions, for each backend.

    .venv/bin/python benchmarks/answer_latency.py --index-dir DIR --questions seed|scifact [--backends extractive,local]

Questions: the seed evaluation set (bundled index) or SciFact claims (SciFact index). For the openai backend
pass --base-url of a running OpenAI-compatible server (e.g. `python -m llama_cpp.server --model ...`).
Writes benchmarks/out/answer_latency-<questions>.json and prints a table."""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from citewise.app.assistant import Assistant
from citewise.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]


def load_questions(kind: str, limit: int) -> list[str]:
    if kind == "seed":
        rows = [json.loads(line) for line in (ROOT / "evals/datasets/seed_qa.jsonl").read_text().splitlines() if line.strip()]
        questions = [r["question"] for r in rows]
    else:
        path = ROOT.parent / "shared/data/scifact/claims_train.jsonl"
        questions = [json.loads(line)["claim"] for line in path.read_text().splitlines() if line.strip()]
    return (questions * (limit // len(questions) + 1))[:limit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--questions", choices=["seed", "scifact"], default="seed")
    parser.add_argument("--backends", default="extractive,local")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--base-url", default=None)
    args = parser.parse_args()
    overrides = {"llm": {"base_url": args.base_url, "model": "local"}} if args.base_url else {}
    assistant = Assistant(settings=load_settings(index_dir=args.index_dir, **overrides))
    questions = load_questions(args.questions, args.limit)
    results: dict[str, dict] = {}
    for backend in args.backends.split(","):
        stages: dict[str, list[float]] = {"retrieve": [], "generate": [], "total": []}
        started = time.perf_counter()
        fallbacks = 0
        for question in questions:
            answer = assistant.ask(question, backend=backend)
            fallbacks += any("instead" in n for n in answer.notes)
            for stage in stages:
                stages[stage].append(answer.timings_ms[stage])
        results[backend] = {
            stage: {"p50": float(np.percentile(v, 50)), "p95": float(np.percentile(v, 95)), "mean": float(np.mean(v))}
            for stage, v in stages.items()
        }
        results[backend]["questions"] = len(questions)
        results[backend]["fallback_to_extractive"] = fallbacks
        results[backend]["wall_s"] = time.perf_counter() - started
    out = ROOT / "benchmarks/out"
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores",
        "index": str(args.index_dir),
        "papers": assistant.index.manifest.papers,
        "chunks": assistant.index.manifest.chunks,
        "questions": args.questions,
        "results": results,
    }
    (out / f"answer_latency-{args.questions}.json").write_text(json.dumps(payload, indent=2))
    print(f"{'backend':<11} {'stage':<9} {'p50 ms':>9} {'p95 ms':>9}")
    for backend, stages in results.items():
        for stage in ("retrieve", "generate", "total"):
            print(f"{backend:<11} {stage:<9} {stages[stage]['p50']:>9.1f} {stages[stage]['p95']:>9.1f}")
        print(f"{backend:<11} fallbacks to extractive: {stages['fallback_to_extractive']}/{stages['questions']}")


if __name__ == "__main__":
    main()
