"""Stage 2a, retrieval: FAISS and BM25 fused by weighted reciprocal rank, named papers first, spread across papers."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from citewise.app.understanding import QueryFilters, Question
from citewise.index.dense import search_dense
from citewise.index.reader import PaperIndex
from citewise.ingest.embedding import Embedder
from citewise.records import Chunk, Paper
from citewise.settings import RetrievalSettings

Method = Literal["hybrid", "dense", "bm25"]


class Hit(BaseModel):
    """One retrieved chunk and the scores that placed it."""

    row: int = Field(description="Chunk row in the index.")
    chunk: Chunk
    paper: Paper
    score: float = Field(description="Fused score (reciprocal ranks, plus the named-paper boost).")
    dense_score: float | None = None
    lexical_score: float | None = None
    named_in_question: bool = Field(False, description="The question names this chunk's paper.")


class HybridRetriever:
    def __init__(self, index: PaperIndex, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def allowed_rows(self, filters: QueryFilters) -> np.ndarray | None:
        """Chunk rows whose paper passes the filters; None when nothing is filtered."""
        if filters.is_empty():
            return None
        ok = np.ones(len(self.index.paper_published_ordinal), dtype=bool)
        published = self.index.paper_published_ordinal
        if filters.since:
            ok &= published >= filters.since.toordinal()
        if filters.until:
            ok &= (published <= filters.until.toordinal()) & (published > 0)
        if filters.min_upvotes is not None:
            ok &= self.index.paper_upvotes >= filters.min_upvotes
        return np.flatnonzero(ok[self.index.chunk_paper_row])

    def candidates(self, question: Question, query_vector: np.ndarray, method: Method = "hybrid") -> dict[int, Hit]:
        """Fused candidates by chunk row; ``method`` 'dense' or 'bm25' runs one side alone (for evaluation)."""
        s = self.settings
        allowed = self.allowed_rows(question.filters)
        fused: dict[int, float] = {}
        dense_scores: dict[int, float] = {}
        lexical_scores: dict[int, float] = {}
        if method in ("hybrid", "dense"):
            rows, scores = search_dense(self.index.dense, query_vector, s.candidates, allowed)
            for rank, (row, score) in enumerate(zip(rows.tolist(), scores.tolist())):
                fused[row] = fused.get(row, 0.0) + s.dense_weight / (s.rrf_k + rank + 1)
                dense_scores[row] = score
        if method in ("hybrid", "bm25"):
            mask = None
            if allowed is not None:
                mask = np.zeros(self.index.lexical.size, dtype=bool)
                mask[allowed] = True
            rows, scores = self.index.lexical.search(question.search_query, s.candidates, mask)
            for rank, (row, score) in enumerate(zip(rows.tolist(), scores.tolist())):
                fused[row] = fused.get(row, 0.0) + s.lexical_weight / (s.rrf_k + rank + 1)
                lexical_scores[row] = score
        named_papers = set(question.named_paper_rows) if method == "hybrid" else set()
        if named_papers:
            allowed_set = None if allowed is None else set(allowed.tolist())
            for row in np.flatnonzero(np.isin(self.index.chunk_paper_row, list(named_papers))).tolist():
                if allowed_set is None or row in allowed_set:
                    fused[row] = fused.get(row, 0.0) + s.title_boost
        hits: dict[int, Hit] = {}
        for row, score in fused.items():
            chunk, paper_row = self.index.store.chunk_at(row)
            hits[row] = Hit(
                row=row,
                chunk=chunk,
                paper=self.index.store.paper_at(paper_row),
                score=score,
                dense_score=dense_scores.get(row),
                lexical_score=lexical_scores.get(row),
                named_in_question=paper_row in named_papers,
            )
        return hits

    def search(
        self, question: Question, top_k: int | None = None, method: Method = "hybrid", query_vector: np.ndarray | None = None
    ) -> list[Hit]:
        top_k = top_k or self.settings.top_k
        if query_vector is None:
            query_vector = self.embedder.encode_query(question.search_query)
        hits = self.candidates(question, query_vector, method)
        return self.diversify(sorted(hits.values(), key=lambda h: -h.score), query_vector, top_k)

    def diversify(self, ranked: list[Hit], query_vector: np.ndarray, top_k: int) -> list[Hit]:
        """MMR over the fused list with a per-paper cap, so "which papers…" sees several papers."""
        if len(ranked) <= 1:
            return ranked[:top_k]
        pool = ranked[: max(top_k * 4, 20)]
        vectors = np.asarray(self.index.vectors[[h.row for h in pool]], dtype=np.float32)
        relevance = np.array([h.score for h in pool])
        relevance = (relevance - relevance.min()) / (np.ptp(relevance) or 1.0)
        similarity = vectors @ vectors.T  # one matrix product instead of a Python loop per pick (latency)
        papers = np.array([h.paper.paper_id for h in pool])
        available = np.ones(len(pool), dtype=bool)
        redundancy = np.zeros(len(pool))  # highest similarity to anything chosen so far (0 before the first pick)
        chosen: list[int] = []
        lam = self.settings.mmr_lambda
        while len(chosen) < min(top_k, len(pool)) and available.any():
            values = np.where(available, lam * relevance - (1 - lam) * redundancy, -np.inf)
            best = int(np.argmax(values))
            redundancy = similarity[best] if not chosen else np.maximum(redundancy, similarity[best])
            chosen.append(best)
            available[best] = False
            same_paper = papers == papers[best]
            if np.count_nonzero(same_paper & ~available) >= self.settings.max_chunks_per_paper:
                available &= ~same_paper
        return [pool[i] for i in chosen]
