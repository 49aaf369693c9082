"""The indexed papers as the corpus tab shows them, and example questions drawn from them (derived from the
index, not written by hand, so they fit whatever papers were ingested)."""

from __future__ import annotations

import re

from citewise.app.web.render import byline, escape_markdown
from citewise.index.reader import PaperIndex
from citewise.records import Paper

TABLE_HEADERS = ["Title", "Date", "Authors / organisation", "Upvotes", "Code", "Sentences"]
TABLE_TYPES = ["str", "str", "str", "number", "str", "number"]
_REPORTS_SPEEDUP = re.compile(r"\b\d+(?:\.\d+)?\s?[x×]\b|\bspeed-?ups?\b|\bfaster\b", re.I)


def paper_rows(index: PaperIndex) -> list[list]:
    """One row per paper, newest first (the table sorts by any column on a click)."""
    papers = sorted(index.store.iter_papers(), key=lambda p: (p.published is not None, p.published), reverse=True)
    return [
        [
            p.title,
            p.published.isoformat() if p.published else "",
            byline(p),
            p.upvotes if p.upvotes is not None else 0,
            " ".join(p.code_urls),
            len(p.sentences),
        ]
        for p in papers
    ]


def stats_markdown(index: PaperIndex) -> str:
    m = index.manifest
    sources = ", ".join(escape_markdown(s.rsplit("/", 1)[-1]) for s in m.sources) or "–"
    return (
        f"**{m.papers:,} papers** · {m.chunks:,} chunks · {m.encoder_id.rsplit('/', 1)[-1]} ({m.embedding_dim}-d) · "
        f"FAISS {m.faiss_type} + BM25 · {index.size_on_disk() / 1e6:.1f} MB · "
        f"last ingest {m.created_at.astimezone():%Y-%m-%d %H:%M} · version `{m.version}`  \nSources: {sources}"
    )


def system_name(paper: Paper) -> str | None:
    """The name a title gives its system before the colon ("DistServe: ..."), if it is short and looks like a name."""
    if ":" not in paper.title:
        return None
    head = paper.title.split(":", 1)[0].strip()
    return head if 3 <= len(head) <= 30 and len(head.split()) <= 2 and any(c.isupper() for c in head[1:]) else None


def example_questions(index: PaperIndex, count: int = 4) -> list[str]:
    """Questions about the most upvoted named systems, alternating how and what-speedup (where the abstract reports one)."""
    named = [(p, name) for p in index.store.iter_papers() if (name := system_name(p))]
    named.sort(key=lambda pn: (pn[0].upvotes or 0, pn[0].published is not None, pn[0].published), reverse=True)
    questions = []
    for i, (paper, name) in enumerate(named[:count]):
        if i % 2 == 0:
            questions.append(f"How does {name} work?")
        elif _REPORTS_SPEEDUP.search(paper.abstract):
            questions.append(f"What speedup does {name} report?")
        else:
            questions.append(f"What problem does {name} address?")
    return questions
