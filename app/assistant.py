"""The answering engine behind every interface: retrieve, pick evidence, answer, verify."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from citewise.app.answerability import is_answerable
from citewise.app.evidence import Evidence, SentenceScorer
from citewise.app.extractive import compose, select_evidence
from citewise.app.models import Answer, Backend, PaperRef, StreamEvent
from citewise.app.prompts import SYSTEM, user_message
from citewise.app.query import QueryFilters, contextual_query, filters_from_question, merge_filters
from citewise.app.retrieval import Hit, HybridRetriever
from citewise.app.verifier import CitationVerifier, finished_statements, split_statements
from citewise.errors import CitewiseError
from citewise.index.reader import PaperIndex
from citewise.ingest.embedding import Embedder
from citewise.settings import LLMSettings, Settings, load_settings

MAX_QUESTION_CHARS = 2000
GENERATIVE_SOURCES = 8
# control and invisible characters, and unpaired surrogates (a JSON "\ud83d" escape) the tokenizer cannot encode
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ud800-\udfff]")


def clean_question(question: str) -> str:
    text = " ".join(_CONTROL.sub(" ", question or "").split())
    if not text:
        raise CitewiseError("The question is empty; type a question about the papers.")
    if len(text) > MAX_QUESTION_CHARS:
        raise CitewiseError(f"The question is {len(text):,} characters long; keep it under {MAX_QUESTION_CHARS:,}.")
    return text


class Assistant:
    """Loads the index and models once; ``ask`` and ``stream`` are safe to call from several threads."""

    def __init__(self, index_dir: str | Path | None = None, settings: Settings | None = None, **overrides: Any) -> None:
        if index_dir is not None:
            overrides["index_dir"] = Path(index_dir)
        if settings is None:
            settings = load_settings(**overrides)
        elif overrides:
            settings = settings.model_copy(update=overrides)
        self.settings = settings
        self.embedder = Embedder(settings.embedding)
        self.scorer = SentenceScorer(self.embedder)
        self.verifier = CitationVerifier(self.embedder, settings.answer.support_threshold, settings.answer.unsupported)
        self._backends: dict[tuple[str, str], Any] = {}
        self._backend_lock = threading.Lock()
        self.reload()
        self.embedder.encode_query("warm up")  # the first torch call is slow; pay it at start-up

    def reload(self) -> None:
        """Open the live index version again (after an ingest)."""
        self.index = PaperIndex.open(self.settings)
        self.retriever = HybridRetriever(self.index, self.embedder, self.settings.retrieval)

    def use_endpoint(self, llm: LLMSettings) -> None:
        """Make ``llm`` the default model settings of later requests that name none."""
        with self._backend_lock:
            self.settings = self.settings.model_copy(update={"llm": llm})

    def backend(self, name: str, llm: LLMSettings | None = None):  # noqa: ANN201 - an LLMBackend
        """One loaded backend per (name, model settings), so requests with different endpoints never mix."""
        llm = llm or self.settings.llm
        key = (name, llm.model_dump_json())
        with self._backend_lock:
            if key not in self._backends:
                from citewise.app.llm.factory import make_backend

                self._backends[key] = make_backend(name, llm)
            return self._backends[key]

    # -- public API ---------------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        backend: Backend | None = None,
        history: list[tuple[str, str]] | None = None,
        top_k: int | None = None,
        since: date | None = None,
        until: date | None = None,
        min_upvotes: int | None = None,
        llm: LLMSettings | None = None,
    ) -> Answer:
        final: Answer | None = None
        for event in self.stream(question, backend, history, top_k, since, until, min_upvotes, llm):
            if event.kind == "final":
                final = event.answer
        assert final is not None
        return final

    def stream(
        self,
        question: str,
        backend: Backend | None = None,
        history: list[tuple[str, str]] | None = None,
        top_k: int | None = None,
        since: date | None = None,
        until: date | None = None,
        min_upvotes: int | None = None,
        llm: LLMSettings | None = None,
    ) -> Iterator[StreamEvent]:
        """Events: 'status' while working, 'text' with the verified answer so far, then 'final'.

        ``llm`` overrides the model settings for this request only (the web UI's endpoint and model)."""
        started = time.perf_counter()
        question = clean_question(question)
        backend = backend or self.settings.answer.backend
        history = [(clean_question(q), a or "") for q, a in (history or [])][-self.settings.answer.history_turns :]
        filters = merge_filters(QueryFilters(since=since, until=until, min_upvotes=min_upvotes), filters_from_question(question))
        query = contextual_query(question, history)
        yield StreamEvent(kind="status", text="Searching the papers…")
        query_vector = self.embedder.encode_query(query)
        hits = self.retriever.search(query, top_k, filters, query_vector=query_vector)
        ranked = self.scorer.rank(query, query_vector, hits)
        timings = {"retrieve": (time.perf_counter() - started) * 1000}
        answer = Answer(question=question, answer="", refused=False, backend=backend, timings_ms=timings)
        if not is_answerable(query, ranked, self.settings.answer):
            self._refuse(answer, hits, filters)
        elif backend == "extractive":
            yield from self._extractive(answer, query, ranked)
        else:
            yield from self._generative(answer, backend, question, history, ranked, llm)
        timings["generate"] = (time.perf_counter() - started) * 1000 - timings["retrieve"]
        timings["total"] = (time.perf_counter() - started) * 1000
        answer.timings_ms = {k: round(v, 1) for k, v in timings.items()}
        yield StreamEvent(kind="final", text=answer.answer, answer=answer)

    # -- backends -----------------------------------------------------------------------------------------

    def _refuse(self, answer: Answer, hits: list[Hit], filters: QueryFilters) -> None:
        answer.refused = True
        seen: dict[str, PaperRef] = {}
        for hit in hits:
            if hit.paper.paper_id not in seen:
                seen[hit.paper.paper_id] = PaperRef(
                    paper_id=hit.paper.paper_id, title=hit.paper.title, date=hit.paper.published,
                    score=round(float(hit.dense_score or 0.0), 3),
                )
        answer.nearest_papers = list(seen.values())[:5]
        scope = f" {filters.describe()}" if not filters.is_empty() else ""
        if not hits:
            answer.answer = f"No indexed papers{scope} match this question."
            return
        nearest = "; ".join(f"*{p.title}*" for p in answer.nearest_papers[:3])
        answer.answer = f"The indexed papers{scope} do not appear to answer this. The nearest papers are: {nearest}."

    def _extractive(self, answer: Answer, question: str, ranked: list[Evidence]) -> Iterator[StreamEvent]:
        text, citations = compose(select_evidence(question, ranked, self.settings.answer))
        answer.answer, answer.citations = text, citations
        shown = []
        for line in text.split("\n"):
            shown.append(line)
            yield StreamEvent(kind="text", text="\n".join(shown))

    def _generative(
        self, answer: Answer, backend: str, question: str, history: list[tuple[str, str]], ranked: list[Evidence],
        llm: LLMSettings | None = None,
    ) -> Iterator[StreamEvent]:
        from citewise.app.llm.base import ChatMessage, LLMUnavailable

        sources = ranked[:GENERATIVE_SOURCES]
        messages = [
            ChatMessage(role="system", content=SYSTEM),
            ChatMessage(
                role="user",
                content=user_message(question, [(i + 1, e.paper.title, e.sentence) for i, e in enumerate(sources)], history),
            ),
        ]
        yield StreamEvent(kind="status", text="Writing the answer…")
        raw, statements = "", []
        try:
            for piece in self.backend(backend, llm).stream(messages):
                done, raw = finished_statements(raw + piece)
                for sentence in done:
                    statements.append(self.verifier.check(sentence, sources))
                    verified = self.verifier.assemble(statements, sources)
                    if verified.text:
                        yield StreamEvent(kind="text", text=verified.text)
            statements += [self.verifier.check(s, sources) for s in split_statements(raw)]
        except LLMUnavailable as exc:
            answer.notes.append(f"{exc} Showing the quoted evidence instead.")
            yield from self._extractive(answer, question, ranked)
            return
        verified = self.verifier.assemble(statements, sources)
        answer.statements = statements
        if not verified.citations:
            answer.notes.append(
                "The model's answer could not be verified against the papers, so the quoted evidence is shown instead."
            )
            yield from self._extractive(answer, question, ranked)
            return
        if verified.dropped:
            answer.notes.append(f"{verified.dropped} unsupported sentence(s) removed by the citation check.")
        answer.answer, answer.citations = verified.text, verified.citations
        yield StreamEvent(kind="text", text=answer.answer)


_shared: dict[str, Assistant] = {}


def ask(question: str, index_dir: str | Path | None = None, **kwargs: Any) -> Answer:
    """One-shot form of ``Assistant(index_dir).ask(question, ...)``; reuses the loaded assistant."""
    ask_args = {k: kwargs.pop(k) for k in ("backend", "history", "top_k", "since", "until", "min_upvotes") if k in kwargs}
    key = f"{index_dir}|{sorted(kwargs.items())}"
    if key not in _shared:
        _shared[key] = Assistant(index_dir=index_dir, **kwargs)
    return _shared[key].ask(question, **ask_args)
