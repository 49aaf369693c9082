"""Figures the reliability tests measure (requests held, faults survived, inputs tried), merged into one JSON
so RELIABILITY.md can quote a real run: ``tmp/out/reliability.json`` at the repo root, or ``$CITEWISE_FIGURES``."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "tmp" / "out" / "reliability.json"


def figures_path() -> Path:
    return Path(os.environ.get("CITEWISE_FIGURES", DEFAULT_PATH))


def record(section: str, figures: dict[str, Any]) -> None:
    """Merge ``figures`` into ``section`` (later keys win), under a lock so parallel runs do not clobber each other."""
    path = figures_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / ".reliability.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        data.setdefault(section, {}).update(figures)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    """p50 / p95 / max in milliseconds, rounded for a report."""
    values = np.array(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(values, 50)), 1), "p95_ms": round(float(np.percentile(values, 95)), 1),
            "max_ms": round(float(values.max()), 1)}
