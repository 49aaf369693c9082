"""BM25 over chunk texts (bm25s), memory-mapped on load, with the tokenizer it was built with.

An index's terms are only found by queries split, stop-listed and stemmed the same way, so the tokenizer is
recorded in the manifest and queries are tokenized with the recorded one.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import bm25s
import numpy as np
import Stemmer
from pydantic import BaseModel, ConfigDict, Field

from citewise.errors import CitewiseError
from citewise.settings import IndexSettings

LEXICAL_DIR = "bm25"
# BM25 over each paper's whole title + abstract: a term split across two windows still counts once per paper
PAPER_LEXICAL_DIR = "bm25_papers"
# bm25s's default, spelt out so that a new default in a later bm25s cannot re-split the terms of an existing index
TOKEN_PATTERN = r"(?u)\b\w\w+\b"


@lru_cache(maxsize=None)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(language)


def check_stemmer(language: str) -> str:
    """``language`` if PyStemmer knows it (or it is "none"), else a one-line error naming the valid ones."""
    if language != "none" and language not in Stemmer.algorithms():
        names = ", ".join(["none", *sorted(Stemmer.algorithms())])
        raise CitewiseError(f"Unknown index.lexical_stemmer '{language}'. Choose one of: {names}.")
    return language


class LexicalTokenizer(BaseModel):
    """How texts become BM25 terms: lower-cased words of two or more characters, stop words dropped, stemmed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stemmer: str = Field(description="PyStemmer (Snowball) language, or 'none'.")
    stopwords: Literal["en", "none"] = Field(description="Stop-word list dropped before stemming: bm25s's 'en', or 'none'.")

    @classmethod
    def from_settings(cls, settings: IndexSettings) -> LexicalTokenizer:
        return cls(stemmer=check_stemmer(settings.lexical_stemmer), stopwords=settings.lexical_stopwords)

    def _options(self) -> dict:
        return {
            "lower": True,
            "token_pattern": TOKEN_PATTERN,
            "stopwords": None if self.stopwords == "none" else self.stopwords,
            "stemmer": None if self.stemmer == "none" else _stemmer(check_stemmer(self.stemmer)),
            "show_progress": False,
        }

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        """The terms of each text, as the index built with this tokenizer holds them."""
        return bm25s.tokenize(texts, return_ids=False, **self._options())

    def tokenize_ids(self, texts: list[str]) -> bm25s.tokenization.Tokenized:
        return bm25s.tokenize(texts, return_ids=True, **self._options())


# the default settings' tokenizer, and what every index written before the tokenizer was recorded used
ENGLISH = LexicalTokenizer(stemmer="english", stopwords="en")


def tokenize(texts: list[str]) -> list[list[str]]:
    """Terms with the default (English) tokenizer; code that searches an index should use its ``tokenize``."""
    return ENGLISH.tokenize(texts)


def build_lexical(texts: list[str], folder: Path, tokenizer: LexicalTokenizer) -> None:
    folder.mkdir()
    retriever = bm25s.BM25()
    retriever.index(tokenizer.tokenize_ids(texts), show_progress=False)
    retriever.save(str(folder))


class LexicalIndex:
    def __init__(self, folder: Path, tokenizer: LexicalTokenizer) -> None:
        """``tokenizer``: the one the index was built with (its manifest's ``lexical``)."""
        self._retriever = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        self._vocab = self._retriever.vocab_dict
        self._vocabulary = tuple(sorted(term for term in self._vocab if term))
        self.tokenizer = tokenizer

    @property
    def size(self) -> int:
        return int(self._retriever.scores["num_docs"])

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """Every term the indexed chunks hold, as ``tokenize`` writes them, sorted (for prefix look-ups)."""
        return self._vocabulary

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        """Terms of ``texts`` as this index holds them (so they can be compared with its chunks' terms)."""
        return self.tokenizer.tokenize(texts)

    def search(self, query: str, k: int, allowed_mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows and BM25 scores, best first; rows with no query term are left out.

        ``n_threads=0`` scores in this thread: any other value starts a thread pool for every query."""
        tokens = [t for t in self.tokenize([query])[0] if t in self._vocab]
        k = min(k, self.size)
        if not tokens or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        weight_mask = None if allowed_mask is None else allowed_mask.astype(np.float32)
        rows, scores = self._retriever.retrieve([tokens], k=k, show_progress=False, n_threads=0, weight_mask=weight_mask)
        keep = scores[0] > 0
        return rows[0][keep].astype(np.int64), scores[0][keep]
