"""Stage 2a, retrieval: papers ranked by their FAISS and BM25 scores, each list rescaled and weighted, named
papers first; spread across papers only when the question asks for several."""

from __future__ import annotations

from functools import cached_property
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
    score: float = Field(description="Its paper's fused score (see PaperScore).")
    dense_score: float | None = Field(None, description="Cosine similarity of the chunk to the question.")
    named_in_question: bool = Field(False, description="The question names this chunk's paper.")


DIVERSE_KINDS = frozenset({"which_papers", "catalog", "comparison"})


def _rescaled(scores: np.ndarray) -> np.ndarray:
    """A list's scores (best first) mapped onto 1 for its best entry down to 0 for its last, so a cosine and a BM25
    score can be added: the spread within a list carries what reciprocal ranks would throw away."""
    if len(scores) == 0:
        return scores
    top, last = float(scores[0]), float(scores[-1])
    return (scores - last) / (top - last) if top > last else np.ones_like(scores)


class PaperScore(BaseModel):
    """One candidate paper and the fused score that ranks it."""

    paper_row: int
    score: float = Field(description="Weighted sum of its rescaled best score in each list, plus the named-paper boost.")
    named_in_question: bool = False


class HybridRetriever:
    """Ranks papers, not chunks: each list (dense chunks, BM25 chunks, BM25 over whole papers) scores a paper by its
    best entry there, so a paper split into several windows is neither counted twice nor split in two."""

    def __init__(self, index: PaperIndex, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    @cached_property
    def _chunk_rows_of_paper(self) -> list[np.ndarray]:
        order = np.argsort(self.index.chunk_paper_row, kind="stable")
        bounds = np.searchsorted(self.index.chunk_paper_row[order], np.arange(len(self.index.paper_upvotes) + 1))
        return [order[bounds[p] : bounds[p + 1]] for p in range(len(bounds) - 1)]

    def allowed_papers(self, filters: QueryFilters) -> np.ndarray | None:
        """Mask over paper rows of those passing the filters; None when nothing is filtered."""
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
        return ok

    def rank_papers(self, question: Question, query_vector: np.ndarray, method: Method = "hybrid") -> list[PaperScore]:
        """Candidate papers, best first; ``method`` 'dense' or 'bm25' runs one side alone (for evaluation)."""
        s = self.settings
        allowed_papers = self.allowed_papers(question.filters)
        allowed_chunks = None if allowed_papers is None else np.flatnonzero(allowed_papers[self.index.chunk_paper_row])
        votes: list[tuple[float, np.ndarray, np.ndarray]] = []  # (weight, paper rows, scores), best first
        if method in ("hybrid", "dense"):
            rows, scores = search_dense(self.index.dense, query_vector, s.candidates, allowed_chunks)
            votes.append((s.dense_weight, self.index.chunk_paper_row[rows], scores))
        if method in ("hybrid", "bm25"):
            chunk_mask = None
            if allowed_chunks is not None:
                chunk_mask = np.zeros(self.index.lexical.size, dtype=bool)
                chunk_mask[allowed_chunks] = True
            rows, scores = self.index.lexical.search(question.search_query, s.candidates, chunk_mask)
            whole_papers = self.index.paper_lexical
            # an index written before papers had their own BM25 index gives its chunks' list both weights
            weight = s.lexical_weight + (s.paper_lexical_weight if whole_papers is None else 0.0)
            votes.append((weight, self.index.chunk_paper_row[rows], scores))
            if whole_papers is not None:
                papers, scores = whole_papers.search(question.search_query, s.candidates, allowed_papers)
                votes.append((s.paper_lexical_weight, papers, scores))
        fused: dict[int, float] = {}
        for weight, papers, scores in votes:
            best: dict[int, float] = {}  # a paper's value in a list is its best entry's
            for paper, value in zip(papers.tolist(), _rescaled(scores).tolist()):
                best.setdefault(paper, value)
            for paper, value in best.items():
                fused[paper] = fused.get(paper, 0.0) + weight * value
        named = set(question.named_paper_rows) if method == "hybrid" else set()
        for paper in named:
            if allowed_papers is None or allowed_papers[paper]:
                fused[paper] = fused.get(paper, 0.0) + s.title_boost
        ranked = sorted(fused.items(), key=lambda item: -item[1])
        return [PaperScore(paper_row=p, score=score, named_in_question=p in named) for p, score in ranked]

    def hits_of(self, paper: PaperScore, query_vector: np.ndarray, limit: int) -> list[Hit]:
        """A ranked paper's ``limit`` chunks closest to the question, closest first (a full text has many)."""
        rows = self._chunk_rows_of_paper[paper.paper_row]
        similarity = np.asarray(self.index.vectors[rows], dtype=np.float32) @ query_vector
        order = np.argsort(-similarity, kind="stable")[:limit]
        record = self.index.store.paper_at(paper.paper_row)
        return [
            Hit(
                row=int(rows[i]),
                chunk=self.index.store.chunk_at(int(rows[i]))[0],
                paper=record,
                score=paper.score,
                dense_score=float(similarity[i]),
                named_in_question=paper.named_in_question,
            )
            for i in order
        ]

    def search(
        self, question: Question, top_k: int | None = None, method: Method = "hybrid", query_vector: np.ndarray | None = None
    ) -> list[Hit]:
        if query_vector is None:
            query_vector = self.embedder.encode_query(question.search_query)
        return self.pick(question, self.rank_papers(question, query_vector, method), query_vector, top_k)

    def pick(self, question: Question, papers: list[PaperScore], query_vector: np.ndarray, top_k: int | None = None) -> list[Hit]:
        """The top chunks of ranked papers: the best papers' chunks in order, or for a question that asks for
        several papers an MMR pick across papers with a per-paper cap."""
        top_k = top_k or self.settings.top_k
        diverse = question.kind in DIVERSE_KINDS
        wanted = max(top_k * 4, 20) if diverse else top_k
        pool: list[Hit] = []
        for paper in papers:
            if len(pool) >= wanted:
                break
            pool.extend(self.hits_of(paper, query_vector, self.settings.max_chunks_per_paper if diverse else top_k))
        return self.diversify(pool, top_k) if diverse else pool[:top_k]

    def diversify(self, pool: list[Hit], top_k: int) -> list[Hit]:
        """MMR over the ranked pool with a per-paper cap, so "which papers…" sees several papers."""
        if len(pool) <= 1:
            return pool[:top_k]
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
