"""FAISS inner-product search: exact for small corpora, IVF or HNSW above a threshold."""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

from citewise.settings import IndexSettings

DENSE_NAME = "dense.faiss"


def choose_kind(count: int, settings: IndexSettings) -> str:
    if settings.faiss_type != "auto":
        return settings.faiss_type
    return "ivf" if count >= settings.approx_threshold else "flat"


def build_dense(vectors: np.ndarray, settings: IndexSettings) -> tuple[faiss.Index, str]:
    count, dim = vectors.shape
    kind = choose_kind(count, settings)
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = max(80, settings.hnsw_m * 2)
    elif kind == "ivf":
        nlist = max(1, min(int(4 * math.sqrt(count)), count // 39))  # FAISS wants >= 39 points per list
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(0).permutation(count)[: min(count, nlist * 64)]]
        index.train(sample)
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(vectors)
    return index, kind


def save_dense(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_dense(path: Path, settings: IndexSettings) -> faiss.Index:
    """Flat and IVF indexes are memory-mapped, so opening a large index costs little until it is searched."""
    try:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexIVF):
        index.nprobe = settings.ivf_nprobe
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = settings.hnsw_ef_search
    return index


def search_dense(
    index: faiss.Index, query: np.ndarray, k: int, allowed_rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Rows and cosine scores, best first; ``allowed_rows`` restricts the search (metadata filters)."""
    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    params = None
    if allowed_rows is not None:
        if len(allowed_rows) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        selector = faiss.IDSelectorBatch(allowed_rows.astype(np.int64))
        if isinstance(index, faiss.IndexIVF):
            params = faiss.SearchParametersIVF(sel=selector, nprobe=index.nprobe)
        elif isinstance(index, faiss.IndexHNSW):
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=index.hnsw.efSearch)
        else:
            params = faiss.SearchParameters(sel=selector)
    scores, rows = index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
    keep = rows[0] >= 0
    return rows[0][keep], scores[0][keep]
