"""The simple recipe every retrieval report stands beside, so a gap to it shows at once.

One entry per paper (title + abstract); bm25s with a Snowball stemmer; the same encoder over the same text (cut to
its window); reciprocal-rank fusion with k = 60. About forty lines anyone could write, and the bar Citewise's own
ranking has to clear on every benchmark."""

from __future__ import annotations

import bm25s
import numpy as np

from citewise.index.lexical import ENGLISH
from citewise.ingest.embedding import Embedder
from citewise.ingest.embedding_cache import EmbeddingCache
from citewise.records import Paper, sha256_hex

RECIPE_RRF_K = 60
RECIPE_METHODS = ("recipe-bm25", "recipe-dense", "recipe-fused")


class RecipeBaseline:
    def __init__(self, papers: list[Paper], embedder: Embedder, cache: EmbeddingCache, show_progress: bool = False) -> None:
        """``cache``: the benchmark index's embedding cache, so the paper texts are embedded once per corpus."""
        self.paper_ids = [p.paper_id for p in papers]
        texts = [f"{p.title} {p.abstract}" for p in papers]
        self.bm25 = bm25s.BM25()
        self.bm25.index(ENGLISH.tokenize_ids(texts), show_progress=False)
        self.vectors = _cached_vectors(texts, embedder, cache, show_progress)
        self.embedder = embedder

    def rankings(self, query: str, depth: int) -> dict[str, list[str]]:
        """Paper ids, best first, per recipe method."""
        vocab = self.bm25.vocab_dict
        terms = [t for t in ENGLISH.tokenize([query])[0] if t in vocab]
        lexical: list[int] = []
        if terms:
            rows, scores = self.bm25.retrieve([terms], k=min(depth, len(self.paper_ids)), show_progress=False, n_threads=0)
            lexical = [int(r) for r, s in zip(rows[0], scores[0]) if s > 0]
        similarity = self.vectors @ self.embedder.encode_query(query)
        dense = np.argsort(-similarity, kind="stable")[:depth].tolist()
        fused: dict[int, float] = {}
        for ranking in (lexical, dense):
            for rank, row in enumerate(ranking):
                fused[row] = fused.get(row, 0.0) + 1.0 / (RECIPE_RRF_K + rank + 1)
        by_fused = sorted(fused, key=lambda row: -fused[row])[:depth]
        ids = self.paper_ids
        return {
            "recipe-bm25": [ids[r] for r in lexical],
            "recipe-dense": [ids[r] for r in dense],
            "recipe-fused": [ids[r] for r in by_fused],
        }


def _cached_vectors(texts: list[str], embedder: Embedder, cache: EmbeddingCache, show_progress: bool) -> np.ndarray:
    hashes = [sha256_hex(t) for t in texts]
    missing = [i for i, h in enumerate(hashes) if h not in cache]
    if missing:
        cache.add([hashes[i] for i in missing], embedder.encode([texts[i] for i in missing], show_progress=show_progress))
    return np.stack([cache.get(h) for h in hashes]).astype(np.float32)
