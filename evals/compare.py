"""Metric deltas between two runs, with regressions flagged.

Every numeric leaf of report.json is compared (per-question detail, configuration and counts are left out).
Scores (higher is better) regress when they drop by more than ``tolerance`` (absolute); latencies and error
counts (lower is better) regress when they grow by more than ``latency_tolerance`` (relative) / at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SKIP_KEYS = {"questions", "config", "index", "failures", "per_query_ndcg@10", "per_question", "curve", "folds", "thresholds", "seconds"}
COUNT_KEYS = {"queries", "claims", "depth", "candidates", "papers", "chunks", "n"}
LOWER_IS_BETTER_HINTS = ("latency", "ms_per_query", "_ms", "false_", "seconds")


@dataclass
class Delta:
    metric: str
    a: float | None
    b: float | None
    lower_is_better: bool
    regression: bool

    @property
    def change(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


def flatten(report: dict[str, Any], prefix: str = "") -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key, value in report.items():
        if key in SKIP_KEYS or key in COUNT_KEYS:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, (int, float)) or value is None:
            out[name] = None if value is None else float(value)
    return out


def lower_is_better(metric: str) -> bool:
    return any(h in metric for h in LOWER_IS_BETTER_HINTS)


def compare_reports(a: dict[str, Any], b: dict[str, Any], tolerance: float = 0.02, latency_tolerance: float = 0.5) -> list[Delta]:
    fa, fb = flatten(a), flatten(b)
    deltas = []
    for metric in sorted(set(fa) | set(fb), key=lambda m: (list(fa) + [k for k in fb if k not in fa]).index(m)):
        va, vb = fa.get(metric), fb.get(metric)
        lower = lower_is_better(metric)
        regression = False
        if va is not None and vb is not None:
            timing = "latency" in metric or metric.endswith("ms_per_query")
            if timing:
                regression = vb > va * (1 + latency_tolerance) and vb - va > 1.0
            elif lower:
                regression = vb > va
            else:
                regression = va - vb > tolerance
        deltas.append(Delta(metric, va, vb, lower, regression))
    return deltas


def render(deltas: list[Delta], name_a: str, name_b: str, only_changed: bool = False) -> str:
    from citewise.evals.report import fmt, text_table

    rows = []
    for d in deltas:
        if only_changed and d.change == 0:
            continue
        change = None if d.change is None else f"{d.change:+.3f}"
        rows.append([d.metric, d.a, d.b, change, "REGRESSION" if d.regression else ""])
    return text_table(["metric", name_a, name_b, "delta", ""], rows) if rows else "No comparable metrics."
