"""Stage 2b, scoring the sentences of retrieved chunks against the question: the evidence every backend quotes."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
from pydantic import BaseModel, Field

from citewise.app.retrieval import Hit
from citewise.ingest.embedding import Embedder
from citewise.records import Paper
from citewise.settings import EvidenceSettings

_QUANTITY_QUESTION = re.compile(r"\b(how (much|many|fast|large|big|long)|what (speed-?up|percentage|accuracy|latency|throughput|improvement|reduction|gain)s?|by how|speed-?ups?|x faster|figures?|numbers?)\b", re.I)
# a figure, in digits or in words ("reducing required bandwidth by two orders of magnitude")
HAS_NUMBER = re.compile(r"\d|\borders? of magnitude\b|\b(twice|halve[sd]?|doubles?|doubled|triples?|tripled|tenfold|hundredfold)\b", re.I)


class Evidence(BaseModel):
    """One abstract sentence of a retrieved paper, scored against the question."""

    paper: Paper
    sentence_index: int
    sentence: str
    similarity: float = Field(description="Cosine of question and (title: sentence), the calibrated support signal.")
    score: float = Field(description="Similarity plus lexical and question-kind bonuses, used for ranking.")
    hit_rank: int = Field(description="Rank of the retrieved chunk the sentence came from.")
    named_in_question: bool = Field(False, description="The question names this sentence's paper.")


def asks_for_number(question: str) -> bool:
    return bool(_QUANTITY_QUESTION.search(question))


class SentenceScorer:
    """Embeds candidate sentences (cached across questions) and ranks them for one question.

    ``tokenize`` is the index's BM25 tokenizer, so lexical overlap counts words the way search does."""

    def __init__(
        self, embedder: Embedder, tokenize: Callable[[list[str]], list[list[str]]], settings: EvidenceSettings,
        cache_size: int = 20_000,
    ) -> None:
        self.embedder = embedder
        self.tokenize = tokenize
        self.settings = settings
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
        named = {hit.paper.paper_id for hit in hits if hit.named_in_question}
        query_terms = set(self.tokenize([question])[0])
        wants_number = asks_for_number(question)
        weights = self.settings
        evidence = []
        for (paper, i, rank), similarity in zip(items, similarities.tolist()):
            sentence = paper.sentences[i]
            overlap = len(query_terms & set(self.tokenize([sentence])[0])) / max(len(query_terms), 1)
            score = similarity + weights.overlap_weight * overlap - weights.rank_penalty * rank
            if paper.paper_id in named:  # the question names this paper: its sentences come first
                score += weights.named_paper_bonus
            if wants_number and HAS_NUMBER.search(sentence):
                score += weights.number_bonus
            evidence.append(
                Evidence(
                    paper=paper, sentence_index=i, sentence=sentence, similarity=similarity, score=score, hit_rank=rank,
                    named_in_question=paper.paper_id in named,
                )
            )
        return sorted(evidence, key=lambda e: -e.score)
