"""Retrieval latency on the SciFact index, first question included: one fresh process opens the index, warms the
encoder on a string that is not a claim, then times every train claim through understand + query encoding +
``retrieve`` (the paper ranking and the chunks handed on), as a user's questions would run.

    nice -n 10 .venv/bin/python benchmarks/retrieval_latency.py [--limit 809]

Writes benchmarks/out/retrieval_latency-scifact.json and prints p50 / p95 / max and the first question's time."""

from __future__ import annotations

import argparse
import json
import time

from _common import SCIFACT_DIR, machine, pct, scifact_index_dir, write_json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=809)
    args = parser.parse_args()

    from citewise.app.assistant import Assistant
    from citewise.settings import load_settings

    index_dir = scifact_index_dir()
    claims = [json.loads(line)["claim"] for line in (SCIFACT_DIR / "claims_train.jsonl").read_text(encoding="utf-8").splitlines()]
    started = time.perf_counter()
    assistant = Assistant(settings=load_settings(index_dir=index_dir))
    assistant.embedder.encode_query("warm-up")
    ready_s = time.perf_counter() - started
    times: list[float] = []
    for claim in claims[: args.limit]:
        started = time.perf_counter()
        question = assistant.understand(claim)
        assistant.retrieve(question, query_vector=assistant.embedder.encode_query(question.search_query))
        times.append((time.perf_counter() - started) * 1000)
    result = {"machine": machine(), "index": str(index_dir), "ready_s": round(ready_s, 2), "first_ms": round(times[0], 2),
              "max_ms": round(max(times), 2), "retrieve_ms": pct(times)}
    write_json("retrieval_latency-scifact.json", result)
    print(f"ready {result['ready_s']} s; first question {result['first_ms']} ms; p50 {result['retrieve_ms']['p50']} ms, "
          f"p95 {result['retrieve_ms']['p95']} ms, max {result['max_ms']} ms over {len(times)} claims")


if __name__ == "__main__":
    main()
