"""The local backend: a GGUF model (the bundled Gemma 3 270M by default) run in-process by llama.cpp.

It prompts by plain completion (see ``prompts.local_prompt`` for why) and streams one statement line at a time,
rewritten from the model's "[n] statement" lines into the "statement [n]." form the verifier reads."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

from citewise.app.llm.base import ChatMessage, LLMBackend, LLMUnavailable
from citewise.app.llm.model_file import model_file
from citewise.app.prompts import LOCAL_STOP, local_prompt
from citewise.ingest.sentences import split_sentences
from citewise.settings import LLMSettings

_LEADING = re.compile(r"^\s*\[?\s*(\d+(?:\s*,\s*\d+)*)\s*\]\s*")


def cited_line(line: str) -> str:
    """'[2] A. B.' -> 'A [2]. B [2].': the line's source number closes each of its sentences."""
    lead = _LEADING.match(line)
    if not lead:
        return line.strip()
    marker = f" [{lead.group(1)}]"
    parts = []
    for sentence in split_sentences(line[lead.end():]):
        body = sentence.rstrip(".!? ")
        end = sentence[-1] if sentence[-1] in ".!?" else "."
        parts.append(f"{body}{marker}{end}")
    return " ".join(parts)


class LocalBackend(LLMBackend):
    def __init__(self, settings: LLMSettings) -> None:
        from llama_cpp import Llama

        self.settings = settings
        path = model_file(settings.model_path)
        try:  # threads=None keeps llama-cpp-python's default, half the cores: 16 tok/s here where 2 of 2 gave 1-3
            self.model = Llama(
                model_path=str(path), n_ctx=settings.context_tokens, n_threads=settings.threads,
                n_threads_batch=settings.threads, verbose=False,
            )
        except (ValueError, RuntimeError, OSError):
            raise LLMUnavailable(f"Could not load the GGUF model {path}; check citewise llm.model_path.") from None
        self._lock = threading.Lock()  # one llama.cpp context: one generation at a time

    def stream(self, messages: list[ChatMessage]) -> Iterator[str]:
        system = "\n".join(m.content for m in messages if m.role == "system")
        user = next(m.content for m in reversed(messages) if m.role == "user")
        prompt = local_prompt(system, user)
        line, wrote, cut = "[", False, False  # the prompt ends with the "[" that opens the first line
        with self._lock:
            for piece, finish in self._pieces(prompt):
                line += piece
                cut = finish == "length"
                while "\n" in line:
                    done, line = line.split("\n", 1)
                    if done.strip("[ "):
                        wrote = True
                        yield cited_line(done) + " "
        if line.strip("[ ") and not cut:  # a line cut off by max_tokens is a fragment, not a statement
            wrote = True
            yield cited_line(line)
        if not wrote:
            raise LLMUnavailable(
                "The local model gave no complete answer line; raise citewise llm.max_tokens or rephrase the question."
            )

    def _pieces(self, prompt: str) -> Iterator[tuple[str, str | None]]:
        """(text, finish reason) per generated piece."""
        s = self.settings
        try:
            for chunk in self.model.create_completion(
                prompt, max_tokens=s.max_tokens, temperature=s.temperature, stop=LOCAL_STOP, stream=True,
            ):
                choice = chunk["choices"][0]
                yield choice["text"], choice.get("finish_reason")
        except (ValueError, RuntimeError) as exc:
            if "context window" in str(exc):  # llama-cpp-python's way of saying the prompt does not fit
                raise LLMUnavailable(
                    f"The question and its sources do not fit the local model's {s.context_tokens}-token context; "
                    "raise citewise llm.context_tokens or ask a shorter question."
                ) from None
            raise LLMUnavailable("The local model failed while answering; check citewise llm.model_path.") from None
