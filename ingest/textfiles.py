"""One paper per Markdown or text file: a title (heading, front matter or first line), then the abstract."""

from __future__ import annotations

import re

from citewise.errors import CitewiseError
from citewise.records import Paper
from citewise.ingest.sentences import split_sentences
from citewise.ingest.tabular import as_date, as_list
from citewise.ingest.text_cleanup import find_code_urls, paper_id_from_title, strip_emphasis

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_SECTION_LABEL = re.compile(r"^(abstract|summary)\s*:?$", re.IGNORECASE)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    meta = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[match.end() :]


def parse_text_paper(text: str, source: str) -> Paper:
    meta, body = _front_matter(text)
    title = meta.get("title", "")
    paragraphs: list[str] = []
    for raw in body.splitlines():
        line = raw.strip()
        heading = _HEADING.match(line)
        if heading:
            line = heading.group(1).strip()
            if not title:
                title = line
                continue
        if not title and line:
            title = line
            continue
        if line and not _SECTION_LABEL.match(line):
            paragraphs.append(line)
    abstract = strip_emphasis(" ".join(paragraphs))
    if not title or not abstract:
        raise CitewiseError(f"{source}: needs a title line and an abstract below it.")
    title = strip_emphasis(title)
    return Paper(
        paper_id=meta.get("id") or paper_id_from_title(title),
        title=title,
        sentences=split_sentences(abstract),
        authors=as_list(meta.get("authors")),
        published=as_date(meta.get("date")),
        code_urls=find_code_urls(abstract + " " + meta.get("code", "")),
        source=source,
    )

