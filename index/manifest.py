"""What an index version is: schema, encoder, BM25 tokenizer, chunker, counts and per-file checksums."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field, ValidationError

from citewise.errors import CitewiseError
from citewise.index.lexical import ENGLISH, LexicalTokenizer

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"


class FileRecord(BaseModel):
    bytes: int
    sha256: str


class Manifest(BaseModel):
    schema_version: int = SCHEMA_VERSION
    version: str
    created_at: datetime
    # manifests written before the rename call it "embedding_model"; both are read, "encoder_id" is written
    encoder_id: str = Field(validation_alias=AliasChoices("encoder_id", "embedding_model"))
    embedding_dim: int
    # manifests written before the tokenizer was recorded were tokenized with the then hard-coded English one
    lexical: LexicalTokenizer = ENGLISH
    chunking: dict[str, int]
    faiss_type: str
    papers: int
    chunks: int
    sources: list[str] = Field(default_factory=list)
    files: dict[str, FileRecord] = Field(default_factory=dict)

    def write(self, folder: Path) -> None:
        (folder / MANIFEST_NAME).write_text(self.model_dump_json(indent=2), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST_NAME
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CitewiseError(f"Index at {folder} has no manifest; it is damaged. Run `citewise ingest --rebuild`.") from None
        except (ValidationError, UnicodeDecodeError):
            raise CitewiseError(f"Index manifest {path} is damaged. Run `citewise ingest --rebuild`.") from None
