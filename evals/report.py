"""Run folders and what goes in them: report.json, report.md, PNG plots, and a printed summary table.

    <runs_dir>/<YYYYmmdd-HHMMSS>-<config-hash>/report.json   every number of the run, machine-readable
                                               /report.md     the same for people (links the plots)
                                               /*.png         plots (matplotlib, Agg backend)

``latest_run(runs_dir)`` is the newest run folder (the web UI shows its report.md and plots)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from citewise.runs import REPORT_JSON, REPORT_MD, config_hash, latest_run  # noqa: F401 - re-exported for evals


# -- run folders ------------------------------------------------------------------------------------------


def new_run_dir(runs_dir: Path, config: dict[str, Any], now: datetime | None = None) -> Path:
    """A fresh ``<timestamp>-<config-hash>`` folder (suffixed -2, -3… if that second is already taken)."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(runs_dir) / f"{stamp}-{config_hash(config)}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    folder.mkdir(parents=True)
    return folder


def load_report(run: Path | str) -> dict[str, Any]:
    from citewise.errors import CitewiseError

    path = Path(run)
    path = path / REPORT_JSON if path.is_dir() else path
    if not path.is_file():
        raise CitewiseError(f"No {REPORT_JSON} at {path}; name a run folder under runs/ or its report.json.")
    return json.loads(path.read_text(encoding="utf-8"))


def write_report(folder: Path, report: dict[str, Any], markdown: str) -> None:
    report.setdefault("created_at", datetime.now(timezone.utc).isoformat(timespec="seconds"))
    report.setdefault("run_dir", str(folder))
    (folder / REPORT_JSON).write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    (folder / REPORT_MD).write_text(markdown, encoding="utf-8")


# -- tables -----------------------------------------------------------------------------------------------


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Aligned plain-text table for the terminal."""
    cells = [[str(h) for h in headers]] + [[fmt(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = ["| " + " | ".join(str(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(fmt(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return "\n".join(out)


# -- plots ------------------------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_grouped_bars(
    groups: dict[str, dict[str, float | None]], metrics: Sequence[str], path: Path, title: str, ylabel: str = "score"
) -> Path:
    """One cluster of bars per group (question kind, retrieval method), one bar per metric."""
    plt = _pyplot()
    names = list(groups)
    width = 0.8 / max(len(metrics), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(names) * max(1, len(metrics)) * 0.35 + 2), 4.2))
    for j, metric in enumerate(metrics):
        values = [groups[g].get(metric) for g in names]
        xs = [i + (j - (len(metrics) - 1) / 2) * width for i in range(len(names))]
        bars = ax.bar(xs, [v if v is not None else 0.0 for v in values], width, label=metric)
        for bar, v in zip(bars, values):
            if v is not None and len(names) * len(metrics) <= 24:
                ax.annotate(f"{v:.2f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=7, xytext=(0, 1), textcoords="offset points")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=20 if len(names) > 5 else 0, ha="right" if len(names) > 5 else "center")
    ax.set_ylim(0, 1.22)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=min(len(metrics), 4), loc="upper center")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_latency(latencies: dict[str, Sequence[float]], path: Path, title: str = "Answer latency") -> Path:
    """Histogram per stage (retrieve, generate, total), with p50/p95 marked on the total."""
    import numpy as np

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    all_values = [v for values in latencies.values() for v in values]
    if all_values:
        bins = np.linspace(0, max(all_values) * 1.02 + 1e-9, 30)
        for stage, values in latencies.items():
            if values:
                ax.hist(values, bins=bins, alpha=0.5, label=stage)
        total = latencies.get("total") or all_values
        for q, style in ((50, "--"), (95, ":")):
            x = float(np.percentile(total, q))
            ax.axvline(x, color="black", linestyle=style, linewidth=1)
            ax.text(x, ax.get_ylim()[1] * 0.5, f"p{q} {x:.0f} ms ", fontsize=8, rotation=90, ha="right", va="center")
    ax.set_xlabel("milliseconds")
    ax.set_ylabel("questions")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_curves(
    xs: Sequence[float], curves: dict[str, Sequence[float]], path: Path, title: str, xlabel: str,
    marks: dict[str, float] | None = None,
) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    for name, ys in curves.items():
        ax.plot(xs, ys, label=name)
    for name, x in (marks or {}).items():
        ax.axvline(x, linestyle="--", linewidth=1, color="gray")
        ax.text(x, 0.04, f"{name} {x:.2f}", fontsize=8, rotation=90, ha="right", va="bottom")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
