"""Property-based bad input for every reader: random bytes, wrong encodings, malformed JSON/CSV, listings with
impossible dates, odd Markdown, huge lines and empty files. Whatever arrives, a file gives papers or a one-line
CitewiseError, never a traceback, and no record disappears without a report. Example counts go to the figures."""

from __future__ import annotations

import csv
import io
import itertools
import json
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citewise.errors import CitewiseError
from citewise.index.reader import PaperIndex
from citewise.ingest.pipeline import ingest
from citewise.ingest.sources import read_file
from citewise.settings import ParsingSettings
from tests.figures import record

PARSING = ParsingSettings()
FUZZ = settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SUFFIXES = [".txt", ".md", ".jsonl", ".json", ".csv", ".tsv"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# any code point, unpaired surrogates and control characters included (JSON can carry them as escapes)
wild_text = st.text(st.characters(exclude_categories=()), max_size=60)
scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), wild_text)
json_value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(wild_text, inner, max_size=3), max_leaves=6)
field = st.sampled_from(
    ["_id", "doc_id", "id", "paper_id", "title", "name", "abstract", "text", "published", "date", "year", "authors",
     "organization", "upvotes", "metadata", "misc"]
)
json_record = st.dictionaries(field, json_value, max_size=8)
csv_row = st.dictionaries(st.sampled_from(["id", "title", "abstract", "date", "authors", "upvotes"]), st.text(max_size=40), min_size=1)


def one_line(message: str) -> None:
    assert message.strip() and "\n" not in message and "\r" not in message, repr(message)


@pytest.fixture(scope="module")
def tally():
    """Per reader: examples tried, files read, files reported; written to the figures at the end."""
    counts: dict[str, Counter] = {}
    yield counts
    record("inputs", {name: dict(c) for name, c in counts.items()})


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def read_checked(path: Path, tally: dict[str, Counter], name: str) -> tuple[list, list[str]] | None:
    """read_file's answer, checked: papers have a title and an abstract, problems and errors are one line."""
    counts = tally.setdefault(name, Counter())
    counts["examples"] += 1
    try:
        papers, problems = read_file(path, PARSING)
    except CitewiseError as exc:
        one_line(str(exc))
        counts["reported"] += 1
        return None
    for problem in problems:
        one_line(problem)
    for paper in papers:
        assert paper.title.strip() and paper.paper_id
    counts["read"] += 1
    return papers, problems


def write(folder: Path, name: str, data: bytes) -> Path:
    path = Path(tempfile.mkdtemp(dir=folder)) / name
    path.write_bytes(data)
    return path


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=4096))
def test_random_bytes(scratch: Path, tally, suffix: str, data: bytes) -> None:
    read_checked(write(scratch, f"random{suffix}", data), tally, f"random bytes ({suffix})")


@FUZZ
@given(
    suffix=st.sampled_from(SUFFIXES),
    text=st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), min_size=1, max_size=80),
    encoding=st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-16-le", "utf-16-be"]),
)
def test_wrong_encodings(scratch: Path, tally, suffix: str, text: str, encoding: str) -> None:
    title = f"Caf\xe9 {text}".replace("\n", " ")
    body = {
        ".jsonl": json.dumps({"_id": "e1", "title": title, "text": "Body \xe9t\xe9."}, ensure_ascii=False) + "\n",
        ".json": json.dumps([{"_id": "e1", "title": title, "text": "Body \xe9t\xe9."}], ensure_ascii=False),
        ".csv": f'id,title,abstract\ne1,"{title.replace(chr(34), "")}",Body \xe9t\xe9.\n',
        ".tsv": f"id\ttitle\tabstract\ne1\t{title.replace(chr(9), ' ')}\tBody \xe9t\xe9.\n",
    }.get(suffix, f"# {title}\n\nBody \xe9t\xe9.\n")
    result = read_checked(write(scratch, f"enc{suffix}", body.encode(encoding, errors="replace")), tally, f"wrong encoding ({suffix})")
    if encoding == "utf-16":  # a BOM that is not UTF-8's: always refused, with the fix
        assert result is None


@FUZZ
@given(records=st.lists(json_record, max_size=6), as_array=st.booleans(), cut=st.none() | st.integers(0, 10_000), junk=st.text(max_size=5))
def test_json_records(scratch: Path, tally, records: list[dict], as_array: bool, cut: int | None, junk: str) -> None:
    text = json.dumps(records) if as_array else "".join(json.dumps(r) + "\n" for r in records)
    if cut is not None:  # malformed: cut off somewhere, with junk in its place
        text = text[: cut % (len(text) + 1)] + junk
    name = "records.json" if as_array else "records.jsonl"
    result = read_checked(write(scratch, name, text.encode("utf-8", errors="surrogatepass")), tally, f"JSON ({name})")
    if cut is None and result is not None:  # intact: every record is a paper or a reported problem
        papers, problems = result
        assert len(papers) + len(problems) == len(records)


@FUZZ
@given(rows=st.lists(csv_row, max_size=6), delimiter=st.sampled_from([",", "\t"]), cut=st.none() | st.integers(0, 5_000))
def test_csv_rows(scratch: Path, tally, rows: list[dict], delimiter: str, cut: int | None) -> None:
    header = sorted({k for row in rows for k in row}) or ["title"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, delimiter=delimiter)  # excel's \r\n rows: fields holding \r are quoted
    writer.writeheader()
    writer.writerows(rows)
    text = buffer.getvalue() if cut is None else buffer.getvalue()[: cut % (len(buffer.getvalue()) + 1)]
    suffix = ".tsv" if delimiter == "\t" else ".csv"
    result = read_checked(write(scratch, f"rows{suffix}", text.encode("utf-8")), tally, f"CSV/TSV ({suffix})")
    if cut is None and result is not None:  # intact: every row is a paper or a reported problem
        assert len(result[0]) + len(result[1]) == len(rows)


listing_entry = st.tuples(
    st.text("abcdefgh XYZ:-", min_size=1, max_size=30).map(lambda s: "Title " + s.strip()),
    st.lists(st.sampled_from(["We cut latency by 2.5x.", "It scales.", "Results hold, e.g. on A100."]), min_size=1, max_size=3),
    st.sampled_from(["• 3 authors", "• 1 author", "nvidia NVIDIA", "Some Lab"]),
    st.sampled_from(MONTHS) | st.just("Foo"),  # mostly real dates, some impossible ones ("Feb 30", "Jan 0", "Foo 3")
    st.integers(1, 28) | st.integers(0, 39),
    st.none() | st.integers(1, 9999),
    st.none() | st.integers(0, 10**6),
)


@FUZZ
@given(entries=st.lists(listing_entry, min_size=1, max_size=5), chrome=st.booleans())
def test_listings(scratch: Path, tally, entries: list[tuple], chrome: bool) -> None:
    lines = ["Daily Papers", "Subscribe"] if chrome else []
    for title, sentences, byline, month, day, year, upvotes in entries:
        date_line = f"{month} {day}" + (f", {year:04d}" if year else "") + (f" {upvotes}" if upvotes is not None else "")
        lines += [title, " ".join(sentences), byline, "·", date_line, ""]
    result = read_checked(write(scratch, "listing.txt", "\n".join(lines).encode()), tally, "listing (.txt)")
    if result is not None and all(_valid_date(e[3], e[4], e[5] or 2026) for e in entries):
        assert len(result[0]) == len(entries)


def _valid_date(month: str, day: int, year: int) -> bool:
    try:
        date(year, MONTHS.index(month) + 1, day)
    except ValueError:  # "Foo" is not in MONTHS; "Feb 30" and "Jan 0" are not days
        return False
    return True


markdown_line = st.one_of(
    st.sampled_from(["---", "title: A Title", "date: 2024-13-45", "authors: A, B", "id:", "# Heading", "## Abstract", "Abstract:", "", "·"]),
    wild_text.map(lambda s: s.encode("utf-8", "replace").decode("utf-8")),  # a file on disk holds no surrogates
)


@FUZZ
@given(lines=st.lists(markdown_line, max_size=12), newline=st.sampled_from(["\n", "\r\n", "\r"]), suffix=st.sampled_from([".md", ".txt"]))
def test_markdown_and_text(scratch: Path, tally, lines: list[str], newline: str, suffix: str) -> None:
    read_checked(write(scratch, f"paper{suffix}", newline.join(lines).encode("utf-8")), tally, f"Markdown/text ({suffix})")


HUGE = 3_000_000  # characters on one line


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("huge.jsonl", json.dumps({"_id": "h", "title": "Huge", "text": "word " * (HUGE // 5)}) + "\n"),
        ("huge.json", json.dumps([{"_id": "h", "title": "Huge", "text": "x" * HUGE}])),
        ("huge.csv", "id,title,abstract\nh,Huge," + "y" * HUGE + "\n"),
        ("huge.md", "# Huge\n\n" + "z" * HUGE + "\n"),
        ("huge-listing.txt", "Huge\n" + "w " * (HUGE // 2) + "\n• 2 authors\n·\nJun 19, 2025 2\n"),
        ("nested.jsonl", "[" * 200_000 + "\n" + json.dumps({"_id": "n", "title": "After", "text": "Still read."}) + "\n"),
        ("nested.json", "{\"a\":" * 200_000),
        ("empty.jsonl", ""), ("empty.json", ""), ("empty.csv", ""), ("empty.tsv", ""), ("empty.md", ""), ("empty.txt", ""),
        ("blank.jsonl", "\n \n\t\n"), ("header-only.csv", "id,title,abstract\n"), ("bom-only.md", "\ufeff"),
        ("empty-array.json", "[]"),
    ],
)
def test_huge_deep_and_empty_files(tmp_path: Path, tally, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    started = time.perf_counter()
    result = read_checked(path, tally, "huge, deep or empty")
    assert time.perf_counter() - started < 30
    if name.startswith(("empty", "blank", "header-only", "bom-only")):
        assert result is None  # reported, not passed over in silence
    if name == "nested.jsonl":
        papers, problems = result
        assert [p.title for p in papers] == ["After"] and problems == ["line 1: invalid JSON (nested too deeply)"]


GOOD = {
    "good.jsonl": "".join(
        json.dumps({"_id": f"g{i}", "title": f"Good JSONL Paper {i}", "text": f"Paper {i} speeds up decoding. It keeps accuracy."}) + "\n"
        for i in range(3)
    ),
    "good.md": "# Good Markdown Paper\n\nIt caches attention keys across turns. Latency halves.\n",
    "good.csv": "id,title,abstract\nc1,Good CSV Paper,It prunes tokens early. Memory drops by 40%.\n",
    "good.json": json.dumps([{"_id": "j1", "title": "Good JSON Paper", "text": "It batches prefill requests."}]),
}
BAD = {
    "random.md": bytes(range(256)),
    "utf16.jsonl": GOOD["good.jsonl"].encode("utf-16"),
    "bad-date-listing.txt": b"Title A\nAbstract a. More.\n\xe2\x80\xa2 3 authors\n\xc2\xb7\nFeb 30, 2025 3\n",
    "cut.json": GOOD["good.json"][:25].encode(),
    "surrogate.jsonl": b'{"_id": "s1", "title": "Broken emoji \\ud83d", "text": "Body."}\n',
    "empty.csv": b"",
    "deep.jsonl": b"[" * 100_000,
    "paper.pdf": b"%PDF-1.7",
}


@settings(max_examples=5, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(extra=st.lists(st.tuples(st.sampled_from(SUFFIXES), st.binary(max_size=512)), max_size=3))
def test_ingest_of_a_folder_mixing_good_and_bad_files(scratch: Path, embedder, settings_for, tally, extra: list) -> None:
    """The whole pipeline: good files indexed, bad ones reported with one line each, and the index answers."""
    root = Path(tempfile.mkdtemp(dir=scratch))
    folder = root / "papers"
    folder.mkdir()
    for name, content in itertools.chain(GOOD.items(), BAD.items()):
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    for i, (suffix, data) in enumerate(extra):  # random files that may or may not parse
        (folder / f"extra-{i}{suffix}").write_bytes(data)
    settings = settings_for(root / "index")
    report = ingest([folder], settings, show_progress=False, embedder=embedder)
    tally.setdefault("full ingest (folder)", Counter())["examples"] += 1
    reported = {Path(s.path).name for s in report.skipped}
    assert set(BAD) <= reported
    for skipped in report.skipped:
        one_line(skipped.reason)
    index = PaperIndex.open(settings)
    try:
        titles = {p.title for p in index.store.iter_papers()}
        assert {"Good JSONL Paper 0", "Good JSONL Paper 2", "Good Markdown Paper", "Good CSV Paper", "Good JSON Paper"} <= titles
        assert index.manifest.papers == report.papers_total and index.dense.ntotal == index.store.chunk_count()
        rows, _ = index.lexical.search("prunes tokens early", 1)
        assert index.store.paper_at(index.store.chunk_at(int(rows[0]))[1]).title == "Good CSV Paper"
    finally:
        index.store.close()
