"""CitewiseRetriever inside llama-index against Citewise alone: the same seed-set retrieval figures, and what going
through llama-index costs per query.

    nice -n 10 .venv/bin/python benchmarks/llamaindex_retriever.py [--repeats 5]    # needs the llamaindex extra

Quality: Recall@5 and nDCG@10 (paper level, ``evals/metrics.py``), ranking RETRIEVAL_DEPTH chunks as ``citewise
eval seed`` does: Citewise through its stages (``seed_run.paper_ranking``), and llama-index's ``retrieve`` on a
``CitewiseRetriever`` (paper = the node's ``ref_doc_id``). Follow-up questions are asked bare through llama-index
(a retriever gets no conversation; a llama-index chat engine condenses one itself) and with their history through
Citewise, so the two are compared on the standalone questions, and the follow-ups are listed apart.
Overhead: per query, the best of ``--repeats`` interleaved runs of each path on the bundled index at the default
top_k (understand + retrieve, the same work), the difference being llama-index's dispatch and the nodes; and,
alone, the integration's own work (making the nodes from the hits), which a loaded machine disturbs less.
Writes benchmarks/out/llamaindex_retriever.json."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import machine, pct, timed_ms, write_json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from citewise.app.assistant import Assistant
    from citewise.evals import metrics
    from citewise.evals.datasets import load_seed, resolve_gold, titles_in_index
    from citewise.evals.seed_run import RETRIEVAL_DEPTH, history_of, paper_ranking
    from citewise.ingest.pipeline import ingest
    from citewise.ingest.sources import bundled_listing
    from citewise.integrations.llamaindex import CitewiseRetriever
    from citewise.integrations.llamaindex.nodes import hit_node
    from citewise.settings import load_settings

    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(index_dir=Path(folder))
        ingest([bundled_listing()], settings, show_progress=False)
        assistant = Assistant(settings=settings)
        questions = resolve_gold([q for q in load_seed() if q.gold_titles], titles_in_index(assistant.index))
        deep = CitewiseRetriever(assistant, top_k=RETRIEVAL_DEPTH)
        rows = []
        for q in questions:
            gold = set(q.gold_ids)
            _, alone = paper_ranking(assistant, q.question, history_of(assistant, q, None), RETRIEVAL_DEPTH)
            through = metrics.dedupe(n.node.ref_doc_id for n in deep.retrieve(q.question))
            rows.append({
                "id": q.id, "follow_up": bool(q.history), "same_ranking": alone == through,
                "citewise": {"recall@5": metrics.recall_at_k(alone, gold, 5), "ndcg@10": metrics.ndcg_at_k(alone, gold, 10)},
                "llamaindex": {"recall@5": metrics.recall_at_k(through, gold, 5), "ndcg@10": metrics.ndcg_at_k(through, gold, 10)},
            })

        def summary(subset: list[dict]) -> dict:
            return {
                "questions": len(subset),
                "same_ranking": sum(r["same_ranking"] for r in subset),
                **{f"{side} {m}": round(metrics.mean(r[side][m] for r in subset), 4)
                   for side in ("citewise", "llamaindex") for m in ("recall@5", "ndcg@10")},
            }

        standalone = [r for r in rows if not r["follow_up"]]
        follow_ups = [r for r in rows if r["follow_up"]]

        retriever = CitewiseRetriever(assistant)  # the default top_k, as an app would use it
        standalone_text = [q.question for q in questions if not q.history]
        for text in standalone_text[:5]:  # warm both paths (sentence caches, first calls)
            assistant.retrieve(assistant.understand(text))
            retriever.retrieve(text)
        n = len(standalone_text)
        best_alone, best_through, best_nodes = [float("inf")] * n, [float("inf")] * n, [float("inf")] * n
        for _ in range(args.repeats):
            for i, text in enumerate(standalone_text):
                hits, ms = timed_ms(lambda t=text: assistant.retrieve(assistant.understand(t)))
                best_alone[i] = min(best_alone[i], ms)
                _, ms = timed_ms(retriever.retrieve, text)
                best_through[i] = min(best_through[i], ms)
                _, ms = timed_ms(lambda h=hits: [hit_node(hit) for hit in h])  # the integration's own work
                best_nodes[i] = min(best_nodes[i], ms)
        overhead = [b - a for a, b in zip(best_alone, best_through)]
        payload = {
            "machine": machine(),
            "retrieval_depth": RETRIEVAL_DEPTH,
            "standalone": summary(standalone),
            "follow_ups_bare_through_llamaindex": summary(follow_ups),
            "latency_ms": {
                "top_k": settings.retrieval.top_k,
                "citewise_alone": pct(best_alone),
                "through_llamaindex": pct(best_through),
                "overhead": pct(overhead),
                "making_nodes": pct(best_nodes),
            },
            "rows": rows,
        }
    write_json("llamaindex_retriever.json", payload)
    print({k: payload[k] for k in ("standalone", "follow_ups_bare_through_llamaindex", "latency_ms")})


if __name__ == "__main__":
    main()
