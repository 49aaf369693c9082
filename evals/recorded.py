"""Recorded answers: the prompts Citewise sends a model, and answers written for them as a capable model would.

They measure the citation check without a capable model on this machine: ``capture_prompts`` records the exact
messages the ``openai`` backend would send for each question; answers are then written for those prompts (faithful
ones, and ones with exactly one wrong sentence of a labelled type) and replayed by ``evals.replay_server``. A
report built from them says they are recorded answers, not a live model."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from citewise.app.assistant import Assistant
from citewise.app.llm.base import ChatMessage
from citewise.errors import CitewiseError
from citewise.evals.datasets import SeedQuestion, Split
from citewise.evals.seed_run import history_of

ErrorType = Literal["wrong_number", "wrong_source", "polarity", "unsupported_detail", "wrong_paper"]
ERROR_TYPES: tuple[ErrorType, ...] = ("wrong_number", "wrong_source", "polarity", "unsupported_detail", "wrong_paper")
Variant = Literal["faithful", "declines", "wrong_number", "wrong_source", "polarity", "unsupported_detail", "wrong_paper"]
BUNDLED_PROMPTS = "verifier_prompts.jsonl"
BUNDLED_ANSWERS = "verifier_answers.jsonl"


def prompt_key(messages: Sequence[ChatMessage] | Sequence[dict]) -> str:
    """Names a prompt by its content, so a replayed answer is found whatever order questions run in."""
    plain = [m if isinstance(m, dict) else m.model_dump() for m in messages]
    text = "\n\n".join(f"{m['role']}: {m['content']}" for m in plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class SourceLine(BaseModel):
    number: int
    title: str
    sentence: str


class CapturedPrompt(BaseModel):
    """What the model is sent for one question (after its history, if any, was answered extractively)."""

    key: str = Field(description="prompt_key of the messages.")
    question_id: str
    split: Split | None = None
    question: str
    history: list[tuple[str, str]] = Field(default_factory=list)
    system: str
    user: str
    sources: list[SourceLine]


class RecordedSentence(BaseModel):
    text: str = Field(description="One sentence with its markers, as the model writes it.")
    error: ErrorType | None = Field(None, description="Set on the one wrong sentence of an error variant.")
    note: str = Field("", description="What is wrong with it, for a reader of the report.")


class RecordedAnswer(BaseModel):
    key: str = Field(description="The CapturedPrompt this answers.")
    variant: Variant
    sentences: list[RecordedSentence]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.sentences)

    @property
    def wrong(self) -> RecordedSentence | None:
        return next((s for s in self.sentences if s.error), None)


def capture_prompts(
    assistant: Assistant, questions: Sequence[SeedQuestion], progress: Callable[[int, int], None] | None = None
) -> list[CapturedPrompt]:
    """The prompt of every question the engine would hand to a model; refused and listing questions send none.
    Earlier turns of a follow-up are answered extractively, as their history."""
    captured = []
    for i, q in enumerate(questions, 1):
        history = history_of(assistant, q, None)
        gathered = assistant.gather(assistant.understand(q.question, history))
        if progress:
            progress(i, len(questions))
        decision = assistant.decide(gathered)
        if not decision.answerable or any(part.from_listing for part in decision.signals.parts):
            continue  # refused, or read from the listing: no model is asked
        messages = assistant.prompt(gathered)
        sources = [SourceLine(number=n, title=e.paper.title, sentence=e.sentence) for n, e in enumerate(assistant.model_sources(gathered), 1)]
        captured.append(
            CapturedPrompt(
                key=prompt_key(messages), question_id=q.id, split=q.split, question=q.question, history=history,
                system=messages[0].content, user=messages[1].content, sources=sources,
            )
        )
    return captured


def bundled_path(name: str) -> Path:
    return Path(str(resources.files("citewise.evals") / "datasets" / name))


def write_jsonl(path: Path, rows: Sequence[BaseModel]) -> None:
    path.write_text("".join(row.model_dump_json() + "\n" for row in rows), encoding="utf-8")


def _read_jsonl(path: Path, model: type[BaseModel]) -> list:
    if not path.is_file():
        raise CitewiseError(f"{path} not found; record prompts with `citewise eval capture-prompts` first.")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(model.model_validate(json.loads(line)))
            except (json.JSONDecodeError, ValueError) as exc:
                raise CitewiseError(f"{path} line {number}: not a valid {model.__name__} ({str(exc).splitlines()[0]}).") from None
    return rows


def load_prompts(path: Path | None = None) -> list[CapturedPrompt]:
    return _read_jsonl(path or bundled_path(BUNDLED_PROMPTS), CapturedPrompt)


def load_answers(path: Path | None = None) -> list[RecordedAnswer]:
    return _read_jsonl(path or bundled_path(BUNDLED_ANSWERS), RecordedAnswer)
