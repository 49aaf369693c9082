"""Calibrating the refusal threshold (``answer.min_evidence_score``) on the seed set.

Each seed question is asked once; its answer records the decision's signals (best sentence similarity, whether the
question names a retrieved paper, whether one paper covers its topic). The sweep then re-applies the engine's own
pure decision function (``answerability.decide``) to those signals at every threshold, so calibration and the
engine can never disagree on the rule. The threshold maximising refusal accuracy on the whole set is an
optimistic estimate; leave-one-out (pick the threshold on all other questions, judge the one left out) gives an
honest one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from citewise.app.answerability import decide
from citewise.app.assistant import Assistant
from citewise.app.gathering import Signals
from citewise.evals import report
from citewise.evals.datasets import SeedQuestion
from citewise.evals.seed_run import ask_with_history
from citewise.settings import AnswerSettings

GRID = [round(0.01 * i, 2) for i in range(0, 91)]


def refuses(sample: dict[str, Any], settings: AnswerSettings, threshold: float) -> bool:
    signals = Signals.model_validate(sample["signals"])
    return not decide(signals, settings.model_copy(update={"min_evidence_score": threshold})).answerable


def accuracy(samples: Sequence[dict[str, Any]], settings: AnswerSettings, threshold: float) -> float:
    return sum(refuses(s, settings, threshold) != s["answerable"] for s in samples) / len(samples)


def best_threshold(samples: Sequence[dict[str, Any]], settings: AnswerSettings, grid: Sequence[float] = GRID) -> tuple[float, float]:
    """The threshold with the highest accuracy; among ties, the middle of the tied ones (away from the edges)."""
    scores = [accuracy(samples, settings, t) for t in grid]
    top = max(scores)
    tied = [t for t, s in zip(grid, scores) if s == top]
    return tied[len(tied) // 2], top


def leave_one_out(samples: Sequence[dict[str, Any]], settings: AnswerSettings, grid: Sequence[float] = GRID) -> dict[str, Any]:
    correct = 0
    chosen = []
    for i, sample in enumerate(samples):
        threshold, _ = best_threshold([s for j, s in enumerate(samples) if j != i], settings, grid)
        chosen.append(threshold)
        correct += int(refuses(sample, settings, threshold) != sample["answerable"])
    return {"accuracy": correct / len(samples), "threshold_min": min(chosen), "threshold_max": max(chosen)}


def run_calibration(assistant: Assistant, questions: Sequence[SeedQuestion], grid: Sequence[float] = GRID) -> dict[str, Any]:
    settings = assistant.settings.answer
    configured = settings.min_evidence_score
    samples = []
    mismatches = []
    for q in questions:
        answer, _ = ask_with_history(assistant, q, "extractive")
        assert answer.decision is not None
        signals = answer.decision.signals
        sample = {"id": q.id, "kind": q.kind, "answerable": q.answerable, "signals": signals.model_dump(),
                  "best": signals.best_similarity if signals.best_similarity is not None else float("-inf"),
                  "named": signals.names_top_paper, "refused_by_assistant": answer.refused}
        if refuses(sample, settings, configured) != answer.refused:  # the stages ran without the decision deciding
            mismatches.append(q.id)
        samples.append(sample)
    answerable = [s for s in samples if s["answerable"]]
    unanswerable = [s for s in samples if not s["answerable"]]
    curve = {
        "threshold": list(grid),
        "refusal_accuracy": [accuracy(samples, settings, t) for t in grid],
        "false_refusal_rate": [
            sum(refuses(s, settings, t) for s in answerable) / len(answerable) if answerable else 0.0 for t in grid
        ],
        "false_answer_rate": [
            sum(not refuses(s, settings, t) for s in unanswerable) / len(unanswerable) if unanswerable else 0.0 for t in grid
        ],
    }
    best, best_accuracy = best_threshold(samples, settings, grid)
    return {
        "kind": "calibrate",
        "backend": "extractive",
        "setting": "answer.min_evidence_score",
        "questions": len(samples),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "configured_threshold": configured,
        "configured_accuracy": accuracy(samples, settings, configured),
        "best_threshold": best,
        "best_accuracy_in_sample": best_accuracy,
        "leave_one_out": leave_one_out(samples, settings, grid),
        "named_answerable": sum(s["named"] for s in answerable),
        "named_unanswerable": sum(s["named"] for s in unanswerable),
        "engine_mismatches": mismatches,
        "curve": curve,
        "per_question": samples,
    }


def write_calibration_run(result: dict[str, Any], runs_dir: Path, config: dict[str, Any]) -> Path:
    folder = report.new_run_dir(runs_dir, config)
    result["config"] = config
    result["config_hash"] = report.config_hash(config)
    curve = result["curve"]
    report.plot_curves(
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
        report.md_table(
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
        report.md_table(["id", "kind", "answerable", "best similarity", "names a paper"],
                   [[s["id"], s["kind"], s["answerable"], s["best"], s["named"]] for s in rows]),
    ]
    if result["engine_mismatches"]:
        md += ["", f"**Warning:** re-applying the decision disagreed with the assistant on {result['engine_mismatches']}."]
    report.write_report(folder, result, "\n".join(md) + "\n")
    return folder
