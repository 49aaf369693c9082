"""The API key is sent to the configured endpoint and shown nowhere else: not in `citewise ask --json`, not in
debug logs, not in `citewise index info`, not in evaluation reports, even when the endpoint echoes the key back
(as OpenAI does in "Incorrect API key provided: sk-…") or writes it into its answer. A canary key in the
environment variable named by llm.api_key_env is grepped for in every output. (test_web.py covers the UI's
key notice and test_llm_backends.py the endpoint failure modes; this is the end-to-end leak check.)"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citewise.cli import cli as cli_app
from tests.figures import record

KEY_ENV = "CITEWISE_CANARY_KEY"
CANARY = f"sk-citewise-canary-{secrets.token_hex(12)}"
QUESTION = "How does DistServe work?"


class EchoingEndpoint(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that hands the key back: in a 401 error, or inside a streamed answer."""

    mode = "401"
    seen_keys: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Authorization", "").removeprefix("Bearer ")
        type(self).seen_keys.append(key)
        if self.mode == "401":
            self._send(401, "application/json", json.dumps({"error": {"message": f"Incorrect API key provided: {key}.", "code": "invalid_api_key"}}))
            return
        text = f"DistServe assigns prefill and decoding to different GPUs [1]. Your API key is {key} [1]."
        chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                 "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
        self._send(200, "text/event-stream", f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n")

    def _send(self, status: int, content_type: str, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # the test server's own access log is not under test
        pass


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoingEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()


@pytest.fixture
def key_env(monkeypatch) -> dict[str, str]:
    env = {"CITEWISE_LLM__API_KEY_ENV": KEY_ENV, KEY_ENV: CANARY}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    EchoingEndpoint.seen_keys = []
    return env


def assert_no_key(where: str, text: str) -> None:
    assert CANARY not in text and CANARY[len("sk-citewise-"):] not in text, f"the API key leaked into {where}"


def test_ask_json_and_debug_logs_of_a_real_process(bundled_index_dir: Path, endpoint: str, key_env: dict) -> None:
    """`citewise ask --json` against an endpoint that rejects the key and repeats it, with OpenAI debug logging on."""
    EchoingEndpoint.mode = "401"
    command = [sys.executable, "-c", "from citewise.cli import main; main()", "ask", QUESTION, "--json",
               "--backend", "openai", "--base-url", endpoint, "--index-dir", str(bundled_index_dir)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **key_env, "OPENAI_LOG": "debug"}, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert EchoingEndpoint.seen_keys == [CANARY]  # the key was used, so its absence below means something
    payload = json.loads(done.stdout)
    assert payload["citations"] and any("refused the API key" in note for note in payload["notes"])
    assert "DEBUG" in done.stderr.upper()  # the library's debug log was on
    assert_no_key("ask --json stdout", done.stdout)
    assert_no_key("stderr and debug logs", done.stderr)
    record("security", {"API key canary: ask --json + OPENAI_LOG=debug (endpoint echoes key in a 401)": "not found in stdout or stderr"})


def test_index_info_eval_report_and_echoed_answers(bundled_index_dir: Path, endpoint: str, key_env: dict, tmp_path: Path, caplog) -> None:
    """An endpoint that writes the key into its answer: the citation check drops that sentence everywhere."""
    EchoingEndpoint.mode = "echo-in-answer"
    caplog.set_level(logging.DEBUG)
    for name in ("openai", "httpx", "httpcore", "citewise"):
        caplog.set_level(logging.DEBUG, logger=name)
    runner, index = CliRunner(), ["--index-dir", str(bundled_index_dir)]
    outputs = {
        "ask --json": runner.invoke(cli_app, ["ask", QUESTION, "--json", "--backend", "openai", "--base-url", endpoint, *index]),
        "index info": runner.invoke(cli_app, ["index", "info", *index]),
        "index info --json": runner.invoke(cli_app, ["index", "info", "--json", *index]),
    }
    runs = tmp_path / "runs"
    (tmp_path / "citewise.toml").write_text(f'[llm]\nbase_url = "{endpoint}"\n', encoding="utf-8")
    outputs["eval seed --backend openai"] = runner.invoke(
        cli_app, ["eval", "seed", "--backend", "openai", "--limit", "2", "--out", str(runs), "--quiet", "--config", str(tmp_path / "citewise.toml"), *index]
    )
    for name, result in outputs.items():
        assert result.exit_code == 0, f"{name}: {result.output[-1500:]}"
        assert_no_key(name, result.output)
    assert len(EchoingEndpoint.seen_keys) == 3 and set(EchoingEndpoint.seen_keys) == {CANARY}  # one ask + two eval questions
    answer = json.loads(outputs["ask --json"].output)
    assert "DistServe" in answer["answer"] and answer["backend"] == "openai"  # the supported sentence was kept
    reports = [p for p in runs.rglob("*") if p.is_file() and p.suffix in {".json", ".md", ".jsonl", ".csv", ".txt"}]
    assert reports
    for path in reports:
        assert_no_key(f"eval report {path.name}", path.read_text(encoding="utf-8"))
    assert_no_key("log records", caplog.text)
    record("security", {"API key canary: ask --json, index info (+--json), eval seed report files, all log records "
                        "(endpoint writes the key into its answer)": f"not found in {len(outputs)} outputs and {len(reports)} report files"})
