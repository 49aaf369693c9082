"""The staged answering engine behind every interface: understand → gather → decide → write → verify.

Each stage is a public method with typed input and output (the decision is a pure function of the gathered
evidence's signals and the settings), and ``stream``/``ask`` only chain them. The CLI, the web UI, the Python
API and every evaluation run go through these same stages, so no step exists twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from citewise.version import __version__
from citewise.app.answerability import Decision, decide
from citewise.app.answers import Answer, Backend, Citation, ListingRow, PaperRef, Provenance, Statement, StreamEvent
from citewise.app.evidence import Evidence, SentenceScorer
from citewise.app.extractive import not_stated, write_extractive
from citewise.app.llm.base import ChatMessage
from citewise.app.gathering import Gathered, measure_signals, part_signals
from citewise.app.prompts import answer_messages
from citewise.app.retrieval import Hit, HybridRetriever, Method
from citewise.app.understanding import QueryFilters, Question, refers_back, understand
from citewise.app.verifier import DECLINES, CitationVerifier, finished_statements, split_statements
from citewise.index.reader import PaperIndex
from citewise.ingest.embedding import Embedder
from citewise.records import Chunk, Paper
from citewise.settings import LLMSettings, Settings, load_settings


LISTING_TOP_K = 24  # chunks searched for a listing question's topic ("the most upvoted paper on KV-cache compression")


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
        self._backends: dict[tuple[str, str], Any] = {}
        self._backend_lock = threading.Lock()
        self.reload()
        self.embedder.encode_query("warm up")  # the first torch call is slow; pay it at start-up

    def reload(self) -> None:
        """Open the live index version again (after an ingest)."""
        self.index = PaperIndex.open(self.settings)
        self.retriever = HybridRetriever(self.index, self.embedder, self.settings.retrieval)
        # a new scorer: its sentence cache is keyed by paper id, and an ingest may have changed an abstract
        self.scorer = SentenceScorer(self.embedder, self.index.lexical.tokenize, self.settings.evidence)
        self.verifier = CitationVerifier(
            self.embedder, self.settings.answer.support_threshold, self.settings.answer.unsupported, self.settings.verifier,
            self.index.lexical.tokenize, (p.title for p in self.index.store.all_papers()),
        )

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

    # -- the stages -------------------------------------------------------------------------------------------

    def understand(
        self,
        question: str,
        history: list[tuple[str, str]] | None = None,
        since: date | None = None,
        until: date | None = None,
        min_upvotes: int | None = None,
    ) -> Question:
        """Stage 1: the cleaned question, what to search, its filters (flags win over words) and the papers it names."""
        explicit = QueryFilters(since=since, until=until, min_upvotes=min_upvotes)
        return understand(question, self.index.store, history, explicit, self.settings.answer.history_turns)

    def retrieve(
        self, question: Question, top_k: int | None = None, method: Method = "hybrid", query_vector: np.ndarray | None = None
    ) -> list[Hit]:
        """Stage 2a: the chunks handed on (hybrid search, named papers first, spread across papers)."""
        return self.retriever.search(question, top_k, method, query_vector)

    def gather(self, question: Question, top_k: int | None = None) -> Gathered:
        """Stage 2: retrieved chunks, their sentences ranked against the question (and against each part of a
        compound one), which papers answer each part, and the signals the decision reads."""
        if any(part.catalog is not None and not part.catalog.fields for part in question.parts):
            top_k = max(top_k or self.settings.retrieval.top_k, LISTING_TOP_K)  # a topic's papers, not a few chunks
        query_vector = self.embedder.encode_query(question.search_query)
        hits = self.retrieve(question, top_k, query_vector=query_vector)
        ranked = self.scorer.rank(question.search_query, query_vector, hits)
        part_ranked = []
        if len(question.parts) > 1:
            for part in question.parts:
                query = f"{question.search_query} {part.text}" if question.follow_up else part.text
                part_ranked.append(self.scorer.rank(query, self.embedder.encode_query(query), hits))
        named = [self.index.store.paper_at(row) for row in question.named_paper_rows]
        parts, papers = [], {}
        found: Paper | None = None  # the paper an earlier listing part answered with ("the most upvoted paper from 2025")
        for i, part in enumerate(question.parts):
            evidence = part_ranked[i] if part_ranked else ranked
            part_named = named
            if found is not None and not named and refers_back(part.text):  # "…, and how much does it cut bandwidth?"
                part_named, part_ranked[i] = [found], self._evidence_of(found, part.text)
                evidence = part_ranked[i]
            signals, answering = part_signals(
                part, question, evidence, part_named, self.index.store.all_papers, self.index.lexical.tokenize,
                self.settings.answer, self.index.lexical.vocabulary,
            )
            if part_named is not named:
                signals.refers_to_earlier_answer = True
            if signals.from_listing and part.catalog is not None and part.catalog.sort_by and answering:
                found = answering[0]
            parts.append(signals)
            papers.update((p.paper_id, p) for p in answering)
        signals = measure_signals(question, ranked, self.index.lexical.tokenize, parts)
        return Gathered(question=question, hits=hits, ranked=ranked, part_ranked=part_ranked, papers=papers, signals=signals)

    def _evidence_of(self, paper: Paper, text: str) -> list[Evidence]:
        """Every sentence of ``paper`` ranked against ``text``, as if the question had named it."""
        whole = Chunk(chunk_id=f"{paper.paper_id}#all", paper_id=paper.paper_id, first_sentence=0,
                      last_sentence=len(paper.sentences) - 1, text=paper.title)
        hit = Hit(row=-1, chunk=whole, paper=paper, score=1.0, named_in_question=True)
        return self.scorer.rank(text, self.embedder.encode_query(text), [hit])

    def decide(self, gathered: Gathered) -> Decision:
        """Stage 3: answer or refuse."""
        return decide(gathered.signals, self.settings.answer)

    def write_extractive(self, gathered: Gathered, decision: Decision) -> tuple[str, list[Citation], list[ListingRow]]:
        """Stage 4 without a model: quoted sentences (or listing entries), one citation each."""
        return write_extractive(gathered, decision, self.settings.answer)

    def model_sources(self, gathered: Gathered) -> list[Evidence]:
        """The sentences a model is shown, numbered [1].. in this order."""
        return gathered.ranked[: self.settings.answer.model_sources]

    def write_with_model(self, gathered: Gathered, backend: Backend, llm: LLMSettings | None = None) -> Iterator[str]:
        """Stage 4 with a model: the raw text as it streams in (unverified; raises LLMUnavailable)."""
        yield from self.backend(backend, llm).stream(self.prompt(gathered))

    def prompt(self, gathered: Gathered) -> list[ChatMessage]:
        """The messages a model is sent: the instructions, the numbered sources, the history and the question."""
        question = gathered.question
        sources = [(e.paper.title, e.sentence) for e in self.model_sources(gathered)]
        return answer_messages(question.text, sources, question.history)

    def verify(self, sentence: str, sources: list[Evidence], gathered: Gathered) -> Statement:
        """Stage 5: the verdict on one generated sentence against the sources the model was shown (and the rest
        of the cited papers' abstracts, for names and follow-on sentences)."""
        return self.verifier.check(sentence, sources, gathered.question.text)

    def provenance(self, backend: Backend, llm: LLMSettings | None = None) -> Provenance:
        llm = llm or self.settings.llm
        model = None
        if backend == "openai":
            model = llm.model
        elif backend == "local":
            model = Path(llm.model_path).name if llm.model_path else "gemma3-270m-q4-k-m (bundled)"
        settings = self.settings if llm is self.settings.llm else self.settings.model_copy(update={"llm": llm})
        return Provenance(
            citewise_version=__version__,
            settings_hash=settings.results_hash(),
            index_version=self.index.manifest.version,
            encoder_id=self.settings.embedding.encoder_id,
            backend=backend,
            model=model,
        )

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
        backend = backend or self.settings.answer.backend
        understood = self.understand(question, history, since, until, min_upvotes)
        yield StreamEvent(kind="status", text="Searching the papers…")
        gathered = self.gather(understood, top_k)
        decision = self.decide(gathered)
        timings = {"retrieve": (time.perf_counter() - started) * 1000}
        for event in self.compose(gathered, decision, backend, llm):
            if event.answer is not None:
                timings["generate"] = (time.perf_counter() - started) * 1000 - timings["retrieve"]
                timings["total"] = (time.perf_counter() - started) * 1000
                event.answer.timings_ms = {k: round(v, 1) for k, v in timings.items()}
            yield event

    def compose(
        self, gathered: Gathered, decision: Decision, backend: Backend, llm: LLMSettings | None = None
    ) -> Iterator[StreamEvent]:
        """Stages 4 and 5 for a decided question: refuse, quote, or have a model write and check each sentence.
        Yields 'text' events, then 'final' with the Answer (whose timings the caller sets)."""
        answer = Answer(
            question=gathered.question.text, answer="", refused=False, backend=backend, decision=decision,
            provenance=self.provenance(backend, llm),
        )
        if not decision.answerable:
            self._refuse(answer, gathered, decision)
        elif backend == "extractive" or any(part.from_listing for part in decision.signals.parts):
            yield from self._extractive(answer, gathered, decision)  # the listing is read, not written by a model
        else:
            yield from self._generative(answer, backend, gathered, decision, llm)
        yield StreamEvent(kind="final", text=answer.answer, answer=answer)

    # -- composing the answer ---------------------------------------------------------------------------------

    def _refuse(self, answer: Answer, gathered: Gathered, decision: Decision) -> None:
        answer.refused = True
        seen: dict[str, PaperRef] = {}
        for hit in gathered.hits:
            if hit.paper.paper_id not in seen:
                seen[hit.paper.paper_id] = PaperRef(
                    paper_id=hit.paper.paper_id, title=hit.paper.title, date=hit.paper.published,
                    score=round(float(hit.dense_score or 0.0), 3),
                )
        answer.nearest_papers = list(seen.values())[:5]
        missing = [not_stated(part, gathered.papers) for part in decision.parts if part.missing]
        if missing:  # the papers are on topic but silent on what is asked: say exactly what is not there
            answer.answer = " ".join(dict.fromkeys(missing))
            context = self._context(gathered, decision)
            if context is not None:
                answer.answer += f"\n\nWhat it does say nearby (context, not an answer): “{context.quote}” [1]"
                answer.citations = [context]
            return
        filters = gathered.question.filters
        scope = f" {filters.describe()}" if not filters.is_empty() else ""
        if not gathered.hits:
            answer.answer = f"No indexed papers{scope} match this question."
            return
        nearest = "; ".join(f"*{p.title}*" for p in answer.nearest_papers[:3])
        answer.answer = f"The indexed papers{scope} do not appear to answer this. The nearest papers are: {nearest}."

    @staticmethod
    def _context(gathered: Gathered, decision: Decision) -> Citation | None:
        """The refused paper's sentence closest to the question, quoted as context."""
        paper_ids = {pid for part in decision.parts if part.missing for pid in part.paper_ids[:1]}
        best = next((e for e in gathered.ranked if e.paper.paper_id in paper_ids), None)
        if best is None:
            return None
        return Citation.of_sentence(1, best.paper, best.sentence_index, best.sentence, best.similarity)

    def _extractive(self, answer: Answer, gathered: Gathered, decision: Decision) -> Iterator[StreamEvent]:
        text, citations, rows = self.write_extractive(gathered, decision)
        answer.answer, answer.citations, answer.rows = text, citations, rows
        shown = []
        for line in text.split("\n"):
            shown.append(line)
            yield StreamEvent(kind="text", text="\n".join(shown))

    def _generative(
        self, answer: Answer, backend: Backend, gathered: Gathered, decision: Decision, llm: LLMSettings | None = None
    ) -> Iterator[StreamEvent]:
        from citewise.app.llm.base import LLMUnavailable

        sources = self.model_sources(gathered)
        yield StreamEvent(kind="status", text="Writing the answer…")
        verdicts: dict[str, Statement] = {}

        def verdict(sentence: str) -> Statement:  # each sentence is checked once, however often it is re-split
            if sentence not in verdicts:
                verdicts[sentence] = self.verify(sentence, sources, gathered)
            return verdicts[sentence]

        raw, shown = "", 0
        try:
            for piece in self.write_with_model(gathered, backend, llm):
                raw += piece  # kept whole: servers put the space before a word or after it, and both must read the same
                done = finished_statements(raw)
                if len(done) > shown:
                    shown = len(done)
                    verified = self.verifier.assemble([verdict(s) for s in done], sources)
                    if verified.text:
                        yield StreamEvent(kind="text", text=verified.text)
        except LLMUnavailable as exc:
            answer.notes.append(f"{exc} Showing the quoted evidence instead.")
            yield from self._extractive(answer, gathered, decision)
            return
        statements = [verdict(s) for s in split_statements(raw)]  # the whole text again: verdicts never depend on chunking
        verified = self.verifier.assemble(statements, sources)
        answer.statements = statements
        if not verified.citations and any(s.reason == DECLINES for s in statements):
            answer.notes.append("The model found that its sources do not answer this.")
            self._refuse(answer, gathered, decision)
            yield StreamEvent(kind="text", text=answer.answer)
            return
        if not verified.citations:
            answer.notes.append(
                "The model's answer could not be verified against the papers, so the quoted evidence is shown instead."
            )
            yield from self._extractive(answer, gathered, decision)
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
