"""Which PDF library Citewise reads with: out-of-the-box text quality on two-column papers, and speed.

    .venv/bin/python benchmarks/pdf_libraries.py [--papers 10]

Each candidate (MIT-compatible licence, installable here) extracts the plain text of generated two-column papers
(tests/pdf_papers.py: lines drawn across both columns in turn, running headers, page numbers, hyphenation,
fi/fl ligature glyphs). Quality is the word-sequence similarity (difflib ratio, lower-cased words) to the text in
reading order, before and after NFKC (which undoes ligatures); speed is pages per second of text extraction alone.
Results: benchmarks/out/pdf_libraries.json and the table in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from _common import OUT_DIR, ROOT

sys.path.insert(0, str(ROOT))
from tests.pdf_papers import SECTIONS, make_paper, reading_order_text  # noqa: E402

OUT = OUT_DIR / "pdf_libraries.json"


def with_pypdf(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def with_pdfminer(path: Path) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(path)


def with_pdfplumber(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def with_pypdfium2(path: Path) -> str:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(path)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def with_citewise(path: Path) -> str:
    """The reader Citewise ships (pypdfium2 underneath, its own layout), for comparison."""
    from citewise.ingest.pdf_papers import pdf_to_paper
    from citewise.settings import ParsingSettings

    paper = pdf_to_paper(path, ParsingSettings(pdf_references="separate"))
    words = [paper.title, ", ".join(paper.authors)]
    section = None
    for sentence, location in zip(paper.sentences, paper.locations):
        if location.section != section:  # headings are kept as section names, not text: put them back to compare
            section = location.section
            words.append(section if section in ("Abstract", "References") else f"{1 + SECTIONS.index(section)} {section}")
        words.append(sentence)
    return " ".join(words)


CANDIDATES: dict[str, tuple[str, Callable[[Path], str]]] = {
    "pypdf": ("BSD-3-Clause", with_pypdf),
    "pdfminer.six": ("MIT", with_pdfminer),
    "pdfplumber": ("MIT", with_pdfplumber),
    "pypdfium2": ("Apache-2.0 / BSD-3-Clause", with_pypdfium2),
}


def similarity(text: str, truth: str, normalise: bool) -> float:
    if normalise:
        text = unicodedata.normalize("NFKC", text)
    return difflib.SequenceMatcher(None, text.lower().split(), truth.lower().split(), autojunk=False).ratio()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10)
    parser.add_argument("--with-citewise", action="store_true", help="also score Citewise's own reader")
    args = parser.parse_args()
    candidates = dict(CANDIDATES)
    if args.with_citewise:
        candidates["citewise (pypdfium2 + layout)"] = ("MIT", with_citewise)
    with tempfile.TemporaryDirectory() as folder:
        papers = [make_paper(Path(folder) / f"p{i}.pdf", seed=i, sentences_per_section=20) for i in range(args.papers)]
        pages = sum(p.pages for p in papers)
        results = {}
        for name, (licence, extract) in candidates.items():
            extract(papers[0].path)  # imports and first-use costs out of the timing
            started = time.perf_counter()
            texts = [extract(p.path) for p in papers]
            seconds = time.perf_counter() - started
            truths = [reading_order_text(p) for p in papers]
            results[name] = {
                "licence": licence,
                "pages_per_s": round(pages / seconds, 1),
                "similarity_raw": round(sum(similarity(t, g, False) for t, g in zip(texts, truths)) / len(papers), 3),
                "similarity_nfkc": round(sum(similarity(t, g, True) for t, g in zip(texts, truths)) / len(papers), 3),
            }
            print(name, results[name], flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"papers": args.papers, "pages": pages, "results": results}, indent=2))
    print(f"{args.papers} papers, {pages} pages -> {OUT}")


if __name__ == "__main__":
    main()
