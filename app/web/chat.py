"""The chat: streams the engine's events into the conversation, keeps each browser's turns for follow-ups, and
exports the conversation as Markdown."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr
from pydantic import BaseModel

from citewise.app.assistant import Assistant
from citewise.app.understanding import parse_date
from citewise.app.answers import Answer
from citewise.app.web.render import EMPTY_SOURCES, answer_markdown, escape_markdown, sources_html, status_markdown
from citewise.errors import CitewiseError
from citewise.records import Paper
from citewise.settings import LLMSettings

log = logging.getLogger(__name__)


class Turn(BaseModel):
    """One question and its answer: what follow-ups, the sources panel and the export are built from."""

    question: str
    answer: Answer


def endpoint_settings(configured: LLMSettings, base_url: str, model: str) -> LLMSettings:
    """LLM settings for the endpoint typed in the UI. The API key from the environment goes only to the configured
    endpoint (llm.base_url): typing another URL cannot send the server's key to it."""
    base_url, model = (base_url or "").strip() or configured.base_url, (model or "").strip() or configured.model
    if not base_url.startswith(("http://", "https://")):
        raise CitewiseError(f"The endpoint '{base_url}' is not an http(s) URL; e.g. http://127.0.0.1:8080/v1.")
    update: dict[str, Any] = {"base_url": base_url, "model": model}
    if base_url.rstrip("/") != configured.base_url.rstrip("/"):
        update["api_key_env"] = ""  # no variable has an empty name: the backend sends its "not-needed" placeholder
    return configured.model_copy(update=update)


def chat_messages(turns: list[Turn]) -> list[dict[str, str]]:
    messages = []
    for turn in turns:
        messages.append({"role": "user", "content": escape_markdown(turn.question)})
        messages.append({"role": "assistant", "content": answer_markdown(turn.answer)})
    return messages


def _day(value: Any, end: bool = False) -> date | None:
    """A date picker's value ('2025-06-19', maybe with a time) or a typed year."""
    return parse_date(str(value).strip()[:10] or None, end=end) if value else None


class Chat:
    """Event handlers of the chat tab; each browser session's turns live in a gr.State, not here."""

    def __init__(self, assistant: Assistant, configured_llm: LLMSettings, export_dir: Path, pdf_dir: Path | None = None) -> None:
        self.assistant = assistant
        self.configured_llm = configured_llm
        self.export_dir = export_dir
        self.pdf_dir = pdf_dir  # the upload folder: the one place the server serves PDFs from

    def papers_of(self, answer: Answer) -> dict[str, Paper]:
        ids = {c.paper_id for c in answer.citations} | {p.paper_id for p in answer.nearest_papers}
        found = {pid: self.assistant.index.store.paper(pid) for pid in ids}
        return {pid: paper for pid, paper in found.items() if paper is not None}

    def respond(
        self, question: str, turns: list[Turn] | None, backend: str, base_url: str, model: str, top_k: float,
        since: Any, until: Any,
    ) -> Iterator[tuple]:
        """Yields (chat, turns, sources, question box, download button) as the answer grows."""
        turns = list(turns or [])
        if not (question or "").strip():
            gr.Warning("Type a question about the papers first.")
            yield (gr.skip(),) * 5
            return
        shown = chat_messages(turns) + [{"role": "user", "content": escape_markdown(question)}]
        pending = {"role": "assistant", "content": status_markdown("Searching the papers…")}
        yield shown + [pending], turns, gr.skip(), "", gr.skip()
        try:
            llm = endpoint_settings(self.configured_llm, base_url, model) if backend == "openai" else None
            history = [(t.question, t.answer.answer) for t in turns]
            for event in self.assistant.stream(
                question, backend, history, int(top_k) if top_k else None, _day(since), _day(until, end=True), llm=llm
            ):
                if event.kind == "status":
                    pending = {"role": "assistant", "content": status_markdown(event.text)}
                elif event.kind == "text":
                    pending = {"role": "assistant", "content": escape_markdown(event.text) + "\n\n" + status_markdown("Checking citations…")}
                else:
                    assert event.answer is not None
                    turns.append(Turn(question=event.answer.question, answer=event.answer))
                    yield (
                        chat_messages(turns), turns, sources_html(event.answer, self.papers_of(event.answer), self.pdf_dir), "",
                        gr.DownloadButton(value=self.export(turns), interactive=True),
                    )
                    return
                yield shown + [pending], turns, gr.skip(), "", gr.skip()
        except CitewiseError as exc:
            gr.Warning(str(exc))
            yield chat_messages(turns), turns, gr.skip(), question, gr.skip()
        except Exception:  # a bug or a broken backend: say so in the UI, keep the details in the server log
            log.exception("answering %r failed", question)
            gr.Warning("Something went wrong while answering; the server log has the details.")
            yield chat_messages(turns), turns, gr.skip(), question, gr.skip()

    def show_sources(self, turns: list[Turn] | None, selected: gr.SelectData) -> Any:
        """Clicking a message shows the sources of its turn."""
        index = selected.index if isinstance(selected.index, int) else selected.index[0]
        turns = turns or []
        if not 0 <= index // 2 < len(turns):
            return gr.skip()
        answer = turns[index // 2].answer
        return sources_html(answer, self.papers_of(answer), self.pdf_dir)

    @staticmethod
    def new_chat() -> tuple:
        return [], [], EMPTY_SOURCES, "", gr.DownloadButton(value=None, interactive=False)

    def export(self, turns: list[Turn]) -> str:
        """The conversation as Markdown, every answer with its references; named by content (no duplicates)."""
        text = "\n---\n\n".join(t.answer.to_markdown() for t in turns)
        self.export_dir.mkdir(parents=True, exist_ok=True)
        path = self.export_dir / f"citewise-answer-{hashlib.sha256(text.encode()).hexdigest()[:12]}.md"
        path.write_text(text, encoding="utf-8")
        return str(path)
