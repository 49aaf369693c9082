"""The programmatic endpoint `/ask`: the same JSON as `citewise ask --json`, for `gradio_client` and scripts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from citewise.app.assistant import Assistant
from citewise.app.understanding import parse_date
from citewise.app.answers import check_backend
from citewise.errors import CitewiseError


def ask_endpoint(assistant: Assistant) -> Callable[..., dict[str, Any]]:
    def ask(question: str, backend: str = "", top_k: int = 0, since: str = "", until: str = "") -> dict[str, Any]:
        """Answer a question from the indexed papers, with citations.

        Args:
            question: the question, in words.
            backend: extractive (default: verbatim quotes), local or openai.
            top_k: chunks retrieved; 0 takes the server's retrieval.top_k.
            since: only papers from this date (YYYY or YYYY-MM-DD); empty for no bound.
            until: only papers up to this date (YYYY or YYYY-MM-DD); empty for no bound.
        Returns:
            question, answer, refused, backend, citations [{marker, paper_id, title, date, quote, score}],
            nearest_papers, notes and timings_ms, as `citewise ask --json` prints them.
        """
        try:
            backend = check_backend(backend)
            if not 0 <= (top_k or 0) <= 100:
                raise CitewiseError("top_k is 1 to 100 (0 takes the server's default).")
            answer = assistant.ask(
                question, backend=backend, top_k=top_k or None,
                since=parse_date((since or "").strip() or None), until=parse_date((until or "").strip() or None, end=True),
            )
        except CitewiseError as exc:
            raise gr.Error(str(exc)) from None
        return answer.public_payload()

    return ask
