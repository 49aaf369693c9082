"""Papers and chunks in SQLite: point look-ups stay fast and nothing is loaded that a query does not touch."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from citewise.index.aliases import normalize_alias, paper_aliases
from citewise.records import Chunk, Paper

STORE_NAME = "store.sqlite"
_SCHEMA = """
CREATE TABLE papers (row INTEGER PRIMARY KEY, paper_id TEXT UNIQUE NOT NULL, content_hash TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE aliases (alias TEXT NOT NULL, paper_row INTEGER NOT NULL);
CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, paper_row INTEGER NOT NULL,
                     first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL, text TEXT NOT NULL,
                     page INTEGER, section TEXT);
CREATE INDEX aliases_by_alias ON aliases (alias);
"""
MAX_PAPERS_PER_ALIAS = 3  # a "name" shared by more papers is a topic word, not a name


def write_store(path: Path, papers: Iterable[Paper], chunks: Iterable[Chunk]) -> None:
    """Rows are numbered from 0 in the order given; chunk rows are the FAISS and BM25 ids."""
    connection = sqlite3.connect(path)
    try:
        connection.executescript(_SCHEMA)
        paper_rows: dict[str, int] = {}
        alias_rows: dict[str, list[int]] = {}
        for row, paper in enumerate(papers):
            paper_rows[paper.paper_id] = row
            for alias in paper_aliases(paper):
                alias_rows.setdefault(alias, []).append(row)
            connection.execute(
                "INSERT INTO papers VALUES (?, ?, ?, ?)",
                (row, paper.paper_id, paper.content_hash, paper.model_dump_json(exclude={"content_hash"})),
            )
        connection.executemany(
            "INSERT INTO aliases VALUES (?, ?)",
            ((a, r) for a, rows in alias_rows.items() if len(rows) <= MAX_PAPERS_PER_ALIAS for r in rows),
        )
        connection.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (row, c.chunk_id, paper_rows[c.paper_id], c.first_sentence, c.last_sentence, c.text, c.page, c.section)
                for row, c in enumerate(chunks)
            ),
        )
        connection.commit()
    finally:
        connection.close()


class Store:
    """Read-only view of one version's store."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._paper_cache: dict[int, Paper] = {}
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(chunks)")}
        # stores written before full texts have no page/section columns: read as abstracts, no rebuild needed
        self._located = "c.page, c.section" if "page" in columns else "NULL, NULL"
        self._all_papers: list[Paper] | None = None

    def close(self) -> None:
        self._db.close()

    def paper_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM papers").fetchone()[0]

    def chunk_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    def paper_at(self, row: int) -> Paper:
        if row not in self._paper_cache:
            record = self._db.execute("SELECT record FROM papers WHERE row = ?", (row,)).fetchone()[0]
            self._paper_cache[row] = Paper.model_validate(json.loads(record))
        return self._paper_cache[row]

    def paper(self, paper_id: str) -> Paper | None:
        found = self._db.execute("SELECT row FROM papers WHERE paper_id = ?", (paper_id,)).fetchone()
        return self.paper_at(found[0]) if found else None

    def chunk_at(self, row: int) -> tuple[Chunk, int]:
        chunk_id, paper_row, first, last, text, page, section = self._db.execute(
            f"SELECT c.chunk_id, c.paper_row, c.first_sentence, c.last_sentence, c.text, {self._located} FROM chunks c WHERE c.row = ?", (row,)
        ).fetchone()
        paper_id = chunk_id.rsplit("#", 1)[0]
        chunk = Chunk(chunk_id=chunk_id, paper_id=paper_id, first_sentence=first, last_sentence=last, text=text, page=page, section=section)
        return chunk, paper_row

    def papers_named(self, words: list[str]) -> dict[int, str]:
        """Paper rows named in ``words``: a word (or two adjacent ones run together) equal to an alias.

        Only words a user typed with a capital or a digit count, so "first" does not summon FiRST."""
        named = [w for w in words if any(c.isupper() or c.isdigit() for c in w)]
        candidates = {normalize_alias(w) for w in named}
        candidates |= {normalize_alias(a + b) for a, b in zip(words, words[1:]) if a in named or b in named}
        candidates = sorted(c for c in candidates if len(c) >= 3)
        if not candidates:
            return {}
        marks = ",".join("?" * len(candidates))
        return {row: alias for alias, row in self._db.execute(f"SELECT alias, paper_row FROM aliases WHERE alias IN ({marks})", candidates)}

    def all_papers(self) -> list[Paper]:
        """Every paper, read once per open index (listing questions scan them all)."""
        if self._all_papers is None:
            self._all_papers = list(self.iter_papers())
        return self._all_papers

    def organizations(self) -> set[str]:
        """The organisations papers are listed under ("NVIDIA"), for questions that name one."""
        return {p.organization for p in self.all_papers() if p.organization}

    def iter_papers(self) -> Iterator[Paper]:
        for (record,) in self._db.execute("SELECT record FROM papers ORDER BY row"):
            yield Paper.model_validate(json.loads(record))

    def content_hashes(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT paper_id, content_hash FROM papers"))

    def iter_chunks(self) -> Iterator[Chunk]:
        query = f"SELECT c.chunk_id, p.paper_id, c.first_sentence, c.last_sentence, c.text, {self._located} FROM chunks c JOIN papers p ON p.row = c.paper_row ORDER BY c.row"
        for chunk_id, paper_id, first, last, text, page, section in self._db.execute(query):
            yield Chunk(chunk_id=chunk_id, paper_id=paper_id, first_sentence=first, last_sentence=last, text=text, page=page, section=section)
