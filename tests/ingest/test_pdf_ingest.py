"""PDFs through the whole pipeline: one paper per title, chunks with page and section, answers cited to the page,
and bad PDFs that leave the index as it was."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citewise.app.assistant import Assistant
from citewise.cli import cli
from citewise.errors import CitewiseError
from citewise.index.reader import PaperIndex
from citewise.index.store import Store, write_store
from citewise.index.versions import current_version_dir
from citewise.ingest.pipeline import ingest
from citewise.records import Chunk, Paper
from citewise.settings import Settings
from tests.pdf_papers import GeneratedPaper, make_damaged, make_paper, make_scanned


@pytest.fixture(scope="module")
def papers_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GeneratedPaper, GeneratedPaper]:
    folder = tmp_path_factory.mktemp("pdf-papers")
    (folder / "pdfs").mkdir()
    listed = make_paper(folder / "pdfs" / "listed.pdf", seed=11)
    alone = make_paper(folder / "pdfs" / "alone.pdf", seed=12, sentences_per_section=18)
    return folder, listed, alone


def listing_entry(folder: Path, generated: GeneratedPaper) -> Path:
    """The same paper as a listing knows it: its title cased and punctuated differently, an abstract, date and upvotes."""
    record = {"_id": "listed-2025", "title": generated.title.upper() + ".", "abstract": "A listing abstract. It is short.",
              "date": "2025-06-19", "upvotes": "7"}
    path = folder / "listing.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def papers_in(index_dir: Path, settings_for) -> list[Paper]:
    index = PaperIndex.open(settings_for(index_dir))
    try:
        return list(index.store.iter_papers())
    finally:
        index.store.close()


def test_a_listing_entry_and_its_pdf_are_one_paper_whichever_comes_first(papers_folder, tmp_path: Path, embedder, settings_for) -> None:
    folder, listed, _ = papers_folder
    entry = listing_entry(tmp_path, listed)
    for order in ([entry, listed.path], [listed.path, entry]):
        index_dir = tmp_path / f"index-{order[0].suffix}"
        settings = settings_for(index_dir)
        for path in order:  # two ingests: the second finds the first already indexed
            ingest([path], settings, show_progress=False, embedder=embedder)
        (paper,) = papers_in(index_dir, settings_for)
        assert (paper.paper_id, paper.upvotes, str(paper.published)) == ("listed-2025", 7, "2025-06-19")
        assert paper.sentences[:2] == ["A listing abstract.", "It is short."]  # the listing's abstract is kept
        body = [s for _, b in listed.sections for s in b]
        assert paper.sentences[2:] == body and paper.pdf == str(listed.path)
        again = ingest([entry, listed.path], settings, show_progress=False, embedder=embedder)
        assert (again.added, again.updated, again.version) == (0, 0, None)


@pytest.fixture(scope="module")
def pdf_index(papers_folder, tmp_path_factory: pytest.TempPathFactory, embedder, settings_for) -> Settings:
    folder, _, _ = papers_folder
    settings = settings_for(tmp_path_factory.mktemp("pdf-index"), parsing={"pdf_references": "separate"})
    ingest([folder / "pdfs"], settings, show_progress=False, embedder=embedder)
    return settings


def test_chunks_carry_page_and_section_and_answers_cite_the_page(papers_folder, pdf_index: Settings) -> None:
    _, listed, alone = papers_folder
    settings = pdf_index
    index = PaperIndex.open(settings)
    try:
        chunks = list(index.store.iter_chunks())
        assert {c.section for c in chunks} >= {"Abstract", "Introduction", "Results", "References"}
        for chunk in chunks:
            owner = index.store.paper(chunk.paper_id)
            sections = {l.section for l in owner.locations[chunk.first_sentence : chunk.last_sentence + 1]}
            assert sections == {chunk.section}  # a window never runs across a section, references apart
            assert chunk.page == owner.locations[chunk.first_sentence].page
    finally:
        index.store.close()
    assistant = Assistant(settings=settings)
    answer = assistant.ask("Which method reduces end-to-end latency on commodity hardware?")
    assert answer.citations
    where = {s: (page, name) for g in (listed, alone) for name, body in [("Abstract", g.abstract), *g.sections] for s in body
             for page in [g.sentence_pages[s]]}
    for citation in answer.citations:
        assert (citation.page, citation.section) == where[citation.quote]
    payload = answer.public_payload()
    assert payload["citations"][0]["page"] == answer.citations[0].page
    assert f"p. {answer.citations[0].page}, {answer.citations[0].section}" in answer.to_markdown()


def test_bad_pdfs_are_skipped_and_leave_the_index_untouched(papers_folder, tmp_path: Path, embedder, settings_for) -> None:
    folder, listed, _ = papers_folder
    settings = settings_for(tmp_path / "index")
    ingest([listed.path], settings, show_progress=False, embedder=embedder)
    live = current_version_dir(settings.index_dir)
    bad = tmp_path / "bad"
    bad.mkdir()
    make_scanned(bad / "scan.pdf")
    make_damaged(bad / "cut.pdf", listed.path)
    make_paper(bad / "locked.pdf", seed=5, encrypt="pw")
    with pytest.raises(CitewiseError, match="Nothing to ingest"):
        ingest([bad], settings, show_progress=False, embedder=embedder)
    assert current_version_dir(settings.index_dir) == live
    (bad / "note.md").write_text("# A Note\n\nA short note on caching.\n", encoding="utf-8")
    report = ingest([bad], settings, show_progress=False, embedder=embedder)
    assert {Path(s.path).name for s in report.skipped} == {"scan.pdf", "cut.pdf", "locked.pdf"}
    assert sorted(p.title for p in papers_in(settings.index_dir, settings_for)) == sorted(["A Note", listed.title])


def test_a_store_written_before_pages_existed_is_still_read(tmp_path: Path) -> None:
    paper = Paper(paper_id="p", title="T", sentences=["One."])
    path = tmp_path / "store.sqlite"
    write_store(path, [paper], [Chunk(chunk_id="p#0-0", paper_id="p", first_sentence=0, last_sentence=0, text="T\nOne.")])
    with sqlite3.connect(path) as db:  # the chunks table as it was
        db.execute("ALTER TABLE chunks DROP COLUMN section")
        db.execute("ALTER TABLE chunks DROP COLUMN page")
    store = Store(path)
    try:
        chunk, _ = store.chunk_at(0)
        assert (chunk.text, chunk.page, chunk.section) == ("T\nOne.", None, None)
        assert [c.chunk_id for c in store.iter_chunks()] == ["p#0-0"]
    finally:
        store.close()


def test_the_cli_names_page_and_section_of_each_quote(pdf_index: Settings) -> None:
    result = CliRunner().invoke(cli, ["ask", "Which method lowers memory traffic?", "--index-dir", str(pdf_index.index_dir)])
    assert result.exit_code == 0, result.output
    references = result.output.split("References", 1)[1]
    assert re.search(r"\[1\] .+ \(undated, p\. \d+, [A-Z][a-z]+", references), references
