"""Turn the paths a user names into papers, reporting (never dying on) files that cannot be read."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from tqdm import tqdm

from citewise.errors import CitewiseError
from citewise.ingest.pdf_papers import pdf_to_paper
from citewise.ingest.listing import looks_like_listing, parse_listing
from citewise.ingest.llamaindex_documents import (
    DOCSTORE_FILE, looks_like_docstore, read_docstore, read_with_simple_directory_reader,
)
from citewise.records import Paper, ReadResult, SkippedFile
from citewise.ingest.tabular import read_tabular
from citewise.ingest.textfiles import parse_text_paper
from citewise.settings import ParsingSettings

TABULAR_SUFFIXES = {".jsonl", ".ndjson", ".json", ".csv", ".tsv"}
TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".text"}
SUPPORTED_SUFFIXES = TABULAR_SUFFIXES | TEXT_SUFFIXES | {".pdf"}


def bundled_listing() -> Path:
    """The efficient-inference papers that ship with Citewise."""
    return Path(str(resources.files("citewise") / "data" / "daily_papers.txt"))


def read_file(path: Path, parsing: ParsingSettings) -> tuple[list[Paper], list[str]]:
    """Papers in one file and per-record problems; raises CitewiseError when the file is unusable."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CitewiseError(f"{path}: unsupported file type '{suffix or 'none'}' (use {', '.join(sorted(SUPPORTED_SUFFIXES))}).")
    size_mb = path.stat().st_size / 1e6
    if size_mb > parsing.max_file_mb:
        raise CitewiseError(f"{path}: {size_mb:.0f} MB is over parsing.max_file_mb={parsing.max_file_mb:.0f}; split it or raise the limit.")
    if looks_like_docstore(path):
        return read_docstore(path)
    if suffix in TABULAR_SUFFIXES:
        return read_tabular(path, parsing)
    if suffix == ".pdf":
        return [pdf_to_paper(path, parsing)], []
    try:
        text = path.read_text(encoding="utf-8-sig")  # utf-8-sig: a BOM (Excel, Notepad) is not text
    except UnicodeDecodeError:
        raise CitewiseError(f"{path} is not UTF-8 text; re-save it as UTF-8.") from None
    if "\x00" in text:
        raise CitewiseError(f"{path} looks binary, not text.")
    if looks_like_listing(text):
        return parse_listing(text, parsing.listing_year, str(path)), []
    return [parse_text_paper(text, str(path))], []


def _expand(paths: Iterable[Path]) -> Iterable[Path]:
    for path in paths:
        if looks_like_docstore(path / DOCSTORE_FILE):  # a llama-index persist folder: its other files hold no text
            yield path / DOCSTORE_FILE
        elif path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            yield path


def read_papers(paths: Iterable[Path], parsing: ParsingSettings, show_progress: bool = False) -> ReadResult:
    """Read every file; a bad file or record is reported in ``skipped`` and the run goes on."""
    if parsing.reader == "llamaindex":
        return _deduplicated(read_with_simple_directory_reader(paths))
    read = ReadResult()
    files = list(_expand(paths))
    for path in tqdm(files, desc="Reading", unit="file", disable=not show_progress or len(files) < 2):
        try:
            if not path.exists():
                raise CitewiseError(f"{path} does not exist.")
            papers, problems = read_file(path, parsing)
        except CitewiseError as exc:
            read.skipped.append(SkippedFile(path=str(path), reason=str(exc)))
            continue
        except OSError as exc:
            read.skipped.append(SkippedFile(path=str(path), reason=f"cannot read ({exc.strerror or exc})"))
            continue
        read.skipped.extend(SkippedFile(path=str(path), reason=problem) for problem in problems)
        read.papers.extend(papers)
    return _deduplicated(read)


def _deduplicated(read: ReadResult) -> ReadResult:
    """One paper per id: the last copy read wins, and the duplicates are counted."""
    result = ReadResult(skipped=read.skipped)
    seen: dict[str, int] = {}
    for paper in read.papers:
        if paper.paper_id in seen:
            result.duplicates += 1
            result.papers[seen[paper.paper_id]] = paper
        else:
            seen[paper.paper_id] = len(result.papers)
            result.papers.append(paper)
    return result
