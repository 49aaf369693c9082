"""Calibrating the refusal threshold (``answer.min_evidence_score``) on the seed set.

The assistant refuses when no retrieved sentence is at least ``min_evidence_score`` similar to the question and
the question names no retrieved paper. For each seed question we record that best similarity and the "named" flag
once (the same steps as ``Assistant.stream``), then sweep the threshold. The threshold maximising refusal
accuracy on the whole set is an optimistic estimate of how well it will do; leave-one-out (pick the threshold on
all other questions, judge the one left out) gives an honest one. A check against the assistant's own refusals
at the configured threshold makes sure the mirrored steps still match the engine."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from citewise.app.assistant import Assistant, clean_question
from citewise.app.query import QueryFilters, contextual_query, filters_from_question, merge_filters
from citewise.evals import report as R
from citewise.evals.datasets import SeedQuestion
from citewise.evals.seed_run import ask_with_history

GRID = [round(0.01 * i, 2) for i in range(0, 91)]


def refusal_signal(assistant: Assistant, question: str, pairs: list[tuple[str, str]]) -> tuple[float, bool]:
    """(best sentence similarity, a top-3 sentence comes from a paper the question names)."""
    question = clean_question(question)
    history = [(clean_question(q), a or "") for q, a in pairs][-assistant.settings.answer.history_turns :]
    filters = merge_filters(QueryFilters(), filters_from_question(question))
    query = contextual_query(question, history)
    vector = assistant.embedder.encode_query(query)
    hits = assistant.retriever.search(query, None, filters, query_vector=vector)
    ranked = assistant.scorer.rank(query, vector, hits)
    best = max((e.similarity for e in ranked), default=-math.inf)
    return best, any(e.named for e in ranked[:3])


def refuses(best: float, named: bool, threshold: float) -> bool:
    return not (best >= threshold or named)


def accuracy(samples: Sequence[dict[str, Any]], threshold: float) -> float:
    return sum(refuses(s["best"], s["named"], threshold) != s["answerable"] for s in samples) / len(samples)


def best_threshold(samples: Sequence[dict[str, Any]], grid: Sequence[float] = GRID) -> tuple[float, float]:
    """The threshold with the highest accuracy; among ties, the middle of the tied ones (away from the edges)."""
    scores = [accuracy(samples, t) for t in grid]
    top = max(scores)
    tied = [t for t, s in zip(grid, scores) if s == top]
    return tied[len(tied) // 2], top


def leave_one_out(samples: Sequence[dict[str, Any]], grid: Sequence[float] = GRID) -> dict[str, Any]:
    correct = 0
    chosen = []
    for i, sample in enumerate(samples):
        threshold, _ = best_threshold([s for j, s in enumerate(samples) if j != i], grid)
        chosen.append(threshold)
        correct += int(refuses(sample["best"], sample["named"], threshold) != sample["answerable"])
    return {"accuracy": correct / len(samples), "threshold_min": min(chosen), "threshold_max": max(chosen)}


def run_calibration(assistant: Assistant, questions: Sequence[SeedQuestion], grid: Sequence[float] = GRID) -> dict[str, Any]:
    configured = assistant.settings.answer.min_evidence_score
    samples = []
    mismatches = []
    for q in questions:
        answer, pairs = ask_with_history(assistant, q, "extractive")
        best, named = refusal_signal(assistant, q.question, pairs)
        predicted = refuses(best, named, configured)
        if predicted != answer.refused:
            mismatches.append(q.id)
        samples.append({"id": q.id, "kind": q.kind, "answerable": q.answerable, "best": best, "named": named,
                        "refused_by_assistant": answer.refused})
    answerable = [s for s in samples if s["answerable"]]
    unanswerable = [s for s in samples if not s["answerable"]]
    curve = {
        "threshold": list(grid),
        "refusal_accuracy": [accuracy(samples, t) for t in grid],
        "false_refusal_rate": [
            sum(refuses(s["best"], s["named"], t) for s in answerable) / len(answerable) if answerable else 0.0 for t in grid
        ],
        "false_answer_rate": [
            sum(not refuses(s["best"], s["named"], t) for s in unanswerable) / len(unanswerable) if unanswerable else 0.0 for t in grid
        ],
    }
    best, best_accuracy = best_threshold(samples, grid)
    return {
        "kind": "calibrate",
        "backend": "extractive",
        "setting": "answer.min_evidence_score",
        "questions": len(samples),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "configured_threshold": configured,
        "configured_accuracy": accuracy(samples, configured),
        "best_threshold": best,
        "best_accuracy_in_sample": best_accuracy,
        "leave_one_out": leave_one_out(samples, grid),
        "named_answerable": sum(s["named"] for s in answerable),
        "named_unanswerable": sum(s["named"] for s in unanswerable),
        "engine_mismatches": mismatches,
        "curve": curve,
        "per_question": samples,
    }


def write_calibration_run(result: dict[str, Any], runs_dir: Path, config: dict[str, Any]) -> Path:
    folder = R.new_run_dir(runs_dir, config)
    result["config"] = config
    result["config_hash"] = R.config_hash(config)
    curve = result["curve"]
    R.plot_curves(
        curve["threshold"],
        {k: v for k, v in curve.items() if k != "threshold"},
        folder / "calibration.png",
        f"Refusal threshold sweep ({result['answerable']} answerable / {result['unanswerable']} unanswerable)",
        "answer.min_evidence_score",
        marks={"configured": result["configured_threshold"], "best": result["best_threshold"]},
    )
    loo = result["leave_one_out"]
    rows = sorted(result["per_question"], key=lambda s: s["best"])
    md = [
        "# Refusal threshold calibration (extractive backend)",
        "",
        R.md_table(
            ["", "threshold", "refusal accuracy"],
            [
                ["configured", result["configured_threshold"], result["configured_accuracy"]],
                ["best on the whole set (optimistic)", result["best_threshold"], result["best_accuracy_in_sample"]],
                [f"leave-one-out (thresholds {loo['threshold_min']:.2f}–{loo['threshold_max']:.2f})", None, loo["accuracy"]],
            ],
        ),
        "",
        f"Questions naming a retrieved paper are answered whatever the threshold: {result['named_answerable']} answerable, "
        f"{result['named_unanswerable']} unanswerable.",
        "",
        "![calibration](calibration.png)",
        "",
        "## Best sentence similarity per question",
        "",
        R.md_table(["id", "kind", "answerable", "best similarity", "names a paper"],
                   [[s["id"], s["kind"], s["answerable"], s["best"], s["named"]] for s in rows]),
    ]
    if result["engine_mismatches"]:
        md += ["", f"**Warning:** the mirrored refusal rule disagreed with the assistant on {result['engine_mismatches']}."]
    R.write_report(folder, result, "\n".join(md) + "\n")
    return folder
