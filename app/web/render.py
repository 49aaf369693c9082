"""What answers and papers look like in the browser.

Paper text is untrusted (an abstract may carry HTML, script or a prompt injection), so every string that comes
from a paper or a user passes through ``escape_markdown`` (chat bubbles) or ``html.escape`` (the sources panel)
here, and nothing else in the web UI builds markup from it."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlsplit

from citewise.app.answers import Answer, Citation
from citewise.records import ABSTRACT_SECTION, Paper

# a marker [n] that cannot start a link: not followed by "(", ":" or "[" (inline, definition and reference links)
_SAFE_MARKER = re.compile(r"\[(\d{1,3})\](?![(:\[])")
_PLACEHOLDER = "\x00{}\x00"


def escape_markdown(text: str) -> str:
    """Text for a Markdown bubble shown as text: no tags, links or images; markers [n] stay copyable as they are."""
    markers: list[str] = []

    def keep(match: re.Match[str]) -> str:
        markers.append(match[0])
        return _PLACEHOLDER.format(len(markers) - 1)

    text = _SAFE_MARKER.sub(keep, text.replace("\x00", ""))
    text = text.replace("<", "&lt;").replace("[", "\\[").replace("]", "\\]")
    return re.sub("\x00(\\d+)\x00", lambda m: markers[int(m[1])], text)


def human_date(day: date | None) -> str:
    return f"{day:%b} {day.day}, {day.year}" if day else "undated"


def byline(paper: Paper) -> str:
    """Authors (first three) or their count, and the organisation, as the listing gives them."""
    parts = []
    if paper.authors:
        parts.append(", ".join(paper.authors[:3]) + (" et al." if len(paper.authors) > 3 else ""))
    elif paper.author_count:
        parts.append(f"{paper.author_count} author{'s' if paper.author_count != 1 else ''}")
    if paper.organization:
        parts.append(paper.organization)
    return " · ".join(parts)


def safe_url(url: str) -> str | None:
    """Only plain web links become clickable (no javascript:, data: or relative URLs)."""
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


# -- chat bubbles (Markdown) -----------------------------------------------------------------------------


BACKEND_LABELS = {
    "extractive": "Quoted from the abstracts",
    "local": "Written by the local model, every sentence checked against its citation",
    "openai": "Written by the endpoint's model, every sentence checked against its citation",
}


def status_markdown(text: str) -> str:
    return f"*{escape_markdown(text)}*"


def answer_markdown(answer: Answer) -> str:
    """The answer, any notes, and its numbered references grouped by paper."""
    lines = [escape_markdown(answer.answer)]
    lines += [f"> **Note:** {escape_markdown(note)}" for note in answer.notes]
    if answer.citations:
        lines += ["", "**References**"]
        for markers, citation in _by_paper(answer.citations):
            when = f" ({citation.date.isoformat()})" if citation.date else ""
            lines.append(f"- {' '.join(f'[{m}]' for m in markers)} *{escape_markdown(citation.title)}*{when}")
    if answer.statements:
        lines += ["", check_summary(answer)]
    ms = answer.timings_ms.get("total", 0.0)
    took = f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"
    wrote = answer.backend if answer.statements else "extractive"  # a generative backend that fell back quotes
    label = "Not answered by the indexed papers" if answer.refused else BACKEND_LABELS[wrote]
    lines += ["", f"*{label} · {took}*"]
    return "\n".join(lines)


def check_summary(answer: Answer) -> str:
    """The citation check's verdicts in one line: how many sentences passed, and why the others did not (their
    text is never shown)."""
    passed = sum(s.supported for s in answer.statements)
    why = sorted({s.reason for s in answer.statements if not s.supported and s.reason != "empty"})
    line = f"*Citation check: {passed} of {len(answer.statements)} sentences supported"
    return line + (f"; not shown: {escape_markdown('; '.join(why))}*" if why else "*")


def _by_paper(citations: list[Citation]) -> list[tuple[list[int], Citation]]:
    groups: dict[str, tuple[list[int], Citation]] = {}
    for c in citations:
        groups.setdefault(c.paper_id, ([], c))[0].append(c.marker)
    return list(groups.values())


# -- the sources panel (HTML) -----------------------------------------------------------------------------

def _panel_message(text: str) -> str:
    return f'<div class="cw-sources cw-empty"><p class="cw-sources-head">Sources</p><p>{text}</p></div>'


EMPTY_SOURCES = _panel_message(
    "Each paper an answer cites appears here with its date, authors, upvotes and code link, and its abstract "
    "with the quoted sentences <mark>highlighted</mark>."
)


def sources_html(answer: Answer | None, papers: Mapping[str, Paper], pdf_dir: Path | None = None) -> str:
    """Cited papers with the quoted sentences marked in their abstracts; the nearest papers for a refusal.

    A quote from a PDF says its page and section, and links to that page when the PDF lies in ``pdf_dir`` (the
    only folder the server serves files from)."""
    if answer is None:
        return EMPTY_SOURCES
    if answer.citations:
        groups = _by_paper(answer.citations)
        cards = [
            _paper_card(
                papers.get(c.paper_id), c.title, c.date, markers_at(answer.citations, c.paper_id), open_abstract=i == 0, pdf_dir=pdf_dir
            )
            for i, (_, c) in enumerate(groups)
        ]
        head = f"Sources · {len(groups)} paper{'s' if len(groups) != 1 else ''}"
    elif answer.nearest_papers:
        cards = [_paper_card(papers.get(p.paper_id), p.title, p.date, {}) for p in answer.nearest_papers]
        head = "No answer in the papers · nearest papers"
    else:
        return _panel_message("No indexed paper matches this question (or its date range).")
    return f'<div class="cw-sources"><p class="cw-sources-head">{head}</p>{"".join(cards)}</div>'


def markers_at(citations: list[Citation], paper_id: str) -> dict[int, list[int]]:
    """Sentence index -> the markers quoting it, for one paper."""
    found: dict[int, list[int]] = {}
    for c in citations:
        if c.paper_id == paper_id:
            found.setdefault(c.sentence_index, []).append(c.marker)
    return found


def _chips(markers: list[int]) -> str:
    return "".join(f'<span class="cw-chip">{m}</span>' for m in markers)


def pdf_page_url(paper: Paper, page: int, pdf_dir: Path | None) -> str | None:
    """The server's URL of the paper's PDF opened at ``page``; None unless the file lies inside ``pdf_dir``."""
    if not paper.pdf or pdf_dir is None:
        return None
    path = Path(paper.pdf).resolve()
    if not path.is_relative_to(pdf_dir.resolve()) or not path.is_file():
        return None
    return f"/gradio_api/file={quote(str(path))}#page={page}"


def _where(paper: Paper, index: int, pdf_dir: Path | None) -> str:
    """'p. 3 · Results', linked to the page when the server may serve the PDF; '' for an abstract."""
    location = paper.location(index)
    if location is None:
        return ""
    label = html.escape(f"p. {location.page} · {location.section}")
    url = pdf_page_url(paper, location.page, pdf_dir)
    if url:
        label = f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{label}</a>'
    return f' <span class="cw-where">{label}</span>'


def _paper_card(
    paper: Paper | None,
    title: str,
    day: date | None,
    quoted: dict[int, list[int]],
    open_abstract: bool = False,
    pdf_dir: Path | None = None,
) -> str:
    meta = [human_date(paper.published if paper else day)]
    if paper:
        if who := byline(paper):
            meta.append(html.escape(who))
        if paper.upvotes is not None:
            meta.append(f'<span title="upvotes">▲ {paper.upvotes}</span>')
        for url in filter(None, map(safe_url, paper.code_urls)):
            meta.append(f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer nofollow">code</a>')
    quotes = abstract = ""
    if paper:
        sentences = []
        for i, sentence in enumerate(paper.sentences):
            location = paper.location(i)
            if location and location.section != ABSTRACT_SECTION:  # a full text: the panel shows its abstract only
                continue
            text = html.escape(sentence)
            sentences.append(f'<mark class="cw-quote">{text}</mark>{_chips(quoted[i])}' if i in quoted else text)
        quotes = "".join(
            f'<blockquote class="cw-cited">{_chips(quoted[i])} {html.escape(paper.sentences[i])}{_where(paper, i, pdf_dir)}</blockquote>'
            for i in sorted(quoted) if i < len(paper.sentences)
        )
        label = "Abstract, quoted sentences highlighted" if quoted else "Abstract"
        abstract = f'<details class="cw-abstract"{" open" if open_abstract else ""}><summary>{label}</summary><p>{" ".join(sentences)}</p></details>'
    return (
        f'<article class="cw-paper"><div class="cw-title">{html.escape(title)}</div>'
        f'<div class="cw-meta">{" · ".join(meta)}</div>{quotes}{abstract}</article>'
    )
