"""BM25 over chunk texts (bm25s, Snowball-stemmed, English stopwords), memory-mapped on load."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
import Stemmer

LEXICAL_DIR = "bm25"
_STEMMER = Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False)


def build_lexical(texts: list[str], folder: Path) -> None:
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, show_progress=False), show_progress=False)
    retriever.save(str(folder))


class LexicalIndex:
    def __init__(self, folder: Path) -> None:
        self._retriever = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        self._vocab = self._retriever.vocab_dict

    @property
    def size(self) -> int:
        return int(self._retriever.scores["num_docs"])

    def search(self, query: str, k: int, allowed_mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows and BM25 scores, best first; rows with no query term are left out.

        ``n_threads=0`` scores in this thread: any other value starts a thread pool for every query."""
        tokens = [t for t in tokenize([query])[0] if t in self._vocab]
        k = min(k, self.size)
        if not tokens or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        weight_mask = None if allowed_mask is None else allowed_mask.astype(np.float32)
        rows, scores = self._retriever.retrieve([tokens], k=k, show_progress=False, n_threads=0, weight_mask=weight_mask)
        keep = scores[0] > 0
        return rows[0][keep].astype(np.int64), scores[0][keep]
