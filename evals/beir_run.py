"""Retrieval benchmark on a SciFact- or BEIR-layout folder: bm25, dense and hybrid beside the simple recipe.

The corpus is indexed once into a cache folder (see ``index_cache``) and reused while it is unchanged. Each
query goes through the engine's ``understand`` stage and its paper ranking for the top ``depth`` papers
(claims are not date-scoped: a year in a claim is not read as a filter). Every method draws ``candidates``
entries from each list it uses, so that ``depth`` papers are reachable (the app's default of 50 would cap
Recall@100).

For SciFact claims with rationale sentences, the extractive answer is checked too: does it quote a gold evidence
sentence (``Citation.sentence_index`` among the rationale sentences of that document)?"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from citewise.evals import metrics, report
from citewise.evals.datasets import Benchmark
from citewise.evals.recipe_baseline import RECIPE_METHODS, RecipeBaseline
from citewise.ingest.embedding_cache import EmbeddingCache
from citewise.ingest.pipeline import CACHE_DIR
from citewise.settings import Settings

METHODS = ("bm25", "dense", "hybrid")
DEPTH = 100
CANDIDATES = 300


def _scores(ranking: list[str], relevant: set[str]) -> dict[str, float]:
    return {
        "ndcg@10": metrics.ndcg_at_k(ranking, relevant, 10),
        "recall@100": metrics.recall_at_k(ranking, relevant, 100),
        "map": metrics.average_precision(ranking, relevant, 100),
        "mrr@10": metrics.reciprocal_rank(ranking, relevant, 10),
        "recall@10": metrics.recall_at_k(ranking, relevant, 10),
    }


def retrieval_scores(
    assistant, bench: Benchmark, depth: int, recipe: RecipeBaseline, progress: Callable[[int, int], None] | None = None  # noqa: ANN001
):
    """Per method, mean ndcg@10, recall@100, map (@100), mrr@10 and recall@10 of the engine's paper ranking
    (``rank_papers``: fusion and named papers; claims ask for one answer, so no diversification applies), and of
    the simple recipe's three rankings on the same queries. ``ms_per_query`` times what the app runs per
    question: ``retrieve`` for its default top-k (for the recipe, its three rankings). Also per-query nDCG@10."""
    from citewise.app.understanding import QueryFilters

    per_query: dict[str, list[dict[str, float]]] = {m: [] for m in (*METHODS, *RECIPE_METHODS)}
    seconds: dict[str, float] = {m: 0.0 for m in (*METHODS, "recipe")}
    for i, query in enumerate(bench.queries, 1):
        question = assistant.understand(query.text).model_copy(update={"filters": QueryFilters()})
        vector = assistant.embedder.encode_query(question.search_query)
        for method in METHODS:
            started = time.perf_counter()  # what ``retrieve`` runs: the ranking, then the chunks handed on
            papers = assistant.retriever.rank_papers(question, vector, method)
            assistant.retriever.pick(question, papers, vector)
            seconds[method] += time.perf_counter() - started
            ranking = [assistant.index.store.paper_at(p.paper_row).paper_id for p in papers[:depth]]
            per_query[method].append(_scores(ranking, query.relevant))
        started = time.perf_counter()
        for method, ranking in recipe.rankings(query.text, depth).items():
            per_query[method].append(_scores(ranking, query.relevant))
        seconds["recipe"] += time.perf_counter() - started
        if progress:
            progress(i, len(bench.queries))
    methods = {m: {k: metrics.mean(row[k] for row in rows) for k in rows[0]} for m, rows in per_query.items()}
    for m in methods:
        methods[m]["ms_per_query"] = 1000 * seconds[m if m in METHODS else "recipe"] / len(bench.queries)
    return methods, per_query


def evidence_scores(assistant, bench: Benchmark, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:  # noqa: ANN001
    """Extractive answers to claims that have rationale sentences: are gold evidence sentences quoted?"""
    claims = [q for q in bench.queries if q.evidence]
    hit = cited_doc = refused = 0
    precise: list[float | None] = []
    latencies: list[float] = []
    for i, q in enumerate(claims, 1):
        answer = assistant.ask(q.text, backend="extractive")
        latencies.append(answer.timings_ms.get("total", 0.0))
        gold = [(c.paper_id in q.evidence and c.sentence_index in q.evidence[c.paper_id]) for c in answer.citations]
        refused += int(answer.refused)
        hit += int(any(gold))
        cited_doc += int(any(c.paper_id in q.relevant for c in answer.citations))
        precise.append(sum(gold) / len(gold) if gold else None)
        if progress:
            progress(i, len(claims))
    n = len(claims)
    return {
        "claims": n,
        "quotes_gold_evidence": hit / n if n else None,
        "cites_gold_doc": cited_doc / n if n else None,
        "evidence_precision": metrics.mean(precise),
        "refused": refused / n if n else None,
        "latency_ms": metrics.percentiles(latencies),
    }


def run_beir(
    bench: Benchmark,
    settings: Settings,
    cache_root: Path | None = None,
    depth: int = DEPTH,
    candidates: int = CANDIDATES,
    evidence: bool = True,
    limit: int | None = None,
    show_progress: bool = True,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    from tqdm.auto import tqdm

    from citewise.app.assistant import Assistant
    from citewise.evals.index_cache import cached_index

    started = time.perf_counter()
    index_dir, reused = cached_index(bench.corpus, bench.name, settings, cache_root, show_progress=show_progress)
    echo(f"{'Reusing' if reused else 'Built'} the {bench.name} index at {index_dir}.")
    if limit:
        bench.queries = bench.queries[:limit]
    retrieval = settings.retrieval.model_copy(update={"candidates": max(candidates, settings.retrieval.candidates)})
    assistant = Assistant(settings=settings.model_copy(update={"index_dir": index_dir, "retrieval": retrieval}))
    embedder = assistant.embedder
    recipe_cache = EmbeddingCache(index_dir / CACHE_DIR, settings.embedding.encoder_id, embedder.dimension)
    recipe = RecipeBaseline(assistant.index.store.all_papers(), embedder, recipe_cache, show_progress=show_progress)
    bar = tqdm(total=len(bench.queries), desc="Retrieval", unit="query", disable=not show_progress)
    methods, per_query = retrieval_scores(assistant, bench, depth, recipe, lambda i, n: bar.update(1))
    bar.close()
    result: dict[str, Any] = {
        "kind": "beir",
        "dataset": bench.name,
        "layout": bench.layout,
        "split": bench.split,
        "queries": len(bench.queries),
        "index": {"dir": str(index_dir), "reused": reused, "version": assistant.index.manifest.version,
                  "papers": assistant.index.manifest.papers, "chunks": assistant.index.manifest.chunks},
        "depth": depth,
        "candidates": retrieval.candidates,
        "methods": methods,
        "hybrid_beats_both_ndcg@10": methods["hybrid"]["ndcg@10"] > max(methods["bm25"]["ndcg@10"], methods["dense"]["ndcg@10"]),
        "hybrid_minus_recipe_ndcg@10": methods["hybrid"]["ndcg@10"] - methods["recipe-fused"]["ndcg@10"],
        "per_query_ndcg@10": {
            q.id: {m: round(per_query[m][i]["ndcg@10"], 4) for m in per_query} for i, q in enumerate(bench.queries)
        },
    }
    if evidence and any(q.evidence for q in bench.queries):
        # the answerer sees the app's own retrieval settings, not the benchmark's deeper candidate lists
        assistant.retriever.settings = settings.retrieval
        bar = tqdm(total=sum(1 for q in bench.queries if q.evidence), desc="Evidence", unit="claim", disable=not show_progress)
        result["evidence"] = evidence_scores(assistant, bench, lambda i, n: bar.update(1))
        bar.close()
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def summary_rows(result: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    headers = ["method", "ndcg@10", "recall@100", "map", "mrr@10", "recall@10", "ms/query"]
    rows = [[m] + [v[k] for k in ("ndcg@10", "recall@100", "map", "mrr@10", "recall@10", "ms_per_query")] for m, v in result["methods"].items()]
    return headers, rows


def write_beir_run(result: dict[str, Any], runs_dir: Path, config: dict[str, Any]) -> Path:
    folder = report.new_run_dir(runs_dir, config)
    result["config"] = config
    result["config_hash"] = report.config_hash(config)
    report.plot_grouped_bars(
        result["methods"], ["ndcg@10", "recall@100", "map"], folder / "methods.png",
        f"{result['dataset']} ({result['split']}, {result['queries']} queries): retrieval methods",
    )
    headers, rows = summary_rows(result)
    md = [
        f"# Retrieval benchmark — {result['dataset']} / {result['split']}",
        "",
        f"{result['queries']} queries; index {result['index']['version']} ({result['index']['papers']} papers, "
        f"{result['index']['chunks']} chunks); top {result['depth']} chunks, {result['candidates']} candidates per list; "
        f"paper-level ranking. {result['seconds']} s.",
        "",
        report.md_table(headers, rows),
        "",
        f"Hybrid nDCG@10 above both bm25 and dense: **{report.fmt(result['hybrid_beats_both_ndcg@10'])}**; "
        f"hybrid minus the simple recipe's fused nDCG@10: **{result['hybrid_minus_recipe_ndcg@10']:+.3f}**.",
        "",
        "`recipe-*`: the simple recipe (one entry per paper, title + abstract; bm25s with a Snowball stemmer; the same "
        "encoder; reciprocal-rank fusion, k = 60), run on the same queries in the same run.",
        "",
        "![methods](methods.png)",
    ]
    if "evidence" in result:
        e = result["evidence"]
        md += [
            "",
            f"## Extractive answers to {e['claims']} claims with rationale sentences",
            "",
            report.md_table(
                ["quotes a gold evidence sentence", "cites a gold paper", "evidence precision (per citation)", "refused", "p50 ms", "p95 ms"],
                [[e["quotes_gold_evidence"], e["cites_gold_doc"], e["evidence_precision"], e["refused"],
                  e["latency_ms"]["p50"], e["latency_ms"]["p95"]]],
            ),
        ]
    report.write_report(folder, result, "\n".join(md) + "\n")
    return folder
