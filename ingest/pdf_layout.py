"""The text lines of a PDF in reading order, without running headers, footers or page numbers (pypdfium2).

pypdfium2 was chosen by measurement (benchmarks/RESULTS.md, "PDF library"): the fastest of the MIT-compatible
readers by far; its own text order is content-stream order, so the columns are put in order here from the
positions of its text rectangles.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c
from pydantic import BaseModel, Field

from citewise.errors import CitewiseError
from citewise.settings import ParsingSettings

CHARACTER_FIXES = str.maketrans({"\x02": "-", "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st", "\xad": "", "\ufffe": ""})  # ligatures spelled out; pdfium marks a line-end hyphen \x02
MARGIN_BAND = 0.08  # share of the page height at top and bottom where running headers and page numbers sit
SAME_LINE_POINTS = 2.0
WORD_GAP_POINTS = 8.0  # fragments closer than this on one baseline are one line; a column gutter is wider
_PAGE_NUMBER = re.compile(r"^(page\s+)?(\d{1,4}|[ivxlc]{1,6})(\s+(of|/)\s+\d+)?$", re.IGNORECASE)
_NUMBERED_HEADING = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[A-H](?:\.\d{1,2})*\.?)\s+([A-Z][\w ,:&/()'-]{2,70})$")
KNOWN_HEADINGS = {
    "abstract", "introduction", "background", "related work", "method", "methods", "methodology", "approach",
    "experiments", "experimental setup", "evaluation", "results", "discussion", "analysis", "conclusion",
    "conclusions", "limitations", "future work", "acknowledgments", "acknowledgements", "references",
    "bibliography", "appendix",
}
MIN_TEXT_CHARS_PER_PAGE = 20  # fewer on average: a scan without a text layer


class Line(BaseModel):
    """One line of text where it sits: the unit columns, headers and sections are decided on."""

    page: int = Field(description="1-based page number.")
    left: float
    right: float
    top: float = Field(description="Distance from the top of the page, in points.")
    size: float = Field(description="Font size of its first character.")
    bold: bool
    text: str


class PdfLayout(BaseModel):
    """A PDF's lines in reading order, and what its metadata says."""

    pages: int
    lines: list[Line]
    meta_title: str = ""
    meta_author: str = ""


def is_heading(line: Line, body_size: float) -> str | None:
    """The section name a line opens, or None: numbered headings must stand out (bold or larger), named ones alone."""
    text = line.text.strip()
    if text.lower().rstrip(":") in KNOWN_HEADINGS:
        return text.rstrip(":").title() if text.isupper() else text.rstrip(":")
    numbered = _NUMBERED_HEADING.match(text)
    if numbered and (line.bold or line.size > body_size + 0.5) and len(text.split()) <= 9 and not text.endswith("."):
        return numbered.group(1).strip()
    return None


def open_pdf(path: Path, parsing: ParsingSettings) -> pypdfium2.PdfDocument:
    """The document, or a one-line CitewiseError for files that are encrypted, damaged or too large."""
    size_mb = path.stat().st_size / 1e6
    if size_mb > parsing.pdf_max_mb:
        raise CitewiseError(f"{path}: {size_mb:.0f} MB is over parsing.pdf_max_mb={parsing.pdf_max_mb:g}; raise the limit to read it.")
    try:
        document = pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise CitewiseError(f"{path} is encrypted; save a copy without the password and ingest that.") from None
        raise CitewiseError(f"{path} is damaged or not a PDF ({str(exc).splitlines()[0]}); re-download or re-export it.") from None
    if len(document) > parsing.pdf_max_pages:
        pages = len(document)
        document.close()
        raise CitewiseError(f"{path}: {pages} pages is over parsing.pdf_max_pages={parsing.pdf_max_pages}; raise the limit to read it.")
    return document


def _page_lines(page: pypdfium2.PdfPage, number: int) -> list[Line]:
    """Text rectangles (runs of one line) merged into lines along each baseline."""
    textpage = page.get_textpage()
    height = page.get_height()
    fragments: list[Line] = []
    for index in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(index)
        text = " ".join(textpage.get_text_bounded(left, bottom, right, top).translate(CHARACTER_FIXES).split())
        if not text:
            continue
        char = textpage.get_index(left + 0.5, (top + bottom) / 2, 2, 2)  # None when pdfium finds none there
        if char is not None and abs(pdfium_c.FPDFText_GetCharAngle(textpage, char)) > 0.1:
            continue  # rotated text: a margin stamp (arXiv's identifier), an axis label; not running text
        size = pdfium_c.FPDFText_GetFontSize(textpage, char) if char is not None else top - bottom
        weight = pdfium_c.FPDFText_GetFontWeight(textpage, char) if char is not None else 400
        fragments.append(Line(page=number, left=left, right=right, top=height - top, size=size, bold=weight >= 600, text=text))
    fragments.sort(key=lambda f: (round(f.top), f.left))
    lines: list[Line] = []
    for fragment in fragments:
        last = lines[-1] if lines else None
        if last and abs(last.top - fragment.top) <= SAME_LINE_POINTS and 0 <= fragment.left - last.right <= WORD_GAP_POINTS:
            lines[-1] = last.model_copy(update={"right": fragment.right, "text": f"{last.text} {fragment.text}"})
        else:
            lines.append(fragment)
    textpage.close()
    return lines


def _reading_order(lines: list[Line], width: float) -> list[Line]:
    """Full-width lines split the page into bands; in each band the left column is read before the right one."""
    middle = width / 2
    ordered: list[Line] = []
    band: list[Line] = []

    def flush() -> None:
        ordered.extend(sorted((l for l in band if l.right <= middle + 4), key=lambda l: l.top))
        ordered.extend(sorted((l for l in band if l.right > middle + 4), key=lambda l: l.top))
        band.clear()

    for line in sorted(lines, key=lambda l: (l.top, l.left)):
        if line.left < middle - 4 and line.right > middle + 4:  # crosses the gutter: spans the page
            flush()
            ordered.append(line)
        else:
            band.append(line)
    flush()
    return ordered


def _running_lines(pages: list[list[Line]], heights: list[float]) -> set[tuple[int, str]]:
    """Lines in the top or bottom band that are page numbers or repeat (digits aside) on half the pages or more."""
    def key(line: Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower())

    in_margin = [
        [l for l in lines if l.top < MARGIN_BAND * height or l.top > (1 - MARGIN_BAND) * height]
        for lines, height in zip(pages, heights)
    ]
    counts = Counter(k for lines in in_margin for k in {key(l) for l in lines})
    repeated = {k for k, n in counts.items() if len(pages) >= 2 and n >= max(2, len(pages) / 2)}
    return {(l.page, l.text) for lines in in_margin for l in lines if key(l) in repeated or _PAGE_NUMBER.match(l.text)}


def read_layout(path: Path, parsing: ParsingSettings) -> PdfLayout:
    """Every page's lines in reading order; raises a one-line CitewiseError for PDFs that cannot be read."""
    document = open_pdf(path, parsing)
    try:
        pages: list[list[Line]] = []
        heights: list[float] = []
        for number, page in enumerate(document, 1):
            width, height = page.get_size()
            pages.append(_reading_order(_page_lines(page, number), width))
            heights.append(height)
            page.close()
        metadata = document.get_metadata_dict()
    except pypdfium2.PdfiumError as exc:
        raise CitewiseError(f"{path} is damaged ({str(exc).splitlines()[0]}); re-download or re-export it.") from None
    finally:
        document.close()
    if sum(len(l.text) for lines in pages for l in lines) < MIN_TEXT_CHARS_PER_PAGE * len(pages):
        raise CitewiseError(f"{path} has no text layer (a scan?); run OCR on it (e.g. ocrmypdf) and ingest the result.")
    running = _running_lines(pages, heights)
    kept = [l for lines in pages for l in lines if (l.page, l.text) not in running]
    return PdfLayout(
        pages=len(pages), lines=kept, meta_title=(metadata.get("Title") or "").strip(), meta_author=(metadata.get("Author") or "").strip()
    )
