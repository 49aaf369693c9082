"""What the answering engine returns, to the CLI, the web UI, the Python API and the evals alike."""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

from pydantic import BaseModel, Field

from citewise.app.answerability import Decision
from citewise.errors import CitewiseError
from citewise.records import Paper

Backend = Literal["extractive", "local", "openai"]


def check_backend(name: str | None) -> Backend | None:
    """A backend name from a flag or a form, checked; empty means the configured default."""
    if name and name not in get_args(Backend):
        raise CitewiseError(f"Unknown backend '{name}'; use {', '.join(get_args(Backend))}.")
    return name or None  # type: ignore[return-value]


class Citation(BaseModel):
    """One marker [n]: the paper and the exact sentence of its abstract that backs the statement (or, for questions
    about the listing itself, the paper's listing entry: date, byline, upvotes)."""

    marker: int
    kind: Literal["sentence", "listing"] = "sentence"
    paper_id: str
    title: str
    date: date | None
    quote: str = Field(description="The cited abstract sentence, verbatim.")
    sentence_index: int = Field(description="Position of the quote in the paper's sentence list (-1: a listing entry).")
    score: float = Field(
        description="0-1. Generated answers: the verifier's support similarity of the statement to the quote. "
        "Extractive answers (verbatim quotes, support certain): the quote's relevance to the question."
    )
    page: int | None = Field(None, description="Page of the quote in the paper's PDF (full texts only).")
    section: str | None = Field(None, description="Section the quote is in (full texts only).")

    @classmethod
    def of_sentence(cls, marker: int, paper: Paper, sentence_index: int, quote: str, score: float) -> Citation:
        """A sentence citation, with the page and section a full text records for it."""
        location = paper.location(sentence_index)
        return cls(
            marker=marker, paper_id=paper.paper_id, title=paper.title, date=paper.published, quote=quote,
            sentence_index=sentence_index, score=round(max(0.0, min(1.0, score)), 3),
            page=location.page if location else None, section=location.section if location else None,
        )


class Statement(BaseModel):
    """One sentence of a generated answer and what the verifier made of it."""

    text: str
    markers: list[int]
    supported: bool
    score: float
    reason: str = Field("", description="Why it failed, one of a few fixed phrases (never text from the sentence).")
    detail: str = Field("", description="What exactly failed (a number, a name); for evaluation, never shown to users.")

    def verdict(self) -> dict:
        """What users see of the check: every verdict, but the text only of a sentence that passed (a dropped
        sentence is unsupported, and may be anything the model wrote, even a secret it was shown)."""
        return {"supported": self.supported, "score": round(self.score, 3), "reason": self.reason or "supported",
                "text": self.text if self.supported else None}


class ListingRow(BaseModel):
    """One paper of a list answered from the listing ("papers by NVIDIA", "the most upvoted paper")."""

    marker: int
    paper_id: str
    title: str
    date: date | None
    upvotes: int
    author_count: int | None
    organization: str | None


class PaperRef(BaseModel):
    paper_id: str
    title: str
    date: date | None
    score: float


class Provenance(BaseModel):
    """What produced an answer, so it can be reproduced: the same settings hash, index version, encoder and
    backend (and model) give the same answer."""

    citewise_version: str
    settings_hash: str = Field(description="Hash of the settings that change answers (chunking … llm).")
    index_version: str
    encoder_id: str
    backend: Backend
    model: str | None = Field(None, description="Generative backends: the model file or endpoint model name.")


class Answer(BaseModel):
    question: str
    answer: str = Field(description="Markdown text; every statement ends with its [n] markers.")
    refused: bool = Field(description="True when the papers do not answer the question.")
    backend: Backend
    citations: list[Citation] = Field(default_factory=list)
    nearest_papers: list[PaperRef] = Field(default_factory=list, description="Closest papers, shown on refusal.")
    statements: list[Statement] = Field(default_factory=list, description="Verifier verdicts (generative backends).")
    rows: list[ListingRow] = Field(default_factory=list, description="A list answered from the listing, one row per paper.")
    notes: list[str] = Field(default_factory=list, description="What the user should know, e.g. dropped sentences.")
    timings_ms: dict[str, float] = Field(default_factory=dict, description="retrieve, generate, total.")
    decision: Decision | None = Field(None, description="Why the question was answered or refused, with the signals.")
    provenance: Provenance | None = None

    def public_payload(self) -> dict:
        """The JSON that `citewise ask --json` prints and the web API's /ask returns."""
        payload = self.model_dump(
            mode="json", include={"question", "answer", "refused", "backend", "timings_ms", "notes", "decision", "provenance"}
        )
        payload["citations"] = [
            c.model_dump(mode="json", include={"marker", "kind", "paper_id", "title", "date", "quote", "score", "page", "section"})
            for c in self.citations
        ]
        payload["rows"] = [r.model_dump(mode="json") for r in self.rows]
        payload["nearest_papers"] = [p.model_dump(mode="json") for p in self.nearest_papers]
        payload["statements"] = [s.verdict() for s in self.statements]
        return payload

    def to_markdown(self) -> str:
        """The answer with its reference list, as users copy or download it."""
        lines = [f"**Q:** {self.question}", "", self.answer, ""]
        if self.citations:
            lines.append("**References**")
            for c in self.citations:
                when = f" ({c.date.isoformat()})" if c.date else ""
                where = f", p. {c.page}, {c.section}" if c.page else ""
                lines.append(f"[{c.marker}] {c.title}{when}{where} — “{c.quote}”")
        return "\n".join(lines).strip() + "\n"


class StreamEvent(BaseModel):
    """Streaming: 'text' carries verified answer text as it is ready; 'final' carries the whole Answer."""

    kind: Literal["status", "text", "final"]
    text: str = ""
    answer: Answer | None = None
