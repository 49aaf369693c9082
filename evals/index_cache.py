"""Cached indexes of benchmark corpora: built once, reused while the corpus, model and chunker are unchanged.

    <cache_root>/<dataset>-<key>/        an ordinary Citewise index folder (CURRENT, versions/, embedding-cache/)
    <cache_root>/<dataset>-<key>/cache.json   {"corpus_sha256", "embedding_model", "chunking"}

``key`` hashes what decides the vectors (the corpus file, the encoder, the chunker), so a changed corpus or
model gets a new folder instead of a silently stale index, and the embedding cache inside a folder stays valid.
The index in a folder is rebuilt (re-embedding nothing) when anything else it depends on changed: the BM25
tokenizer or the index layout the writer produces."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from citewise.cache import cache_root
from citewise.index.durable import file_sha256
from citewise.index.lexical import LexicalTokenizer
from citewise.index.versions import current_version_dir
from citewise.index.writer import INDEX_LAYOUT_REVISION
from citewise.ingest.chunking import CHUNKER_REVISION
from citewise.settings import Settings

CACHE_META = "cache.json"


def default_cache_root() -> Path:
    return cache_root() / "beir"


def vector_identity(corpus: Path, settings: Settings) -> dict[str, object]:
    return {
        "corpus_sha256": file_sha256(corpus),
        "embedding_model": settings.embedding.encoder_id,
        "chunking": settings.chunking.model_dump(),
        "chunker_revision": CHUNKER_REVISION,
    }


def cache_dir_for(corpus: Path, dataset: str, settings: Settings, cache_root: Path | None = None) -> tuple[Path, dict]:
    """The folder for ``corpus`` and the identity its index must match to be reused."""
    vectors = vector_identity(corpus, settings)
    key = hashlib.sha256(json.dumps(vectors, sort_keys=True).encode()).hexdigest()[:12]
    identity = {
        **vectors,
        "lexical": LexicalTokenizer.from_settings(settings.index).model_dump(),
        "index_layout": INDEX_LAYOUT_REVISION,
    }
    return (cache_root or default_cache_root()) / f"{dataset}-{key}", identity


def cached_index(
    corpus: Path, dataset: str, settings: Settings, cache_root: Path | None = None, show_progress: bool = True
) -> tuple[Path, bool]:
    """The index folder for ``corpus`` (built when missing or stale) and whether it was reused as it was."""
    from citewise.ingest.pipeline import ingest

    folder, identity = cache_dir_for(corpus, dataset, settings, cache_root)
    meta = folder / CACHE_META
    if current_version_dir(folder) is not None and meta.is_file():
        try:
            if json.loads(meta.read_text(encoding="utf-8")) == identity:
                return folder, True
        except json.JSONDecodeError:
            pass
    folder.mkdir(parents=True, exist_ok=True)
    index_settings = settings.model_copy(update={"index_dir": folder})
    # rebuild: the folder holds this corpus only; the embedding cache inside it still spares re-embedding
    ingest([corpus], index_settings, rebuild=True, show_progress=show_progress)
    meta.write_text(json.dumps(identity, indent=2), encoding="utf-8")
    return folder, False
