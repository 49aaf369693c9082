"""Citewise's readers as a llama-index reader, for users who keep their own llama-index index."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from llama_index.core import Document
from llama_index.core.readers.base import BaseReader

from citewise.ingest.llamaindex_documents import paper_metadata
from citewise.ingest.sources import read_papers
from citewise.records import Paper, SkippedFile
from citewise.settings import ParsingSettings

logger = logging.getLogger(__name__)


def paper_document(paper: Paper) -> Document:
    """One paper, its abstract the text; ``citewise ingest`` of a docstore of these reads the same paper back."""
    return Document(
        id_=paper.paper_id, text=paper.abstract, metadata=paper_metadata(paper),
        excluded_embed_metadata_keys=["paper_id", "date", "authors", "upvotes"],
        excluded_llm_metadata_keys=["paper_id", "authors", "upvotes"],
    )


class CitewiseReader(BaseReader):
    """Files and folders read as ``citewise ingest`` reads them (the listing layout, SciFact/BEIR JSONL, CSV,
    Markdown), one Document per paper. Files that cannot be read are logged and kept in ``skipped``."""

    def __init__(self, parsing: ParsingSettings | None = None) -> None:
        self.parsing = parsing or ParsingSettings()
        self.skipped: list[SkippedFile] = []

    def lazy_load_data(self, paths: Iterable[str | Path]) -> Iterator[Document]:  # type: ignore[override]
        read = read_papers([Path(p) for p in paths], self.parsing)
        self.skipped = read.skipped
        for skipped in read.skipped:
            logger.warning("skipped %s: %s", skipped.path, skipped.reason)
        yield from (paper_document(paper) for paper in read.papers)
