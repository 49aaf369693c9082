"""Typed records every package shares: papers and chunks flow from ingestion through the index to answers."""

from __future__ import annotations

import hashlib
from datetime import date

from pydantic import BaseModel, Field, computed_field


def sha256_hex(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def short_name(title: str) -> str:
    """What answers call a paper: its title's name before a colon ("DistServe"), or the title cut to 60 characters."""
    head = title.split(":", 1)[0].strip()
    return head if len(head) <= 60 else head[:57].rstrip() + "…"


class Paper(BaseModel):
    """One paper: the abstract is kept as its sentences so answers can quote them exactly."""

    paper_id: str = Field(description="Stable id: the source's own id, else derived from the title.")
    title: str
    sentences: list[str] = Field(description="The abstract, split into sentences, verbatim.")
    authors: list[str] = Field(default_factory=list)
    author_count: int | None = None
    organization: str | None = None
    published: date | None = None
    upvotes: int | None = None
    code_urls: list[str] = Field(default_factory=list)
    source: str = Field("", description="File the paper was read from.")

    @property
    def abstract(self) -> str:
        return " ".join(self.sentences)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def content_hash(self) -> str:
        """Changes whenever anything a user could see changes, so re-ingest knows what to replace."""
        return sha256_hex(
            self.title,
            *self.sentences,
            ",".join(self.authors),
            str(self.author_count),
            str(self.organization),
            str(self.published),
            str(self.upvotes),
            *self.code_urls,
        )


class Chunk(BaseModel):
    """A window of consecutive abstract sentences, sized to fit the embedding model."""

    chunk_id: str
    paper_id: str
    first_sentence: int = Field(description="Index of the window's first sentence in Paper.sentences.")
    last_sentence: int = Field(description="Index of its last sentence (inclusive).")
    text: str = Field(description="What is embedded and searched: title, then the sentences.")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def text_hash(self) -> str:
        """Key of the embedding cache: equal texts share one vector."""
        return sha256_hex(self.text)


class SkippedFile(BaseModel):
    """A file that could not be read, and why."""

    path: str
    reason: str


class ReadResult(BaseModel):
    """What the readers got out of the inputs."""

    papers: list[Paper] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)
    duplicates: int = Field(0, description="Papers seen again under an id already read in this run.")
