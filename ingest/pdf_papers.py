"""A PDF as a Paper: title, authors and abstract found, sections kept, each sentence with its page and section."""

from __future__ import annotations

import re
from collections import Counter
from itertools import takewhile
from pathlib import Path

from citewise.errors import CitewiseError
from citewise.ingest.pdf_layout import Line, PdfLayout, is_heading, read_layout
from citewise.ingest.sentences import split_sentences
from citewise.ingest.tabular import as_list
from citewise.ingest.text_cleanup import find_code_urls, paper_id_from_title
from citewise.records import ABSTRACT_SECTION, Location, Paper
from citewise.settings import ParsingSettings

FRONT_MATTER = "Front matter"
REFERENCE_HEADINGS = {"references", "bibliography"}
_HYPHENATED = re.compile(r"[A-Za-z]-$")
_PLACEHOLDER_TITLES = re.compile(r"^(untitled|microsoft word|document\d*|.*\.(dvi|docx?|tex|pdf))", re.IGNORECASE)


def join_lines(lines: list[Line]) -> tuple[str, list[tuple[int, int]]]:
    """The lines as running text, a word hyphenated across a line break made whole again; (offset, page) marks."""
    text = ""
    pages: list[tuple[int, int]] = []
    for line in lines:
        if text and _HYPHENATED.search(text) and line.text[:1].islower():
            text = text[:-1]
        elif text:
            text += " "
        pages.append((len(text), line.page))
        text += line.text
    return text, pages


def located_sentences(section: str, lines: list[Line]) -> list[tuple[str, Location]]:
    text, marks = join_lines(lines)
    located: list[tuple[str, Location]] = []
    cursor = 0
    for sentence in split_sentences(text):
        start = text.find(sentence, cursor)
        cursor = max(cursor, start)
        page = next((p for offset, p in reversed(marks) if offset <= cursor), marks[0][1])
        located.append((sentence, Location(page=page, section=section)))
    return located


def body_size(layout: PdfLayout) -> float:
    """The commonest type size: running text. Headings and titles stand out against it."""
    return Counter(round(l.size * 2) / 2 for l in layout.lines).most_common(1)[0][0]


def _sections(layout: PdfLayout) -> list[tuple[str, list[Line]]]:
    body = body_size(layout)
    sections: list[tuple[str, list[Line]]] = [(FRONT_MATTER, [])]
    for line in layout.lines:
        name = is_heading(line, body)
        if name:
            sections.append((name, []))
        else:
            sections[-1][1].append(line)
    return sections


def _title_and_authors(front: list[Line], layout: PdfLayout) -> tuple[str, list[str], list[Line]]:
    """The largest type at the top of page 1 is the title, the lines below it the byline; else the metadata."""
    first_page = [l for l in front if l.page == 1]
    title_lines: list[Line] = []
    if first_page and max(l.size for l in first_page) > body_size(layout) + 1:
        largest = max(l.size for l in first_page)
        start = next(i for i, l in enumerate(first_page) if l.size == largest)
        title_lines = list(takewhile(lambda l: l.size == largest, first_page[start : start + 4]))
    meta_title = "" if _PLACEHOLDER_TITLES.match(layout.meta_title) else layout.meta_title
    title = " ".join(l.text for l in title_lines) or meta_title or (first_page[0].text if first_page else "")
    rest = [l for l in front if l not in title_lines]
    byline = rest[:1] if rest and len(rest[0].text) < 200 and not rest[0].text.endswith(".") else []
    authors = as_list(re.sub(r"\s+and\s+", ", ", byline[0].text)) if byline else as_list(layout.meta_author)
    return title, authors, [l for l in rest if l not in byline]


def pdf_to_paper(path: Path, parsing: ParsingSettings) -> Paper:
    """One paper from one PDF; raises a one-line CitewiseError when the file cannot give one."""
    layout = read_layout(path, parsing)
    (_, front), *sections = _sections(layout)
    title, authors, front_rest = _title_and_authors(front, layout)
    if not title:
        raise CitewiseError(f"{path}: no title found on the first page nor in the PDF metadata.")
    has_abstract = any(name.lower() == ABSTRACT_SECTION.lower() for name, _ in sections)
    if front_rest and not has_abstract:  # no 'Abstract' heading: the text under the byline is taken as the abstract
        sections.insert(0, (ABSTRACT_SECTION, front_rest))
    located: list[tuple[str, Location]] = []
    for name, lines in sections:
        in_references = name.lower() in REFERENCE_HEADINGS
        if not lines or (in_references and parsing.pdf_references == "leave_out"):
            continue
        located += located_sentences("References" if in_references else name, lines)
    if not located:
        raise CitewiseError(f"{path}: no text found below the title; is it a cover page only?")
    sentences = [s for s, _ in located]
    return Paper(
        paper_id=paper_id_from_title(title),
        title=title,
        sentences=sentences,
        authors=authors,
        code_urls=find_code_urls(" ".join(sentences)),
        source=str(path),
        locations=[l for _, l in located],
        pdf=str(path),
    )
