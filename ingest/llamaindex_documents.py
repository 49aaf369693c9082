"""llama-index documents as papers, so ``citewise ingest`` reads what a llama-index user already has: a persisted
docstore (``docstore.json``, or the folder ``storage_context.persist()`` wrote) or files llama-index's
``SimpleDirectoryReader`` reads (PDF, DOCX, …). Needs the 'llamaindex' extra; imported only when used."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from citewise.errors import CitewiseError
from citewise.ingest.tabular import record_to_paper
from citewise.ingest.textfiles import parse_text_paper
from citewise.records import Paper, ReadResult, SkippedFile
from citewise.settings import ParsingSettings

DOCSTORE_FILE = "docstore.json"  # the name storage_context.persist() gives it
EXTRA = "pip install 'citewise[llamaindex]'"


def require_llama_index() -> None:
    try:
        import llama_index.core  # noqa: F401
    except ImportError:
        raise CitewiseError(f"This needs llama-index, which comes with the llamaindex extra: {EXTRA}") from None


def looks_like_docstore(path: Path) -> bool:
    """A persisted SimpleDocumentStore: a JSON object whose keys start with 'docstore/'."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    with path.open(encoding="utf-8", errors="replace") as f:
        return '"docstore/' in f.read(4096)


def paper_metadata(paper: Paper) -> dict[str, Any]:
    """What a paper's llama-index Document or node carries, flat and JSON-safe; ``document_paper`` reads it back."""
    return {
        "paper_id": paper.paper_id,
        "title": paper.title,
        "date": paper.published.isoformat() if paper.published else None,
        "authors": ", ".join(paper.authors),
        "upvotes": paper.upvotes,
    }


def document_paper(text: str, metadata: dict[str, Any], doc_id: str, source: str) -> Paper:
    """One document as a paper: with a 'title' in its metadata (a Citewise Document, most docstores) the text is
    the abstract; without one (a file) the first line is the title, as for a .md or .txt paper."""
    if metadata.get("title"):
        record = {**metadata, "paper_id": metadata.get("paper_id") or doc_id, "abstract": text}
        try:
            return record_to_paper(record, ParsingSettings(), source)
        except ValueError as exc:
            raise CitewiseError(f"{source}: {exc}") from None
    return parse_text_paper(text, source)


def _joined(nodes: list[Any]) -> str:
    """A document's text from its chunks, in order, the overlap between neighbouring chunks written once."""
    text = ""
    for node in sorted(nodes, key=lambda n: getattr(n, "start_char_idx", None) or 0):
        piece, start = node.get_content(), getattr(node, "start_char_idx", None)  # a Document has none
        if start is None:  # no offsets: the chunks in their order
            text = f"{text}\n{piece}" if text else piece
        elif start > len(text):  # the splitter dropped the whitespace between chunks
            text += (" " if text else "") + piece
        else:
            text += piece[len(text) - start :]
    return text


def read_docstore(path: Path) -> tuple[list[Paper], list[str]]:
    """Papers in a persisted docstore: its documents, or the chunks of an index's documents joined back up."""
    require_llama_index()
    from llama_index.core.storage.docstore import SimpleDocumentStore

    try:
        store = SimpleDocumentStore.from_persist_path(str(path))
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise CitewiseError(f"{path}: not a llama-index docstore this version reads ({exc}).") from None
    groups: dict[str, list[Any]] = {}
    for node in store.docs.values():
        groups.setdefault(node.ref_doc_id or node.node_id, []).append(node)
    papers, problems = [], []
    for doc_id, nodes in groups.items():
        try:
            papers.append(document_paper(_joined(nodes), nodes[0].metadata, doc_id, f"{path}#{doc_id}"))
        except CitewiseError as exc:
            problems.append(str(exc))
    return papers, problems


def read_with_simple_directory_reader(paths: Iterable[Path]) -> ReadResult:
    """Every file llama-index's SimpleDirectoryReader reads, one paper per file (a PDF's pages joined)."""
    require_llama_index()
    from llama_index.core import SimpleDirectoryReader

    result = ReadResult()
    for path in paths:
        try:
            if path.is_dir():
                reader = SimpleDirectoryReader(input_dir=str(path), recursive=True, raise_on_error=True)
            else:
                reader = SimpleDirectoryReader(input_files=[str(path)], raise_on_error=True)
            documents = reader.load_data(show_progress=True)
        except (ValueError, OSError, RuntimeError) as exc:
            result.skipped.append(SkippedFile(path=str(path), reason=f"SimpleDirectoryReader cannot read it ({exc})"))
            continue
        files: dict[str, list[Any]] = {}
        for document in documents:
            files.setdefault(document.metadata.get("file_path", document.doc_id), []).append(document)
        for file_path, pages in files.items():
            text = "\n".join(page.text for page in pages)
            try:
                result.papers.append(document_paper(text, pages[0].metadata, pages[0].doc_id, file_path))
            except CitewiseError as exc:
                result.skipped.append(SkippedFile(path=file_path, reason=str(exc)))
    return result
