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


ABSTRACT_SECTION = "Abstract"  # the section name of a full text's abstract (and of a listing's, once joined to its PDF)


class Location(BaseModel):
    """Where a sentence of a full text (PDF) sits, so a citation can send the reader to the page."""

    page: int = Field(description="1-based page number in the source PDF.")
    section: str = Field(description="Heading of the section it is under ('Abstract', 'Introduction', …).")


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
    locations: list[Location] = Field(
        default_factory=list, description="Page and section of each sentence of a full text; empty for an abstract."
    )
    pdf: str | None = Field(None, description="The PDF the full text came from (also when merged with a listing entry).")

    def location(self, sentence_index: int) -> Location | None:
        return self.locations[sentence_index] if 0 <= sentence_index < len(self.locations) else None

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
            *([f"{l.page}:{l.section}" for l in self.locations] + [self.pdf or ""] if self.locations else []),  # abstracts hash as before
        )


class Chunk(BaseModel):
    """A window of consecutive abstract sentences, sized to fit the embedding model."""

    chunk_id: str
    paper_id: str
    first_sentence: int = Field(description="Index of the window's first sentence in Paper.sentences.")
    last_sentence: int = Field(description="Index of its last sentence (inclusive).")
    text: str = Field(description="What is embedded and searched: title, then the sentences.")
    page: int | None = Field(None, description="Page of the window's first sentence (full texts only).")
    section: str | None = Field(None, description="Section the window lies in (full texts only; windows never cross one).")

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
