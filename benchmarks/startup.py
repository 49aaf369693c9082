"""Start-up: how long until Citewise can answer, on the bundled index, from a cold process.

    nice -n 10 .venv/bin/python benchmarks/startup.py [--repeats 3] [--index-dir DIR]

Ingests the bundled papers into a temporary index (unless --index-dir is given), then, in fresh processes:

- Python API: interpreter start → ``from citewise import Assistant`` → ``Assistant(index_dir)`` → first ``ask``
  (extractive), each step timed from the moment the process was launched;
- web UI: ``citewise serve`` launched → first HTTP 200 on its port.

Median of ``--repeats`` runs. Writes benchmarks/out/startup.json."""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import machine, write_json

QUESTION = "What speedup does PAROAttention report?"
CHILD = """
import json, sys, time
launched = float(sys.argv[2])
marks = {"interpreter": time.time() - launched}
from citewise import Assistant
marks["import"] = time.time() - launched
assistant = Assistant(index_dir=sys.argv[1])
marks["assistant_ready"] = time.time() - launched
answer = assistant.ask(sys.argv[3])
marks["first_answer"] = time.time() - launched
marks["first_answer_own_ms"] = answer.timings_ms["total"]
print(json.dumps(marks))
"""


def python_api(index_dir: Path) -> dict:
    launched = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, str(index_dir), str(launched), QUESTION], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_ready(index_dir: Path, timeout_s: float = 180.0) -> float | None:
    """Seconds from launching ``citewise serve`` to the first HTTP 200 on its port (None on time-out)."""
    port = free_port()
    cli = Path(sys.executable).with_name("citewise")
    launched = time.perf_counter()
    process = subprocess.Popen([str(cli), "serve", "--index-dir", str(index_dir), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - launched < timeout_s and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - launched
            except OSError:
                time.sleep(0.1)
        return None
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--index-dir", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="citewise-startup-") as tmp:
        index_dir = args.index_dir
        if index_dir is None:
            from citewise.ingest.pipeline import ingest
            from citewise.ingest.sources import bundled_listing
            from citewise.settings import load_settings

            index_dir = Path(tmp) / "index"
            ingest([bundled_listing()], load_settings(index_dir=index_dir), show_progress=False)
        api_runs = [python_api(index_dir) for _ in range(args.repeats)]
        result = {
            "machine": machine(),
            "question": QUESTION,
            "python_api_runs": api_runs,
            "python_api_median_s": {k: round(statistics.median(r[k] for r in api_runs), 3) for k in api_runs[0]},
        }
        runs = [serve_ready(index_dir) for _ in range(args.repeats)]
        result["serve_ready_runs_s"] = runs
        done = [r for r in runs if r is not None]
        result["serve_ready_median_s"] = round(statistics.median(done), 3) if done else None
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))
    write_json("startup.json", result)


if __name__ == "__main__":
    main()
