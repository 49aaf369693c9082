"""Realistic research-paper PDFs made on the spot (reportlab), with the text a perfect reader would get back.

Two columns drawn line by line across both columns (so content-stream order is not reading order), running
headers and page numbers, words hyphenated at line ends, "fi"/"fl" set as ligature glyphs, numbered sections and
a references list. Shared by the PDF tests and benchmarks/pdf_*.py.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT, BOLD = "Vera", "VeraBd"  # ship with reportlab and carry the fi/fl ligature glyphs
pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
pdfmetrics.registerFont(TTFont(BOLD, "VeraBd.ttf"))
WIDTH, HEIGHT = letter
MARGIN, GUTTER = 54.0, 18.0
COLUMN = (WIDTH - 2 * MARGIN - GUTTER) / 2
BODY_SIZE, LEADING = 9.5, 11.5
TOP, BOTTOM = HEIGHT - 60, 54.0
LIGATURES = {"fi": "\ufb01", "fl": "\ufb02"}

_SUBJECTS = ["Our method", "The scheduler", "This approach", "The proposed kernel", "Speculative decoding",
             "The quantised model", "Prefix caching", "The attention layer", "Our profiler", "The baseline system"]
_VERBS = ["reduces", "improves", "stabilises", "accelerates", "simplifies", "preserves", "increases", "lowers"]
_OBJECTS = ["end-to-end latency", "the first-token delay", "memory traffic", "throughput under load",
            "accuracy on long contexts", "the efficiency of batching", "key-value cache reuse", "GPU utilisation",
            "the fidelity of generated text", "the workflow of distributed inference", "overall cost per token"]
_TAILS = ["on eight benchmarks", "without retraining", "across three model families", "at a batch size of 32",
          "compared with the strongest baseline", "for sequences of 128k tokens", "on commodity hardware",
          "under bursty traffic", "while keeping quality", "in our experiments"]
SECTIONS = ["Introduction", "Related Work", "Method", "Experiments", "Results", "Conclusion"]


@dataclass
class GeneratedPaper:
    """A paper as written into the PDF: what a reader should recover, and where."""

    path: Path
    title: str
    authors: list[str]
    abstract: list[str]
    sections: list[tuple[str, list[str]]]
    references: list[str]
    sentence_pages: dict[str, int] = field(default_factory=dict)
    pages: int = 0


def sentence(rng: random.Random, number: int) -> str:
    return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} by {number} percent {rng.choice(_TAILS)}."


def _ligatured(text: str) -> str:
    for plain, glyph in LIGATURES.items():
        text = text.replace(plain, glyph)
    return text


def _lines(words: list[str], width: float, size: float, font: str = FONT) -> list[str]:
    """Greedy line filling; a long word that does not fit is hyphenated so the line is full, as TeX does."""
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if pdfmetrics.stringWidth(_ligatured(candidate), font, size) <= width:
            current = candidate
            continue
        if len(word) >= 8 and word.isalpha():
            for cut in range(len(word) - 3, 2, -1):
                head = f"{current} {word[:cut]}-".strip()
                if pdfmetrics.stringWidth(_ligatured(head), font, size) <= width:
                    lines.append(head)
                    current = word[cut:]
                    break
            else:
                lines.append(current)
                current = word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def make_paper(
    path: Path,
    seed: int = 0,
    sentences_per_section: int = 14,
    title: str | None = None,
    with_metadata: bool = True,
    encrypt: str | None = None,
    arxiv_stamp: bool = False,
) -> GeneratedPaper:
    """Write a full two-column paper to ``path``; more sentences per section make more pages."""
    rng = random.Random(seed)
    counter = iter(range(1, 10**6))
    title = title or f"Fast {rng.choice(['Sparse', 'Speculative', 'Disaggregated', 'Quantised'])} Inference for Long Contexts number {seed}"
    authors = [f"{rng.choice(['Ada', 'Bo', 'Chen', 'Dara', 'Eli'])} {rng.choice(['Lovelace', 'Li', 'Novak', 'Okafor'])}" for _ in range(3)]
    abstract = [sentence(rng, next(counter)) for _ in range(5)]
    sections = [(name, [sentence(rng, next(counter)) for _ in range(sentences_per_section)]) for name in SECTIONS]
    references = [f"[{i}] {rng.choice(authors)}. A study of efficient inference, part {i}. In Proceedings of MLSys, 202{i % 5}." for i in range(1, 13)]
    paper = GeneratedPaper(path=path, title=title, authors=authors, abstract=abstract, sections=sections, references=references)

    pdf = canvas.Canvas(str(path), pagesize=letter, encrypt=encrypt)
    if with_metadata:
        pdf.setTitle(title)
        pdf.setAuthor(", ".join(authors))
    # page 1 head: title, authors, abstract across the full width
    y = TOP
    head: list[tuple[str, float, float, float, str]] = []  # font, size, x, y, text
    for line in _lines(title.split(), WIDTH - 2 * MARGIN, 16, BOLD):
        head.append((BOLD, 16, MARGIN, y, line))
        y -= 20
    head.append((FONT, 10, MARGIN, y, ", ".join(authors)))
    y -= 22
    head.append((BOLD, 11, MARGIN, y, "Abstract"))
    y -= 14
    for line in _lines(" ".join(abstract).split(), WIDTH - 2 * MARGIN, BODY_SIZE):
        head.append((FONT, BODY_SIZE, MARGIN, y, line))
        y -= LEADING
    for text in abstract:
        paper.sentence_pages[text] = 1
    # body: a stream of (font, text, sentence) lines poured into columns
    flow: list[tuple[str, str, list[str]]] = []
    blocks = [(f"{n} {name}", body) for n, (name, body) in enumerate(sections, 1)] + [("References", references)]
    for heading, body in blocks:
        flow.append((BOLD, heading, []))
        for text in body:
            for line in _lines(text.split(), COLUMN, BODY_SIZE):
                flow.append((FONT, line, [text]))
    page, column_top = 1, y - 10
    while flow:
        columns: list[list[tuple[str, str, float, float]]] = [[], []]
        for column in (0, 1):
            line_y = column_top
            while flow and line_y >= BOTTOM:
                font, text, owners = flow.pop(0)
                columns[column].append((font, text, MARGIN + column * (COLUMN + GUTTER), line_y))
                for owner in owners:
                    paper.sentence_pages.setdefault(owner, page)
                line_y -= LEADING
        if page == 1:
            for font, size, x, line_y, text in head:
                pdf.setFont(font, size)
                pdf.drawString(x, line_y, _ligatured(text))
            if arxiv_stamp:  # the identifier arXiv prints up the left margin of page 1
                pdf.saveState()
                pdf.translate(30, 250)
                pdf.rotate(90)
                pdf.setFont(FONT, 14)
                pdf.drawString(0, 0, f"arXiv:2501.{seed:05d}v2 [cs.LG] 19 Jun 2025")
                pdf.restoreState()
        # interleave the columns line by line: the content stream is not in reading order
        for row in range(max(len(columns[0]), len(columns[1]))):
            for column in columns:
                if row < len(column):
                    font, text, x, line_y = column[row]
                    pdf.setFont(font, BODY_SIZE)
                    pdf.drawString(x, line_y, _ligatured(text))
        pdf.setFont(FONT, 8)
        pdf.drawString(MARGIN, HEIGHT - 36, "Preprint. Under review at MLSys 2026")
        pdf.drawRightString(WIDTH - MARGIN, HEIGHT - 36, title[:40])
        pdf.drawCentredString(WIDTH / 2, 30, str(page))
        pdf.showPage()
        page, column_top = page + 1, TOP
    pdf.save()
    paper.pages = page - 1
    return paper


def make_scanned(path: Path) -> Path:
    """A page that is only a picture of text: what a scanner without OCR produces."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (850, 1100), 255)
    ImageDraw.Draw(image).text((80, 80), "A scanned page: pixels, no text layer.", fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    from reportlab.lib.utils import ImageReader

    pdf = canvas.Canvas(str(path), pagesize=letter)
    pdf.drawImage(ImageReader(buffer), 0, 0, WIDTH, HEIGHT)
    pdf.showPage()
    pdf.save()
    return path


def make_damaged(path: Path, source: Path) -> Path:
    """The first half of a real PDF: a download cut off midway."""
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def reading_order_text(paper: GeneratedPaper, with_references: bool = True) -> str:
    """The paper's words in reading order, without headers, footers or page numbers."""
    parts = [paper.title, ", ".join(paper.authors), "Abstract", *paper.abstract]
    for n, (name, body) in enumerate(paper.sections, 1):
        parts += [f"{n} {name}", *body]
    if with_references:
        parts += ["References", *paper.references]
    return " ".join(parts)
