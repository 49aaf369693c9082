"""Parser for scraped "Daily Papers" listings: title, abstract, byline, '·', date and upvotes."""

from __future__ import annotations

import re
from datetime import date, datetime

from citewise.errors import CitewiseError
from citewise.records import Paper
from citewise.ingest.sentences import split_sentences
from citewise.ingest.text_cleanup import find_code_urls, paper_id_from_title, strip_emphasis

SEPARATOR = "·"
_PAGE_CHROME = {
    "new",
    "get trending papers in your email inbox!",
    "subscribe",
    "daily papers",
    "byak and the research community",
}
_DATE = re.compile(r"^(?P<mon>[A-Z][a-z]{2}) (?P<day>\d{1,2})(?:, (?P<year>\d{4}))?(?: (?P<upvotes>\d+))?$")
_AUTHORS = re.compile(r"^•\s*(\d+)\s+authors?$")


def looks_like_listing(text: str) -> bool:
    lines = [line.strip() for line in text.splitlines()]
    anchors = [i for i, line in enumerate(lines) if line == SEPARATOR]
    return bool(anchors) and all(i + 1 < len(lines) and _DATE.match(lines[i + 1]) for i in anchors[:3])


def _parse_date(line: str, listing_year: int) -> tuple[date, int]:
    match = _DATE.match(line)
    if not match:
        raise ValueError(line)
    year = int(match["year"] or listing_year)
    when = datetime.strptime(f"{match['mon']} {match['day']} {year}", "%b %d %Y").date()
    return when, int(match["upvotes"] or 0)


def _byline(line: str) -> tuple[int | None, str | None]:
    """'• 11 authors' gives an author count; anything else is an organisation ('nvidia NVIDIA')."""
    match = _AUTHORS.match(line)
    if match:
        return int(match[1]), None
    words = line.split()
    if len(words) == 2 and words[0].lower() == words[1].lower():
        return None, words[1]  # handle + display name
    return None, line


def parse_listing(text: str, listing_year: int, source: str = "") -> list[Paper]:
    """Every paper in the listing; page chrome and the listing's own date are not papers."""
    lines = [line.strip() for line in text.splitlines()]
    papers: list[Paper] = []
    segment_start = 0
    for i, line in enumerate(lines):
        if line != SEPARATOR:
            continue
        if i == 0 or i + 1 >= len(lines):
            raise CitewiseError(f"{source or 'listing'}: a '·' line at line {i + 1} has no byline or date around it.")
        try:
            published, upvotes = _parse_date(lines[i + 1], listing_year)
        except ValueError:  # "Feb 30", "Jan 0", or a non-date after the first entries
            raise CitewiseError(f"{source or 'listing'}: line {i + 2} '{lines[i + 1][:40]}' is not a date like 'Jun 19, 2025'.") from None
        author_count, organization = _byline(lines[i - 1])
        body = [
            entry
            for entry in lines[segment_start : i - 1]
            if entry and entry.lower() not in _PAGE_CHROME and not _DATE.match(entry)
        ]
        segment_start = i + 2
        if len(body) < 2:
            raise CitewiseError(f"{source or 'listing'}: the entry ending at line {i + 1} has no title or abstract.")
        title = strip_emphasis(body[0])
        abstract = strip_emphasis(" ".join(body[1:]))
        papers.append(
            Paper(
                paper_id=paper_id_from_title(title),
                title=title,
                sentences=split_sentences(abstract),
                author_count=author_count,
                organization=organization,
                published=published,
                upvotes=upvotes,
                code_urls=find_code_urls(abstract),
                source=source,
            )
        )
    return papers
