"""The layout of evaluation run folders, shared by the evaluations that write them and the web UI that shows
the newest one (so the app never imports the evaluation package)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

REPORT_JSON = "report.json"
REPORT_MD = "report.md"


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:8]


def latest_run(runs_dir: Path | str) -> Path | None:
    """The newest run folder holding a report (folder names start with the timestamp), or None."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return None
    runs = [p for p in runs_dir.iterdir() if p.is_dir() and (p / REPORT_JSON).is_file()]
    return max(runs, key=lambda p: (p.name[:15], (p / REPORT_JSON).stat().st_mtime), default=None)
