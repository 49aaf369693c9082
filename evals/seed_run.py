"""The seed evaluation: every seed question through an Assistant, scored per question and per question kind.

Follow-ups ask their history questions first, in order, and pass the (question, answer) pairs on, as the web UI
does. Retrieval is measured with the engine's own stages (``understand`` then ``retrieve``, deeper than the
answer looks), at paper level (a paper's rank is the rank of its best chunk)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from citewise.app.answers import Answer
from citewise.app.assistant import Assistant
from citewise.app.catalog import listing_line
from citewise.records import short_name
from citewise.evals import metrics, report
from citewise.evals.datasets import SeedQuestion, resolve_gold, titles_in_index

RETRIEVAL_DEPTH = 20  # chunks searched for the retrieval metrics (>= 10 papers with two chunks per paper)
ANSWER_METRICS = ("answer_correctness", "citation_precision", "citation_recall", "refusal_accuracy", "statement_support")
RETRIEVAL_METRICS = ("recall@5", "recall@10", "mrr@10", "ndcg@10", "context_recall")
HEADLINE = ANSWER_METRICS + ("recall@5", "mrr@10", "ndcg@10")


def history_of(assistant: Assistant, q: SeedQuestion, backend: str | None) -> list[tuple[str, str]]:
    """The (question, answer) pairs of a follow-up's earlier turns, each asked in order, as the web UI does."""
    pairs: list[tuple[str, str]] = []
    for earlier in q.history:
        pairs.append((earlier, assistant.ask(earlier, backend=backend, history=list(pairs)).answer))
    return pairs


def ask_with_history(assistant: Assistant, q: SeedQuestion, backend: str | None) -> tuple[Answer, list[tuple[str, str]]]:
    pairs = history_of(assistant, q, backend)
    return assistant.ask(q.question, backend=backend, history=list(pairs)), pairs


def paper_ranking(assistant: Assistant, question: str, pairs: list[tuple[str, str]], top_k: int | None) -> tuple[str, list[str]]:
    """(the text searched, the papers retrieved best first) for this turn, through the engine's stages."""
    understood = assistant.understand(question, pairs)
    return understood.search_query, metrics.dedupe(h.paper.paper_id for h in assistant.retrieve(understood, top_k))


def statement_support(assistant: Assistant, answer: Answer) -> float | None:
    """Share of citations that hold: a generated statement the verifier supported, a quote that is its paper's
    sentence verbatim (and shown), or a listing citation that is its paper's listing entry (and the paper is named)."""
    if answer.backend != "extractive" and answer.statements:
        return metrics.generative_support([s.supported for s in answer.statements])
    if not answer.citations:
        return None
    papers = {c.paper_id: assistant.index.store.paper(c.paper_id) for c in answer.citations}
    quotes = [(c.paper_id, c.sentence_index, c.quote) for c in answer.citations if c.kind == "sentence"]
    sentences = {pid: paper.sentences if paper else [] for pid, paper in papers.items()}
    quoted = metrics.extractive_support(quotes, sentences, answer.answer)
    listed = [
        c for c in answer.citations
        if c.kind == "listing" and (paper := papers[c.paper_id]) is not None and c.quote == listing_line(paper)
        and (paper.title in answer.answer or short_name(paper.title) in answer.answer)
    ]
    return ((quoted or 0.0) * len(quotes) + len(listed)) / len(answer.citations)


def evaluate_question(assistant: Assistant, q: SeedQuestion, backend: str | None) -> dict[str, Any]:
    answer, pairs = ask_with_history(assistant, q, backend)
    gold = set(q.gold_ids)
    cited = [c.paper_id for c in answer.citations]
    found = metrics.facts_found(answer.answer, q.required_facts) if not answer.refused else [False] * len(q.required_facts)
    row: dict[str, Any] = {
        "id": q.id,
        "kind": q.kind,
        "question": q.question,
        "history": q.history,
        "answerable": q.answerable,
        "refused": answer.refused,
        "gold_ids": q.gold_ids,
        "gold_titles": q.gold_titles,
        "required_facts": q.required_facts,
        "facts_found": found,
        "answer": answer.answer,
        "citations": [
            {"paper_id": c.paper_id, "title": c.title, "sentence_index": c.sentence_index, "quote": c.quote, "score": c.score}
            for c in answer.citations
        ],
        "notes": answer.notes,
        "timings_ms": answer.timings_ms,
        "decision": answer.decision.model_dump(mode="json") if answer.decision else None,
        "refusal_correct": answer.refused != q.answerable,
        "statement_support": statement_support(assistant, answer),
    }
    if q.answerable:
        row["answer_correct"] = (not answer.refused) and all(found)
        row["citation_precision"] = metrics.citation_precision(cited, gold) if gold else None
        row["citation_recall"] = metrics.citation_recall(cited, gold)
    if gold:
        query, ranking = paper_ranking(assistant, q.question, pairs, RETRIEVAL_DEPTH)
        _, context = paper_ranking(assistant, q.question, pairs, None)  # what the answerer was handed
        row["search_query"] = query
        row["retrieved"] = ranking[:10]
        row["retrieval"] = {
            "recall@5": metrics.recall_at_k(ranking, gold, 5),
            "recall@10": metrics.recall_at_k(ranking, gold, 10),
            "mrr@10": metrics.reciprocal_rank(ranking, gold, 10),
            "ndcg@10": metrics.ndcg_at_k(ranking, gold, 10),
            "context_recall": len(set(context) & gold) / len(gold),
        }
    return row


def aggregate(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Headline metrics of a set of per-question rows (None where no question defines the metric)."""
    answerable = [r for r in rows if r["answerable"]]
    with_retrieval = [r for r in rows if "retrieval" in r]
    out: dict[str, Any] = {
        "questions": len(rows),
        "answer_correctness": metrics.mean(float(r["answer_correct"]) for r in answerable),
        "citation_precision": metrics.mean(r.get("citation_precision") for r in answerable),
        "citation_recall": metrics.mean(r.get("citation_recall") for r in answerable),
        "refusal_accuracy": metrics.refusal_accuracy((r["refused"], r["answerable"]) for r in rows) if rows else None,
        "statement_support": metrics.mean(r["statement_support"] for r in rows),
        "false_refusals": sum(1 for r in answerable if r["refused"]),
        "false_answers": sum(1 for r in rows if not r["answerable"] and not r["refused"]),
    }
    for metric in RETRIEVAL_METRICS:
        out[metric] = metrics.mean(r["retrieval"][metric] for r in with_retrieval)
    return out


def latency_summary(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    stages = ("retrieve", "generate", "total")
    return {s: metrics.percentiles([r["timings_ms"][s] for r in rows if s in r["timings_ms"]]) for s in stages}


def run_seed(
    assistant: Assistant,
    questions: Sequence[SeedQuestion],
    backend: str | None = None,
    on_question: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Evaluate ``questions`` (gold titles are resolved against the assistant's index first)."""
    resolve_gold(list(questions), titles_in_index(assistant.index))
    started = time.perf_counter()
    rows = []
    for i, q in enumerate(questions, 1):
        rows.append(evaluate_question(assistant, q, backend))
        if on_question:
            on_question(i, len(questions), rows[-1])
    kinds = sorted({r["kind"] for r in rows}, key=lambda k: [r["kind"] for r in rows].index(k))
    return {
        "kind": "seed",
        "backend": backend or assistant.settings.answer.backend,
        "index": {"dir": str(assistant.settings.index_dir), "version": assistant.index.manifest.version,
                  "papers": assistant.index.manifest.papers, "chunks": assistant.index.manifest.chunks},
        "provenance": assistant.provenance(backend or assistant.settings.answer.backend).model_dump(mode="json"),
        "overall": aggregate(rows),
        "per_kind": {k: aggregate([r for r in rows if r["kind"] == k]) for k in kinds},
        "latency_ms": latency_summary(rows),
        "seconds": round(time.perf_counter() - started, 1),
        "questions": rows,
    }


# -- writing the run --------------------------------------------------------------------------------------


def summary_rows(result: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    headers = ["kind", "n"] + [m.replace("answer_", "").replace("citation_", "cit_") for m in HEADLINE]
    rows = [[kind, agg["questions"]] + [agg.get(m) for m in HEADLINE] for kind, agg in result["per_kind"].items()]
    rows.append(["ALL", result["overall"]["questions"]] + [result["overall"].get(m) for m in HEADLINE])
    return headers, rows


def failures(result: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for r in result["questions"]:
        problems = []
        if not r["refusal_correct"]:
            problems.append("refused an answerable question" if r["refused"] else "answered an unanswerable question")
        if r["answerable"] and not r["refused"]:
            missing = [f for f, ok in zip(r["required_facts"], r["facts_found"]) if not ok]
            if missing:
                problems.append("missing facts: " + "; ".join(missing))
            if (r.get("citation_precision") or 0) < 1 and r.get("citation_precision") is not None:
                problems.append(f"citation precision {r['citation_precision']:.2f}")
            if (r.get("citation_recall") or 0) < 1 and r.get("citation_recall") is not None:
                problems.append(f"citation recall {r['citation_recall']:.2f}")
        if problems:
            out.append({"id": r["id"], "kind": r["kind"], "question": r["question"], "problems": problems})
    return out


def write_seed_run(result: dict[str, Any], runs_dir: Path, config: dict[str, Any]) -> Path:
    folder = report.new_run_dir(runs_dir, config)
    result["config"] = config
    result["config_hash"] = report.config_hash(config)
    result["failures"] = failures(result)
    report.plot_grouped_bars(
        result["per_kind"], ["answer_correctness", "citation_precision", "citation_recall", "refusal_accuracy"],
        folder / "answers_per_kind.png", f"Seed set ({result['backend']}): answer metrics per question kind",
    )
    report.plot_grouped_bars(
        {k: v for k, v in result["per_kind"].items() if v.get("recall@5") is not None},
        ["recall@5", "mrr@10", "ndcg@10", "context_recall"],
        folder / "retrieval_per_kind.png", "Seed set: retrieval per question kind (paper level)",
    )
    report.plot_latency(
        {s: [r["timings_ms"][s] for r in result["questions"] if s in r["timings_ms"]] for s in ("retrieve", "generate", "total")},
        folder / "latency.png", f"Seed set ({result['backend']}): latency per question",
    )
    headers, rows = summary_rows(result)
    lat = result["latency_ms"]["total"]
    prov = result["provenance"]
    dataset = result.get("dataset") or {"name": "seed", "split": "all"}
    name = dataset["name"] if dataset["split"] == "all" else f"{dataset['name']} ({dataset['split']} split)"
    md = [
        f"# Question-set evaluation — {name} — {result['backend']} backend",
        "",
        f"Produced by Citewise {prov['citewise_version']}, settings `{prov['settings_hash']}`, encoder `{prov['encoder_id']}`.",
        "",
        f"Index `{result['index']['dir']}` ({result['index']['version']}, {result['index']['papers']} papers, "
        f"{result['index']['chunks']} chunks); {result['overall']['questions']} questions in {result['seconds']} s; "
        f"latency p50 {report.fmt(lat['p50'], 0)} ms, p95 {report.fmt(lat['p95'], 0)} ms.",
        "",
        report.md_table(headers, rows),
        "",
        "Answer metrics are over answerable questions (refusal accuracy over all); citation precision ignores answers "
        "without citations; retrieval is paper-level over the engine's `retrieve` stage (context_recall: gold papers among the "
        "chunks handed to the answerer).",
        "",
        "![answer metrics per kind](answers_per_kind.png)",
        "",
        "![retrieval per kind](retrieval_per_kind.png)",
        "",
        "![latency](latency.png)",
        "",
        f"## Failures ({len(result['failures'])})",
        "",
    ]
    md += [f"- `{f['id']}` ({f['kind']}) {f['question']} — {'; '.join(f['problems'])}" for f in result["failures"]] or ["None."]
    report.write_report(folder, result, "\n".join(md) + "\n")
    return folder
