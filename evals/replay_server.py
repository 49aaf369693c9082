"""An OpenAI-compatible stand-in on loopback that replays recorded answers, streamed the way real servers stream.

The request's ``model`` names what to replay: ``<variant>`` or ``<variant>@<chunking>`` (``faithful@trailing``),
and the prompt is found by its content (``recorded.prompt_key``). Chunkings differ where servers differ: a space
before each word (llama.cpp, OpenAI), a space after it (some vLLM and Ollama builds), citation markers split over
chunks ("[" "1]"), or the whole text at once. An unknown prompt or variant is HTTP 404, like a missing model."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

from citewise.evals.recorded import RecordedAnswer, prompt_key

Chunking = Literal["leading", "trailing", "split_markers", "whole"]
CHUNKINGS: tuple[Chunking, ...] = ("leading", "trailing", "split_markers", "whole")


def chunk_text(text: str, chunking: Chunking) -> list[str]:
    """Pieces that concatenate back to ``text`` exactly."""
    if chunking == "whole":
        return [text]
    if chunking == "leading":  # " can", " serve"
        return re.findall(r"\s*\S+", text) + re.findall(r"\s+$", text)
    if chunking == "trailing":  # "can ", "serve "
        return re.findall(r"^\s+", text) + re.findall(r"\S+\s*", text)
    pieces = []  # "[", "1", "]" and words cut in two
    for word in re.findall(r"\s*\S+", text) + re.findall(r"\s+$", text):
        if "[" in word:
            pieces.extend(re.split(r"(\[|\])", word))
        else:
            pieces += [word[: len(word) // 2 + 1], word[len(word) // 2 + 1 :]]
    return [p for p in pieces if p]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up after the last chunk is normal, not a traceback on the console."""


class ReplayServer:
    """Serves ``answers`` on 127.0.0.1 (a free port by default) in a background thread; use as a context manager."""

    def __init__(self, answers: list[RecordedAnswer], port: int = 0) -> None:
        self.answers = {(a.key, a.variant): a.text for a in answers}
        self.requests = 0
        self._server = _QuietServer(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet: the run prints its own progress
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.rstrip("/") == "/v1/models":
                    variants = sorted({variant for _, variant in replay.answers})
                    self._json(200, {"object": "list", "data": [{"id": v, "object": "model"} for v in variants]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._json(404, {"error": {"message": "not found"}})
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                replay.requests += 1
                variant, _, chunking = str(body.get("model", "")).partition("@")
                text = replay.answers.get((prompt_key(body.get("messages", [])), variant))
                if text is None or (chunking and chunking not in CHUNKINGS):
                    self._json(404, {"error": {"message": f"no recorded answer for this prompt and model '{body.get('model')}'"}})
                    return
                if not body.get("stream"):
                    message = {"role": "assistant", "content": text}
                    self._json(200, {"id": "replay", "object": "chat.completion", "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for event in _events(text, chunking or "leading"):
                    data = f"data: {event}\n\n".encode()
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")

            def _json(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _events(text: str, chunking: Chunking) -> Iterator[str]:
    created = int(time.time())
    for piece in chunk_text(text, chunking):
        chunk = {"id": "replay", "object": "chat.completion.chunk", "created": created, "model": "replay",
                 "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        yield json.dumps(chunk)
    yield json.dumps({"id": "replay", "object": "chat.completion.chunk", "created": created, "model": "replay",
                      "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    yield "[DONE]"
