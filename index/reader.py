"""Open the live index version, refusing (with the fix) one that is damaged or built differently."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from citewise.errors import CitewiseError
from citewise.index.dense import DENSE_NAME, load_dense
from citewise.index.durable import file_sha256
from citewise.index.lexical import LEXICAL_DIR, PAPER_LEXICAL_DIR, LexicalIndex, LexicalTokenizer
from citewise.index.manifest import SCHEMA_VERSION, Manifest
from citewise.index.store import STORE_NAME, Store
from citewise.index.versions import CURRENT_NAME, VERSIONS_DIR, current_version_dir
from citewise.index.writer import CHUNK_META_NAME, VECTORS_NAME
from citewise.settings import EmbeddingSettings, Settings


def verify_files(folder: Path, manifest: Manifest, checksum_max_bytes: int) -> None:
    for name, record in manifest.files.items():
        path = folder / name
        if not path.is_file():
            raise CitewiseError(f"Index file {path} is missing. Run `citewise ingest --rebuild` to rebuild the index.")
        if path.stat().st_size != record.bytes:
            raise CitewiseError(f"Index file {path} is truncated or damaged (size differs). Run `citewise ingest --rebuild`.")
        if record.bytes <= checksum_max_bytes and file_sha256(path) != record.sha256:
            raise CitewiseError(f"Index file {path} is corrupted (checksum differs). Run `citewise ingest --rebuild`.")


def check_tokenizer(index_dir: Path, built: LexicalTokenizer, configured: LexicalTokenizer) -> None:
    """Refuse an index whose BM25 terms were made with another tokenizer: its queries would miss them."""
    for field in ("stemmer", "stopwords"):
        was, wanted = getattr(built, field), getattr(configured, field)
        if was != wanted:
            raise CitewiseError(
                f"Index at {index_dir} was tokenized for BM25 with index.lexical_{field} '{was}', not '{wanted}'. "
                f"Set CITEWISE_INDEX__LEXICAL_{field.upper()}={was} (or index.lexical_{field} in citewise.toml), "
                "or run `citewise ingest --rebuild`."
            )


@dataclass
class PaperIndex:
    """Everything a query needs from one index version."""

    folder: Path
    manifest: Manifest
    store: Store
    dense: object
    lexical: LexicalIndex
    paper_lexical: LexicalIndex | None  # None in versions written before papers had their own BM25 index
    vectors: np.ndarray
    chunk_paper_row: np.ndarray
    paper_published_ordinal: np.ndarray
    paper_upvotes: np.ndarray

    @classmethod
    def open(cls, settings: Settings) -> PaperIndex:
        index_dir = settings.index_dir
        folder = current_version_dir(index_dir)
        if folder is None:
            raise CitewiseError(f"No index at {index_dir}. Run `citewise ingest` first (or pass --index-dir).")
        if folder.parent != index_dir / VERSIONS_DIR or not re.fullmatch(r"v\d+", folder.name):  # empty, garbled
            raise CitewiseError(f"Index at {index_dir} has a damaged {CURRENT_NAME} pointer. Run `citewise ingest --rebuild`.")
        if not folder.is_dir():
            raise CitewiseError(f"Index at {index_dir} points to a missing version {folder.name}. Run `citewise ingest --rebuild`.")
        manifest = Manifest.read(folder)
        if manifest.schema_version != SCHEMA_VERSION:
            raise CitewiseError(
                f"Index at {index_dir} has schema {manifest.schema_version}; this Citewise reads {SCHEMA_VERSION}. Run `citewise ingest --rebuild`."
            )
        built_model, built_backend = EmbeddingSettings.split_encoder_id(manifest.encoder_id)
        if built_model == settings.embedding.model_name and built_backend != settings.embedding.backend:
            raise CitewiseError(
                f"Index at {index_dir} was embedded with embedding.backend '{built_backend}', not '{settings.embedding.backend}'. "
                f"Set CITEWISE_EMBEDDING__BACKEND={built_backend} (or embedding.backend in citewise.toml), or run `citewise ingest --rebuild`."
            )
        if manifest.encoder_id != settings.embedding.encoder_id:
            raise CitewiseError(
                f"Index at {index_dir} was built with {manifest.encoder_id}, not {settings.embedding.encoder_id}. "
                "Run `citewise ingest --rebuild` to rebuild it with the configured model."
            )
        check_tokenizer(index_dir, manifest.lexical, LexicalTokenizer.from_settings(settings.index))
        verify_files(folder, manifest, settings.index.verify_checksums_max_mb * 1_000_000)
        try:
            meta = np.load(folder / CHUNK_META_NAME)
            return cls(
                folder=folder,
                manifest=manifest,
                store=Store(folder / STORE_NAME),
                dense=load_dense(folder / DENSE_NAME, settings.index),
                lexical=LexicalIndex(folder / LEXICAL_DIR, manifest.lexical),
                paper_lexical=LexicalIndex(folder / PAPER_LEXICAL_DIR, manifest.lexical)
                if (folder / PAPER_LEXICAL_DIR).is_dir() else None,
                vectors=np.load(folder / VECTORS_NAME, mmap_mode="r"),
                chunk_paper_row=meta["paper_row"],
                paper_published_ordinal=meta["published_ordinal"],
                paper_upvotes=meta["upvotes"],
            )
        except CitewiseError:
            raise
        except Exception as exc:  # FAISS/numpy/sqlite errors on a file that passed the size check
            raise CitewiseError(f"Index at {folder} cannot be read ({type(exc).__name__}). Run `citewise ingest --rebuild`.") from None

    def size_on_disk(self) -> int:
        return sum(r.bytes for r in self.manifest.files.values())
