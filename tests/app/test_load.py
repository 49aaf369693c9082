"""Load: many questions at once through the Python API and through the served web app's /ask API.

Nothing fails, every answer equals the one the same question gets alone, and the server computes no more than
``server.concurrency_limit`` answers at a time (counted inside the engine by wrapping the Assistant's ``stream``:
instrumentation of the real engine, which still does all the work). Latencies go to the figures.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from citewise.app.assistant import Assistant
from citewise.app.evidence import SentenceScorer
from citewise.app.web.server import launch
from citewise.index.lexical import LexicalTokenizer
from citewise.index.reader import PaperIndex
from citewise.settings import EvidenceSettings, IndexSettings
from tests.figures import percentiles_ms, record

TOKENIZER = LexicalTokenizer.from_settings(IndexSettings())
QUESTIONS = [
    "How does DistServe work?",
    "What speedup does PAROAttention report?",
    "What does TokenSelect select?",
    "Which papers disaggregate prefill and decoding?",
    "How is the KV cache compressed?",
    "What is speculative decoding used for?",
    "Which papers quantize attention?",
    "How much faster is the attention computation of TokenSelect?",
    "Which papers from 2024 reduce serving latency?",
    "What is the boiling point of liquid nitrogen at sea level?",
]
THREADS = 4  # Python API: each thread asks every question once, in its own order
CLIENTS, WEB_REQUESTS = 8, 40  # web API: 8 gradio_client clients share 40 requests


def comparable(payload: dict) -> dict:
    """An answer without its timings: what must not depend on what else the server is doing."""
    return {k: v for k, v in payload.items() if k != "timings_ms"}


def ask_each(assistant: Assistant) -> tuple[dict[str, dict], list[float]]:
    answers, seconds = {}, []
    for question in QUESTIONS:
        started = time.perf_counter()
        answers[question] = comparable(assistant.ask(question).public_payload())
        seconds.append(time.perf_counter() - started)
    return answers, seconds


@pytest.fixture(scope="module")
def alone(assistant: Assistant) -> dict[str, dict]:
    """Each question asked alone, one after the other: the answers load must not change. The first pass also
    embeds the retrieved sentences (cached afterwards), so the second pass is the fair baseline."""
    cold, cold_seconds = ask_each(assistant)
    warm, warm_seconds = ask_each(assistant)
    assert warm == cold
    record("load", {
        "sequential, first time each (Python API)": {"requests": len(QUESTIONS), **percentiles_ms(cold_seconds)},
        "sequential, warm (Python API)": {"requests": len(QUESTIONS), **percentiles_ms(warm_seconds)},
    })
    return warm


def test_concurrent_asks_through_the_python_api(assistant: Assistant, alone: dict[str, dict]) -> None:
    def worker(offset: int) -> list[tuple[str, dict | Exception, float]]:
        results = []
        for question in QUESTIONS[offset:] + QUESTIONS[:offset]:
            started = time.perf_counter()
            try:
                outcome: dict | Exception = comparable(assistant.ask(question).public_payload())
            except Exception as exc:  # noqa: BLE001 - counted as a failed request
                outcome = exc
            results.append((question, outcome, time.perf_counter() - started))
        return results

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        results = [r for batch in pool.map(worker, [i * 3 for i in range(THREADS)]) for r in batch]
    wall = time.perf_counter() - started
    failures = [(q, o) for q, o, _ in results if isinstance(o, Exception)]
    differing = [q for q, o, _ in results if not isinstance(o, Exception) and o != alone[q]]
    record("load", {f"concurrent (Python API, {THREADS} threads)": {
        "requests": len(results), "failures": len(failures), "answers differing from sequential": len(differing),
        "requests_per_s": round(len(results) / wall, 2), **percentiles_ms([s for _, _, s in results]),
    }})
    assert len(results) == THREADS * len(QUESTIONS)
    assert not failures, failures[:3]
    assert not differing, differing[:3]


def test_a_full_sentence_cache_keeps_every_questions_vectors(embedder, bundled_index_dir: Path, settings_for) -> None:
    """Past ``cache_size`` scored sentences (a long-running server, a SciFact-size corpus) the cache evicts while
    a question, or a question on another thread, still needs rows it found there a moment ago."""
    index = PaperIndex.open(settings_for(bundled_index_dir))
    try:
        papers = list(index.store.iter_papers())[:4]
    finally:
        index.store.close()
    items = [(p, i) for p in papers for i in range(len(p.sentences))]
    expected = dict(zip(((p.paper_id, i) for p, i in items), embedder.encode([f"{p.title}: {p.sentences[i]}" for p, i in items])))

    def check(scorer: SentenceScorer, chosen: list) -> None:
        np.testing.assert_allclose(scorer.vectors(chosen), [expected[(p.paper_id, i)] for p, i in chosen], atol=1e-4)

    scorer = SentenceScorer(embedder, TOKENIZER.tokenize, EvidenceSettings(), cache_size=8)
    check(scorer, items[:8])  # the cache is full
    check(scorer, items[:4] + items[8:12])  # 4 found in the cache, 4 new ones evict the 4 oldest: the ones found

    shared = SentenceScorer(embedder, TOKENIZER.tokenize, EvidenceSettings(), cache_size=12)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(4):
            check(shared, rng.sample(items, 8))

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(worker, range(THREADS)))


class InFlight:
    """Counts answers being computed right now inside the engine, and the most at once."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self._lock = threading.Lock()

    @contextmanager
    def one(self) -> Iterator[None]:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            yield
        finally:
            with self._lock:
                self.now -= 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port``, read from the kernel's table (/proc/net/tcp[6])."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).is_file():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A = LISTEN
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


@pytest.fixture
def served(assistant: Assistant, settings_for, bundled_index_dir: Path, tmp_path: Path, monkeypatch):
    """The real web app on a free loopback port (default host), over the session Assistant, with the counter."""
    settings = settings_for(
        bundled_index_dir, server={"port": free_port(), "upload_dir": tmp_path / "uploads"}, evals={"runs_dir": tmp_path / "runs"}
    )
    gauge = InFlight()
    stream = assistant.stream

    def counted_stream(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        with gauge.one():
            yield from stream(*args, **kwargs)

    monkeypatch.setattr(assistant, "stream", counted_stream)
    demo = launch(settings, assistant, block=False)
    try:
        yield demo.local_url, settings, gauge
    finally:
        demo.close()


def test_web_api_under_load_holds_the_concurrency_limit(served, alone: dict[str, dict]) -> None:
    from gradio_client import Client

    url, settings, gauge = served
    limit = settings.server.concurrency_limit
    assert settings.server.host == "127.0.0.1"  # the default, not set by this test
    assert listening_addresses(settings.server.port) == {"127.0.0.1"}  # what the kernel says it is bound to
    jobs = [QUESTIONS[i % len(QUESTIONS)] for i in range(WEB_REQUESTS)]

    def client_run(share: list[str]) -> list[tuple[str, dict | Exception, float]]:
        client = Client(url, verbose=False)
        results = []
        for question in share:
            started = time.perf_counter()
            try:
                outcome: dict | Exception = comparable(client.predict(question=question, api_name="/ask"))
            except Exception as exc:  # noqa: BLE001 - counted as a failed request
                outcome = exc
            results.append((question, outcome, time.perf_counter() - started))
        return results

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [r for batch in pool.map(client_run, [jobs[i::CLIENTS] for i in range(CLIENTS)]) for r in batch]
    wall = time.perf_counter() - started
    failures = [(q, repr(o)) for q, o, _ in results if isinstance(o, Exception)]
    differing = [q for q, o, _ in results if not isinstance(o, Exception) and o != alone[q]]
    record("load", {f"web /ask ({CLIENTS} gradio_client clients)": {
        "requests": len(results), "failures": len(failures), "answers differing from sequential": len(differing),
        "requests_per_s": round(len(results) / wall, 2), **percentiles_ms([s for _, _, s in results]),
        "max answers computed at once": gauge.most, "server.concurrency_limit": limit,
        "bound to": sorted(listening_addresses(settings.server.port)),
    }})
    assert len(results) == WEB_REQUESTS
    assert not failures, failures[:3]
    assert not differing, differing[:3]
    assert gauge.most == limit  # the limit was reached (8 clients) and never exceeded
