"""PDF papers read as a reader of the page would: reading order, clean text, sections and pages, bad files reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citewise.errors import CitewiseError
from citewise.ingest.pdf_papers import pdf_to_paper
from citewise.ingest.sources import read_file, read_papers
from citewise.settings import ParsingSettings
from tests.pdf_papers import GeneratedPaper, make_damaged, make_paper, make_scanned

DEFAULT = ParsingSettings()


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GeneratedPaper]:
    folder = tmp_path_factory.mktemp("pdfs")
    return {
        "full": make_paper(folder / "full.pdf", seed=3, sentences_per_section=22),
        "bare": make_paper(folder / "bare.pdf", seed=4, with_metadata=False),
    }


def body_of(generated: GeneratedPaper) -> list[str]:
    return [*generated.abstract, *(s for _, body in generated.sections for s in body)]


def test_a_two_column_paper_comes_back_sentence_for_sentence_in_reading_order(pdfs) -> None:
    generated = pdfs["full"]
    assert generated.pages >= 3
    paper = pdf_to_paper(generated.path, DEFAULT)
    # columns in order, hyphenated line ends joined ("effi-" + "ciency"), ligature glyphs spelled out,
    # running headers and page numbers gone: every sentence exactly as written
    assert paper.sentences == body_of(generated)
    text = " ".join(paper.sentences)
    assert "Preprint" not in text and "\ufb01" not in text and "\ufb02" not in text
    assert paper.title == generated.title
    assert paper.authors == generated.authors
    assert paper.pdf == str(generated.path) and paper.source == str(generated.path)


def test_each_sentence_knows_its_page_and_section(pdfs) -> None:
    generated = pdfs["full"]
    paper = pdf_to_paper(generated.path, DEFAULT)
    truth_sections = ["Abstract"] * len(generated.abstract) + [name for name, body in generated.sections for _ in body]
    assert [l.section for l in paper.locations] == truth_sections
    assert [l.page for l in paper.locations] == [generated.sentence_pages[s] for s in paper.sentences]
    assert len({l.page for l in paper.locations}) == generated.pages  # the text runs over every page


def test_references_are_left_out_or_kept_apart_by_setting(pdfs) -> None:
    generated = pdfs["full"]
    left_out = pdf_to_paper(generated.path, DEFAULT)
    assert "References" not in {l.section for l in left_out.locations}
    assert not any("Proceedings of MLSys" in s for s in left_out.sentences)
    kept = pdf_to_paper(generated.path, ParsingSettings(pdf_references="separate"))
    references = [s for s, l in zip(kept.sentences, kept.locations) if l.section == "References"]
    assert references and all(s not in references for s in left_out.sentences)
    assert "Proceedings of MLSys" in " ".join(references)


def test_without_metadata_the_title_comes_from_the_first_page(pdfs) -> None:
    generated = pdfs["bare"]
    paper = pdf_to_paper(generated.path, DEFAULT)
    assert paper.title == generated.title and paper.authors == generated.authors
    assert paper.sentences[: len(generated.abstract)] == generated.abstract


def test_a_rotated_margin_stamp_is_not_taken_for_text(tmp_path: Path) -> None:
    generated = make_paper(tmp_path / "stamped.pdf", seed=5, arxiv_stamp=True)
    paper = pdf_to_paper(generated.path, DEFAULT)
    assert paper.title == generated.title and paper.sentences == body_of(generated)


def test_pdfs_are_found_in_folders_recursively(pdfs, tmp_path: Path) -> None:
    nested = tmp_path / "papers" / "2025" / "march"
    nested.mkdir(parents=True)
    (nested / "paper.PDF").write_bytes(pdfs["full"].path.read_bytes())
    result = read_papers([tmp_path / "papers"], DEFAULT)
    assert [p.title for p in result.papers] == [pdfs["full"].title] and result.skipped == []


def test_scanned_encrypted_damaged_and_oversized_pdfs_are_reported_in_one_line_and_skipped(pdfs, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.pdf").write_bytes(pdfs["full"].path.read_bytes())
    make_scanned(folder / "scanned.pdf")
    make_damaged(folder / "damaged.pdf", pdfs["full"].path)
    make_paper(folder / "locked.pdf", seed=9, encrypt="s3cret")
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "fake.pdf").write_text("just text, named .pdf", encoding="utf-8")
    result = read_papers([folder], DEFAULT)
    assert [p.title for p in result.papers] == [pdfs["full"].title]
    reasons = {Path(s.path).name: s.reason for s in result.skipped}
    assert set(reasons) == {"scanned.pdf", "damaged.pdf", "locked.pdf", "empty.pdf", "fake.pdf"}
    assert "no text layer" in reasons["scanned.pdf"] and "OCR" in reasons["scanned.pdf"]
    assert "encrypted" in reasons["locked.pdf"]
    assert "damaged" in reasons["damaged.pdf"] and "damaged" in reasons["fake.pdf"]
    assert all("\n" not in r for r in reasons.values())

    too_long = read_papers([folder / "good.pdf"], ParsingSettings(pdf_max_pages=2))
    assert too_long.papers == [] and "parsing.pdf_max_pages=2" in too_long.skipped[0].reason
    too_big = read_papers([folder / "good.pdf"], ParsingSettings(pdf_max_mb=0.001))
    assert too_big.papers == [] and "parsing.pdf_max_mb" in too_big.skipped[0].reason


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cut=st.integers(0, 10**6), flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=20))
def test_a_mangled_pdf_gives_a_paper_or_one_line_never_a_crash(pdfs, tmp_path_factory: pytest.TempPathFactory, cut: int, flips: list) -> None:
    data = bytearray(pdfs["bare"].path.read_bytes())
    for where, value in flips:
        data[where % len(data)] = value
    path = tmp_path_factory.mktemp("mangled") / "mangled.pdf"
    path.write_bytes(bytes(data[: max(1, cut % (len(data) + 1))]) if cut % 3 == 0 else bytes(data))
    try:
        papers, problems = read_file(path, DEFAULT)
    except CitewiseError as exc:
        assert str(exc).strip() and "\n" not in str(exc) and "\r" not in str(exc)
        return
    assert problems == [] and papers[0].title.strip() and len(papers[0].sentences) == len(papers[0].locations)
