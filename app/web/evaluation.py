"""The evaluation tab: the newest run's report.md and its plots, or how to make one."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from citewise.runs import REPORT_MD, latest_run

HOW_TO = (
    "No evaluation run yet in `{runs_dir}`.\n\n"
    "Run `citewise eval seed` (the bundled question set: retrieval and answer quality, latency) and come back; "
    "each run writes `runs/<time>-<hash>/report.md` with its plots, and the newest one is shown here."
)
_IMAGE_LINE = re.compile(r"^\s*!\[[^\]]*\]\([^)]*\)\s*$", re.M)


def latest_report(runs_dir: Path) -> tuple[str, list[tuple[Image.Image, str]]]:
    """Markdown (image links removed: the plots come as images, loaded here, so no run folder is served)."""
    run = latest_run(runs_dir)
    if run is None or not (run / REPORT_MD).is_file():
        return HOW_TO.format(runs_dir=runs_dir), []
    text = _IMAGE_LINE.sub("", (run / REPORT_MD).read_text(encoding="utf-8"))
    plots = []
    for path in sorted(run.glob("*.png")):
        with Image.open(path) as image:
            plots.append((image.copy(), path.stem.replace("_", " ")))
    return f"*Run `{run.name}`*\n\n{text}", plots
