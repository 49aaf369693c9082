"""Readers: JSONL/CSV with field mapping, Markdown and text files, and files that cannot be read."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from citewise.records import ReadResult
from citewise.ingest.sentences import split_sentences
from citewise.ingest.sources import read_papers
from citewise.settings import ParsingSettings

DEFAULT = ParsingSettings()


def write_jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def skipped_reasons(result: ReadResult) -> dict[str, list[str]]:
    reasons: dict[str, list[str]] = {}
    for item in result.skipped:
        reasons.setdefault(Path(item.path).name, []).append(item.reason)
    return reasons


# --- JSONL -------------------------------------------------------------------------------------------------------


def test_scifact_layout_keeps_the_dataset_sentences(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "corpus.jsonl",
        [
            {
                "doc_id": 4983,
                "title": "Microstructural development of human newborn cerebral white matter.",
                "abstract": [
                    "Alterations of the architecture of cerebral white matter can affect cortical development.",
                    "Preterm infants at term showed higher mean diffusion coefficients (1.4 +/-",
                    "0.24 versus 1.15 +/-",
                    "  A  sentence   with   odd spacing.  ",
                    "",
                ],
                "structured": False,
            },
            {"doc_id": 5836, "title": "Second title", "abstract": ["Only one sentence here."], "structured": True},
        ],
    )
    result = read_papers([path], DEFAULT)
    assert result.skipped == [] and result.duplicates == 0
    first, second = result.papers
    assert first.paper_id == "4983"
    assert first.title == "Microstructural development of human newborn cerebral white matter."
    # the dataset's own boundaries are kept (never re-split or merged); only whitespace is normalised
    assert first.sentences == [
        "Alterations of the architecture of cerebral white matter can affect cortical development.",
        "Preterm infants at term showed higher mean diffusion coefficients (1.4 +/-",
        "0.24 versus 1.15 +/-",
        "A sentence with odd spacing.",
    ]
    assert first.source == str(path)
    assert (second.paper_id, second.sentences) == ("5836", ["Only one sentence here."])


def test_real_scifact_corpus_reads_every_record(scifact_corpus: Path) -> None:
    result = read_papers([scifact_corpus], DEFAULT)
    assert result.skipped == [] and result.duplicates == 0
    assert len(result.papers) == 5183
    records = [json.loads(line) for line in scifact_corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    for paper, record in zip(result.papers, records):
        assert paper.paper_id == str(record["doc_id"])
        assert paper.title == record["title"].strip()
        assert paper.sentences == [" ".join(s.split()) for s in record["abstract"] if s.strip()]


def test_beir_layout(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "beir.jsonl",
        [
            {
                "_id": "doc-1",
                "title": "A BEIR document",
                "text": "First sentence of the text. Second one, e.g. with an abbreviation, ends here. Third!",
                "metadata": {"authors": ["Ada Lovelace", "Alan Turing"], "date": "2021-03-04"},
            },
            {"_id": "doc-2", "title": "", "text": "A record without a title still counts. It gets one from its text."},
        ],
    )
    result = read_papers([path], DEFAULT)
    assert result.skipped == []
    one, two = result.papers
    assert one.paper_id == "doc-1" and one.title == "A BEIR document"
    assert one.sentences == [
        "First sentence of the text.",
        "Second one, e.g. with an abbreviation, ends here.",
        "Third!",
    ]
    assert one.authors == ["Ada Lovelace", "Alan Turing"]
    assert one.published == date(2021, 3, 4)
    assert two.paper_id == "doc-2"
    assert two.title == "A record without a title still counts. It gets one from its text."[:80]
    assert two.sentences == ["A record without a title still counts.", "It gets one from its text."]


def test_jsonl_field_mapping_overrides_detection(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "mapped.jsonl",
        [{"id": "decoy", "key": "k1", "title": "decoy title", "headline": "Real Title", "abstract": "decoy.", "body_text": "Real body."}],
    )
    fields = ParsingSettings(id_field="key", title_field="headline", text_field="body_text")
    (paper,) = read_papers([path], fields).papers
    assert (paper.paper_id, paper.title, paper.sentences) == ("k1", "Real Title", ["Real body."])
    (auto,) = read_papers([path], DEFAULT).papers  # without a mapping the usual names win
    assert (auto.paper_id, auto.title, auto.sentences) == ("decoy", "decoy title", ["decoy."])


def test_malformed_json_lines_are_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"_id": "a", "title": "Good A", "text": "Fine."}),
                '{"_id": "b", "title": "Broken B", "text": ',  # cut off
                "[1, 2, 3]",  # JSON, but not an object
                json.dumps({"_id": "c", "misc": "no title and no text"}),
                "",
                json.dumps({"_id": "d", "title": "Good D", "text": "Also fine."}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = read_papers([path], DEFAULT)
    assert [p.paper_id for p in result.papers] == ["a", "d"]
    reasons = skipped_reasons(result)["mixed.jsonl"]
    assert len(reasons) == 3
    assert reasons[0].startswith("line 2: invalid JSON")
    assert reasons[1] == "line 3: not a JSON object"
    assert reasons[2].startswith("line 4: no title and no abstract")
    assert all("\n" not in r for r in reasons)


# --- CSV ---------------------------------------------------------------------------------------------------------


def test_csv_with_custom_column_names(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text(
        "ref,heading,blurb,when,title,authors\n"
        'r-1,"Sparse Attention, Revisited","We revisit sparse attention. It is fast, e.g. 2.5x faster.",2024-05-06,decoy,"A. One; B. Two"\n'
        'r-2,Second Paper,"A multi-line\nabstract over two lines.",2023,decoy,\n',
        encoding="utf-8",
    )
    fields = ParsingSettings(id_field="ref", title_field="heading", text_field="blurb", date_field="when")
    result = read_papers([path], fields)
    assert result.skipped == []
    one, two = result.papers
    assert (one.paper_id, one.title) == ("r-1", "Sparse Attention, Revisited")
    assert one.sentences == ["We revisit sparse attention.", "It is fast, e.g. 2.5x faster."]
    assert one.published == date(2024, 5, 6)
    assert one.authors == ["A. One", "B. Two"]
    assert (two.paper_id, two.title, two.sentences) == ("r-2", "Second Paper", ["A multi-line abstract over two lines."])
    assert two.published == date(2023, 1, 1)


def test_csv_mapping_to_a_missing_column_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text("ref,heading,blurb\nr-1,Title,Text.\n", encoding="utf-8")
    result = read_papers([path], ParsingSettings(title_field="nope", text_field="also_nope"))
    assert result.papers == []
    (reason,) = skipped_reasons(result)["papers.csv"]
    assert "no usable records" in reason and "parsing.title_field" in reason


def test_tsv_and_utf8_bom_are_understood(tmp_path: Path) -> None:
    tsv = tmp_path / "papers.tsv"
    tsv.write_text("id\ttitle\tabstract\nt1\tTab Title\tTabs work. Yes.\n", encoding="utf-8")
    bom_csv = tmp_path / "excel.csv"  # Excel's "CSV UTF-8" starts with a byte-order mark
    bom_csv.write_bytes("title,abstract,id\nBOM Title,Body here.,b1\n".encode("utf-8-sig"))
    bom_jsonl = write_jsonl(tmp_path / "bom.jsonl", [])
    bom_jsonl.write_bytes(json.dumps({"_id": "j1", "title": "BOM JSONL", "text": "Body."}).encode("utf-8-sig") + b"\n")
    result = read_papers([tsv, bom_csv, bom_jsonl], DEFAULT)
    assert result.skipped == []
    assert [(p.paper_id, p.title, p.sentences) for p in result.papers] == [
        ("t1", "Tab Title", ["Tabs work.", "Yes."]),
        ("b1", "BOM Title", ["Body here."]),
        ("j1", "BOM JSONL", ["Body."]),
    ]


# --- Markdown and text -------------------------------------------------------------------------------------------


@pytest.fixture
def markdown_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "front.md").write_text(
        "---\n"
        'title: "Paper A: Front Matter Form"\n'
        "authors: Ada Lovelace, Alan Turing\n"
        "date: 2023-05-06\n"
        "id: paper-a\n"
        "code: https://github.com/example/paper-a\n"
        "---\n"
        "First sentence of the paper. Second sentence, e.g. with an abbreviation.\n",
        encoding="utf-8",
    )
    (folder / "heading.md").write_text(
        "# Paper B: **Heading** Form\n\n## Abstract\n\nParagraph one is here. It continues\nonto a second line.\n\nA *second* paragraph.\n",
        encoding="utf-8",
    )
    (folder / "sub" / "nested.markdown").write_text("# Paper C\n\nNested folders are read too.\n", encoding="utf-8")
    (folder / "plain.txt").write_text("Paper D: A Plain Text File\n\nAbstract:\nText files work. Code: github.com/example/d.\n", encoding="utf-8")
    (folder / ".hidden.md").write_text("# Hidden\n\nNot read.\n", encoding="utf-8")
    return folder


def test_markdown_folder(markdown_folder: Path) -> None:
    result = read_papers([markdown_folder], DEFAULT)
    assert result.skipped == []
    papers = {p.title: p for p in result.papers}
    assert sorted(papers) == ["Paper A: Front Matter Form", "Paper B: Heading Form", "Paper C", "Paper D: A Plain Text File"]

    a = papers["Paper A: Front Matter Form"]
    assert a.paper_id == "paper-a"
    assert a.authors == ["Ada Lovelace", "Alan Turing"]
    assert a.published == date(2023, 5, 6)
    assert a.code_urls == ["https://github.com/example/paper-a"]
    assert a.sentences == ["First sentence of the paper.", "Second sentence, e.g. with an abbreviation."]
    assert a.source == str(markdown_folder / "front.md")

    b = papers["Paper B: Heading Form"]
    assert b.sentences == ["Paragraph one is here.", "It continues onto a second line.", "A second paragraph."]
    assert b.paper_id.startswith("paper-b-")

    assert papers["Paper C"].sentences == ["Nested folders are read too."]
    d = papers["Paper D: A Plain Text File"]
    assert d.sentences == ["Text files work.", "Code: github.com/example/d."]
    assert d.code_urls == ["https://github.com/example/d"]


def test_markdown_with_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "bom.md").write_bytes("# BOM Heading\n\nBody.\n".encode("utf-8-sig"))
    (tmp_path / "bom-front.md").write_bytes("---\ntitle: Front BOM\n---\nBody two.\n".encode("utf-8-sig"))
    result = read_papers([tmp_path], DEFAULT)
    assert result.skipped == []
    assert sorted(p.title for p in result.papers) == ["BOM Heading", "Front BOM"]


# --- Files that cannot be read -----------------------------------------------------------------------------------


def test_unreadable_files_are_reported_and_the_run_continues(markdown_folder: Path, tmp_path: Path) -> None:
    (markdown_folder / "paper.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (markdown_folder / "binary.txt").write_bytes(b"Looks like text\x00\x01\x02 but is not")
    (markdown_folder / "latin1.md").write_bytes("# Caf\xe9 paper\n\nR\xe9sum\xe9.\n".encode("latin-1"))
    (markdown_folder / "latin1.jsonl").write_bytes(b'{"_id": "x", "title": "Caf\xe9", "text": "Body."}\n')
    (markdown_folder / "all-bad.jsonl").write_text("not json\n{also not\n", encoding="utf-8")
    (markdown_folder / "title-only.md").write_text("# Only a title\n", encoding="utf-8")
    (markdown_folder / "empty.txt").write_text("", encoding="utf-8")
    (markdown_folder / "notes.docx").write_bytes(b"PK\x03\x04")
    (markdown_folder / "noext").write_text("no suffix", encoding="utf-8")
    missing = tmp_path / "does-not-exist.jsonl"

    result = read_papers([markdown_folder, missing], DEFAULT)

    assert len(result.papers) == 4  # the four good files of the folder
    reasons = skipped_reasons(result)
    assert set(reasons) == {
        "paper.pdf", "binary.txt", "latin1.md", "latin1.jsonl", "all-bad.jsonl", "title-only.md", "empty.txt",
        "notes.docx", "noext", "does-not-exist.jsonl",
    }
    assert "is damaged or not a PDF" in reasons["paper.pdf"][0]  # a PDF is read now; a broken one is reported
    assert "unsupported file type '.docx'" in reasons["notes.docx"][0]
    assert "unsupported file type 'none'" in reasons["noext"][0]
    assert "looks binary" in reasons["binary.txt"][0]
    assert "not UTF-8" in reasons["latin1.md"][0]
    assert "not UTF-8" in reasons["latin1.jsonl"][0]
    assert "no usable records" in reasons["all-bad.jsonl"][0]
    assert "needs a title line and an abstract" in reasons["title-only.md"][0]
    assert "needs a title line and an abstract" in reasons["empty.txt"][0]
    assert "does not exist" in reasons["does-not-exist.jsonl"][0]
    for reason_list in reasons.values():
        assert all("\n" not in r for r in reason_list)


def test_oversized_files_are_skipped(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "big.jsonl", [{"_id": str(i), "title": f"T{i}", "text": "x " * 50} for i in range(50)])
    result = read_papers([path], ParsingSettings(max_file_mb=0.001))
    assert result.papers == []
    assert "parsing.max_file_mb" in result.skipped[0].reason


def test_duplicate_ids_last_copy_wins(tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [{"_id": "same", "title": "Old", "text": "Old text."}, {"_id": "other", "title": "O", "text": "O."}])
    second = write_jsonl(tmp_path / "b.jsonl", [{"_id": "same", "title": "New", "text": "New text."}])
    result = read_papers([first, second], DEFAULT)
    assert result.duplicates == 1
    assert [(p.paper_id, p.title) for p in result.papers] == [("same", "New"), ("other", "O")]


# --- Sentence splitting ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Prior work (Smith et al. 2020) trains on GPUs, e.g. the A100. As shown in Fig. 3, the loss drops by 2.5 points.",
            ["Prior work (Smith et al. 2020) trains on GPUs, e.g. the A100.", "As shown in Fig. 3, the loss drops by 2.5 points."],
        ),
        (
            "Jones et al. showed a 1.5x speed-up. We compare vs. baselines, i.e. the original model. See Eq. 2 and Sec. 4.1 for details.",
            ["Jones et al. showed a 1.5x speed-up.", "We compare vs. baselines, i.e. the original model.", "See Eq. 2 and Sec. 4.1 for details."],
        ),
        (
            "Accuracy is 93.05%, 70.15% and 67.71% on three sets. Latency falls from 3.14 s to 0.5 s. Why? Because!",
            ["Accuracy is 93.05%, 70.15% and 67.71% on three sets.", "Latency falls from 3.14 s to 0.5 s.", "Why?", "Because!"],
        ),
        (
            'They call it "the memory wall." Then they break it. Cost grows linearly w.r.t. sequence length.',
            ['They call it "the memory wall."', "Then they break it.", "Cost grows linearly w.r.t. sequence length."],
        ),
        (
            "Latency drops to 135.31 ms. We release the code. Ms. Lee and Dr. Smith agree.",
            ["Latency drops to 135.31 ms.", "We release the code.", "Ms. Lee and Dr. Smith agree."],
        ),
        (
            "As J. Smith and A. B. Jones note, it scales. The U.S. grid is large.",
            ["As J. Smith and A. B. Jones note, it scales.", "The U.S. grid is large."],
        ),
        ("  Spread\n over   lines.\n\nAnd another.  ", ["Spread over lines.", "And another."]),
        ("", []),
        ("No final stop", ["No final stop"]),
    ],
)
def test_sentence_splitter(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_sentences_are_verbatim_slices_of_the_text() -> None:
    text = "One (e.g. two). Three et al. four. Fig. 5 shows 6.7% gains. [Bracketed] start. Final."
    sentences = split_sentences(text)
    assert " ".join(sentences) == text
    assert sentences == ["One (e.g. two).", "Three et al. four.", "Fig. 5 shows 6.7% gains.", "[Bracketed] start.", "Final."]


# --- records that are not papers ---------------------------------------------------------------------------------


def test_an_abstract_that_is_not_text_is_reported_with_its_line_and_skipped(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "odd.jsonl",
        [
            {"_id": "a", "title": "Good A", "abstract": "Fine."},
            {"_id": "n", "title": "Numbered", "abstract": 5},
            {"_id": "o", "title": "Object", "abstract": {"text": "nested"}},
            {"_id": "l", "title": "Listed", "abstract": ["One.", 2]},
        ],
    )
    result = read_papers([path], DEFAULT)
    assert [p.paper_id for p in result.papers] == ["a"]
    reasons = skipped_reasons(result)["odd.jsonl"]
    assert reasons[0].startswith("line 2: abstract is a number (5), not text")
    assert reasons[1].startswith("line 3: abstract is an object")
    assert reasons[2].startswith("line 4: abstract is a list holding non-text")
    assert all("parsing.text_field" in r for r in reasons)


@pytest.mark.parametrize("missing", [{}, {"abstract": ""}, {"abstract": "   "}, {"abstract": None}, {"abstract": []}])
def test_a_title_without_an_abstract_is_skipped_unless_allowed(tmp_path: Path, missing: dict[str, object]) -> None:
    path = write_jsonl(tmp_path / "bare.jsonl", [{"_id": "a", "title": "Good A", "abstract": "Fine."}, {"_id": "t", "title": "Title Alone", **missing}])
    result = read_papers([path], DEFAULT)
    assert [p.paper_id for p in result.papers] == ["a"]
    (reason,) = skipped_reasons(result)["bare.jsonl"]
    assert reason.startswith("line 2: 'Title Alone' has no abstract") and "parsing.allow_title_only" in reason
    allowed = read_papers([path], ParsingSettings(allow_title_only=True))
    assert [(p.paper_id, p.sentences) for p in allowed.papers] == [("a", ["Fine."]), ("t", [])]


def test_a_csv_row_with_an_empty_abstract_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("id,title,abstract\na,Good A,Fine.\nb,Title Alone,\n", encoding="utf-8")
    result = read_papers([path], DEFAULT)
    assert [p.paper_id for p in result.papers] == ["a"]
    assert skipped_reasons(result)["rows.csv"][0].startswith("line 3: 'Title Alone' has no abstract")
