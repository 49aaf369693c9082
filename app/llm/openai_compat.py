"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server), streamed.

Every failure becomes one LLMUnavailable line that names the endpoint and the setting to check. The API key is
handed to the client only: it never appears in a message, a log line or an exception we raise."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai

from citewise.app.llm.base import ChatMessage, LLMBackend, LLMUnavailable
from citewise.settings import LLMSettings


class OpenAIBackend(LLMBackend):
    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self.client = openai.OpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key().get_secret_value(),
            timeout=settings.timeout_s,  # connect and each read; a silent server cannot hang an answer
            max_retries=0,  # the user waits for every retry; the Assistant falls back instead
        )

    def stream(self, messages: list[ChatMessage]) -> Iterator[str]:
        produced = False
        try:
            response = self.client.chat.completions.create(
                model=self.settings.model,
                messages=[m.model_dump() for m in messages],
                max_tokens=self.settings.max_tokens,
                temperature=self.settings.temperature,
                stream=True,
            )
            with response:
                for chunk in response:
                    piece = _delta_text(chunk)
                    if piece:
                        produced = True
                        yield piece
        except LLMUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - every transport/protocol failure maps to one user-facing line
            raise LLMUnavailable(self._explain(exc)) from None
        if not produced:
            raise LLMUnavailable(
                f"The model endpoint {self.settings.base_url} returned no text; check that it serves "
                f"model '{self.settings.model}' (citewise llm.base_url, llm.model)."
            )

    def _explain(self, exc: Exception) -> str:
        s = self.settings
        where = f"The model endpoint {s.base_url}"
        if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException)):
            return f"{where} did not answer within {s.timeout_s:g} s; check that it is running (citewise llm.base_url, llm.timeout_s)."
        if isinstance(exc, (openai.APIConnectionError, httpx.TransportError)):
            return f"{where} could not be reached; check that it is running (citewise llm.base_url)."
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return f"{where} refused the API key; put a valid key in the environment variable {s.api_key_env} (citewise llm.api_key_env)."
        if isinstance(exc, openai.NotFoundError):
            return f"{where} has no model '{s.model}' or is not an OpenAI-compatible /v1 URL (citewise llm.model, llm.base_url)."
        if isinstance(exc, openai.APIStatusError):
            return f"{where} answered HTTP {exc.status_code}; check its logs (citewise llm.base_url)."
        return f"{where} did not answer like an OpenAI-compatible server; check the URL (citewise llm.base_url)."


def _delta_text(chunk: object) -> str:
    """The text of one streamed chunk; tolerant of servers that send partial or odd chunks."""
    choices = getattr(chunk, "choices", None) or []
    delta = getattr(choices[0], "delta", None) if choices else None
    content = getattr(delta, "content", None)
    return content if isinstance(content, str) else ""
