"""JSONL and CSV corpora with a field mapping; SciFact and BEIR layouts are recognised without one."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from citewise.errors import CitewiseError
from citewise.records import Paper
from citewise.ingest.sentences import split_sentences
from citewise.ingest.text_cleanup import find_code_urls, paper_id_from_title
from citewise.settings import ParsingSettings

ID_FIELDS = ("paper_id", "doc_id", "_id", "id", "corpus_id", "docid")
TITLE_FIELDS = ("title", "name")
TEXT_FIELDS = ("abstract", "text", "body", "content", "summary")
DATE_FIELDS = ("published", "date", "year", "publication_date")


def _pick(record: dict[str, Any], configured: str | None, candidates: tuple[str, ...]) -> Any:
    if configured:
        return record.get(configured)
    for name in candidates:
        if record.get(name) not in (None, ""):
            return record[name]
    return None


def as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if len(text) == 4 and text.isdigit():
            return date(int(text), 1, 1)
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str) and value.strip():
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    return []


def _abstract_sentences(text: Any) -> list[str]:
    """A number or object where text belongs is a mistake in the file, not an abstract that reads "5"."""
    if text is None:
        return []
    if isinstance(text, str):
        return split_sentences(text)
    if isinstance(text, list) and all(isinstance(s, str) for s in text):  # SciFact: already split into sentences
        return [" ".join(s.split()) for s in text if s.strip()]
    kind = {bool: "a boolean", int: "a number", float: "a number", dict: "an object", list: "a list holding non-text"}
    raise ValueError(
        f"abstract is {kind.get(type(text), type(text).__name__)} ({json.dumps(text)[:40]}), not text; "
        "fix the record or point parsing.text_field at the right field"
    )


def record_to_paper(record: dict[str, Any], fields: ParsingSettings, source: str) -> Paper:
    """One JSON/CSV record as a paper; raises ValueError saying which field is missing."""
    title = str(_pick(record, fields.title_field, TITLE_FIELDS) or "").strip()
    sentences = _abstract_sentences(_pick(record, fields.text_field, TEXT_FIELDS))
    if not title and not sentences:
        raise ValueError("no title and no abstract field (set parsing.title_field / parsing.text_field)")
    if not sentences and not fields.allow_title_only:
        raise ValueError(f"'{' '.join(title.split())[:60]}' has no abstract; add one, or set parsing.allow_title_only = true to index its title alone")
    picked_id = _pick(record, fields.id_field, ID_FIELDS)
    raw_id = "" if picked_id is None else str(picked_id).strip()  # a blank id ("\r") is no id; 0 is one
    metadata = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
    abstract = " ".join(sentences)
    upvotes = record.get("upvotes")
    return Paper(
        paper_id=raw_id or paper_id_from_title(title or abstract[:80]),
        title=title or abstract[:80],
        sentences=sentences,
        authors=as_list(record.get("authors") or metadata.get("authors")),
        organization=str(record["organization"]).strip() or None if record.get("organization") else None,
        published=as_date(_pick(record, fields.date_field, DATE_FIELDS) or metadata.get("date")),
        upvotes=int(upvotes) if str(upvotes or "").isdecimal() else None,  # isdigit() takes "²", int() does not
        code_urls=find_code_urls(abstract),
        source=source,
    )


def _jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open(encoding="utf-8-sig", errors="strict") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, f"invalid JSON ({exc.msg})"
                continue
            except RecursionError:
                yield number, "invalid JSON (nested too deeply)"
                continue
            yield number, _checked(record)


def _json_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """A .json file holds an array of records (or one record); JSON Lines saved as .json are read line by line."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, RecursionError):
        yield from _jsonl_records(path)
        return
    for number, record in enumerate(data if isinstance(data, list) else [data], 1):
        yield number, _checked(record)


def _checked(record: Any) -> dict[str, Any] | str:
    """The record, or why it is unusable: an unpaired surrogate escape ("\\ud83d") cannot be stored or embedded."""
    if not isinstance(record, dict):
        return "not a JSON object"
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "invalid Unicode (an unpaired surrogate escape such as \\ud83d)"
    return record


def _csv_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open(encoding="utf-8-sig", errors="strict", newline="") as handle:
        sample = handle.read(65536)
        handle.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
        except csv.Error:
            dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
        for number, row in enumerate(csv.DictReader(handle, dialect=dialect), 2):
            yield number, {k.strip(): v for k, v in row.items() if isinstance(k, str)}


def read_tabular(path: Path, fields: ParsingSettings) -> tuple[list[Paper], list[str]]:
    """Papers from a JSONL/CSV file, and one message per record that could not be used."""
    suffix = path.suffix.lower()
    records = _json_records(path) if suffix == ".json" else _jsonl_records(path) if suffix in {".jsonl", ".ndjson"} else _csv_records(path)
    papers: list[Paper] = []
    problems: list[str] = []
    try:
        for number, record in records:
            if isinstance(record, str):
                problems.append(f"line {number}: {record}")
                continue
            try:
                papers.append(record_to_paper(record, fields, str(path)))
            except ValueError as exc:
                problems.append(f"line {number}: {exc}")
    except UnicodeDecodeError:
        raise CitewiseError(f"{path} is not UTF-8 text; re-save it as UTF-8.") from None
    except csv.Error as exc:
        raise CitewiseError(f"{path} is not valid CSV ({exc}).") from None
    if not papers:  # an empty file, or a header alone, is reported too rather than passed over in silence
        raise CitewiseError(f"{path}: no usable records ({problems[0]})." if problems else f"{path} holds no records.")
    return papers, problems
