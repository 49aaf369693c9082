"""Shared fixtures.

Ingest / index
--------------
``embedder``                one Embedder (the bundled all-MiniLM-L6-v2) for the whole session.
``bundled_index_dir``       an index of the bundled listing (48 papers), built once per session. Read-only:
                            tests that write must take ``bundled_index_copy`` instead.
``bundled_ingest_report``   the IngestReport of that build.
``bundled_index_copy``      a private, writable copy of the bundled index (function scope, cheap).
``scifact_corpus``          path of the shared SciFact corpus (skips when the shared data is missing).
``scifact_index_dir``       an index of the SciFact corpus (5,183 papers, ~10k chunks), built once per session
                            (the slow part of the suite: several minutes on 2 cores). Read-only.
``scifact_ingest_report``   the IngestReport of that build.
``settings_for``            ``settings_for(index_dir, **overrides)``: Settings for an index folder.
``assistant``               an Assistant over the bundled index, for the whole session.

Model endpoints
---------------
``llama_server``            the real ``python -m llama_cpp.server`` with the bundled Gemma 3 270M on 127.0.0.1, up
                            for the whole session; its OpenAI-compatible base URL (``.../v1``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from citewise.settings import Settings, load_settings  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SCIFACT_DIR = SHARED_DATA / "scifact"
SCIFACT_CORPUS = SCIFACT_DIR / "corpus.jsonl"


# ---------------------------------------------------------------------------------------------------------------
# Ingest / index
# ---------------------------------------------------------------------------------------------------------------


def make_settings(index_dir: Path, **overrides: Any) -> Settings:
    """Settings for ``index_dir``; ``overrides`` as for ``load_settings`` (nested dicts per group)."""
    return load_settings(index_dir=Path(index_dir), **overrides)


@pytest.fixture(scope="session")
def settings_for():
    """``settings_for(index_dir, embedding={"model_name": ...})`` -> Settings."""
    return make_settings


@pytest.fixture(scope="session")
def embedder():
    """The real encoder, loaded once per session (the model itself loads on first use)."""
    from citewise.ingest.embedding import Embedder

    return Embedder(load_settings().embedding)


@pytest.fixture(scope="session")
def _bundled_build(tmp_path_factory: pytest.TempPathFactory, embedder):
    from citewise.ingest.pipeline import ingest
    from citewise.ingest.sources import bundled_listing

    index_dir = tmp_path_factory.mktemp("bundled-index")
    report = ingest([bundled_listing()], make_settings(index_dir), show_progress=False, embedder=embedder)
    return index_dir, report


@pytest.fixture(scope="session")
def bundled_index_dir(_bundled_build) -> Path:
    return _bundled_build[0]


@pytest.fixture(scope="session")
def bundled_ingest_report(_bundled_build):
    return _bundled_build[1]


@pytest.fixture
def bundled_index_copy(bundled_index_dir: Path, tmp_path: Path) -> Path:
    """A writable copy of the bundled index, embedding cache included (so re-ingests embed only what changed)."""
    target = tmp_path / "index"
    shutil.copytree(bundled_index_dir, target)
    return target


@pytest.fixture(scope="session")
def assistant(bundled_index_dir: Path):
    from citewise.app.assistant import Assistant

    return Assistant(settings=make_settings(bundled_index_dir))


@pytest.fixture(scope="session")
def scifact_corpus() -> Path:
    if not SCIFACT_CORPUS.is_file():
        pytest.skip(f"SciFact corpus not found at {SCIFACT_CORPUS} (shared data missing)")
    return SCIFACT_CORPUS


@pytest.fixture(scope="session")
def _scifact_build(tmp_path_factory: pytest.TempPathFactory, embedder, scifact_corpus: Path):
    from citewise.ingest.pipeline import ingest

    index_dir = tmp_path_factory.mktemp("scifact-index")
    report = ingest([scifact_corpus], make_settings(index_dir), show_progress=False, embedder=embedder)
    return index_dir, report


@pytest.fixture(scope="session")
def scifact_index_dir(_scifact_build) -> Path:
    return _scifact_build[0]


@pytest.fixture(scope="session")
def scifact_ingest_report(_scifact_build):
    return _scifact_build[1]


# ---------------------------------------------------------------------------------------------------------------
# Model endpoints
# ---------------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real `python -m llama_cpp.server` with the bundled model, up for the whole session."""
    from citewise.app.llm.model_file import bundled_model

    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_model()), "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", "4096", "--chat_format", "gemma",
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:
            if server.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not answer in 120 s: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
