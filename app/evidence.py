"""Scoring the sentences of retrieved chunks against the question: the evidence every backend quotes."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from citewise.app.retrieval import Hit
from citewise.index.lexical import tokenize
from citewise.ingest.embedding import Embedder
from citewise.ingest.models import Paper

_QUANTITY_QUESTION = re.compile(r"\b(how (much|many|fast|large|big|long)|what (speed-?up|percentage|accuracy|latency|throughput|improvement|reduction|gain)s?|by how|speed-?ups?|x faster|figures?|numbers?)\b", re.I)
_HAS_NUMBER = re.compile(r"\d")


@dataclass
class Evidence:
    paper: Paper
    sentence_index: int
    sentence: str
    similarity: float  # cosine of question and (title: sentence), the calibrated support signal
    score: float  # similarity plus lexical and question-kind bonuses, used for ranking
    hit_rank: int
    named: bool = False  # the question names this paper


class SentenceScorer:
    """Embeds candidate sentences (cached across questions) and ranks them for one question."""

    def __init__(self, embedder: Embedder, cache_size: int = 20_000) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def vectors(self, items: list[tuple[Paper, int]]) -> np.ndarray:
        # kept aside: a full cache evicts while this question (or another thread's) still needs its rows
        keys = [(p.paper_id, i) for p, i in items]
        found = {key: vector for key in keys if (vector := self._cache.get(key)) is not None}
        missing = [(p, i) for (p, i), key in zip(items, keys) if key not in found]
        if missing:
            encoded = self.embedder.encode([f"{p.title}: {p.sentences[i]}" for p, i in missing])
            with self._lock:
                for (p, i), vector in zip(missing, encoded):
                    found[(p.paper_id, i)] = self._cache[(p.paper_id, i)] = vector
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return np.stack([found[key] for key in keys])

    def rank(self, question: str, query_vector: np.ndarray, hits: list[Hit]) -> list[Evidence]:
        items: list[tuple[Paper, int, int]] = []
        seen: set[tuple[str, int]] = set()
        for rank, hit in enumerate(hits):
            for i in range(hit.chunk.first_sentence, hit.chunk.last_sentence + 1):
                key = (hit.paper.paper_id, i)
                if key not in seen:
                    seen.add(key)
                    items.append((hit.paper, i, rank))
        if not items:
            return []
        similarities = self.vectors([(p, i) for p, i, _ in items]) @ query_vector
        named = {hit.paper.paper_id for hit in hits if hit.named}
        query_terms = set(tokenize([question])[0])
        wants_number = bool(_QUANTITY_QUESTION.search(question))
        evidence = []
        for (paper, i, rank), similarity in zip(items, similarities.tolist()):
            sentence = paper.sentences[i]
            overlap = len(query_terms & set(tokenize([sentence])[0])) / max(len(query_terms), 1)
            score = similarity + 0.15 * overlap - 0.01 * rank
            if paper.paper_id in named:  # the question names this paper: its sentences come first
                score += 0.2
            if wants_number and _HAS_NUMBER.search(sentence):
                score += 0.08
            evidence.append(Evidence(paper, i, sentence, similarity, score, rank, paper.paper_id in named))
        return sorted(evidence, key=lambda e: -e.score)
