"""A paper known both from a listing entry (abstract, date, upvotes) and from its PDF is one paper, not two."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from citewise.records import ABSTRACT_SECTION, Location, Paper


def title_key(title: str) -> str:
    """Titles match whatever their case, punctuation, ligatures or line breaks."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", title).casefold())


def has_entry(paper: Paper) -> bool:
    """Read from a listing or record (possibly since joined by its PDF), not from a PDF alone."""
    return paper.pdf is None or paper.source != paper.pdf


def combine(entry: Paper, full: Paper) -> Paper:
    """The entry keeps its id, title, metadata and abstract; the PDF adds its body with pages and sections."""
    if entry.locations:  # already joined once: its own abstract is the part marked so
        abstract = [s for s, l in zip(entry.sentences, entry.locations) if l.section == ABSTRACT_SECTION]
    else:
        abstract = entry.sentences
    body = [(s, l) for s, l in zip(full.sentences, full.locations) if l.section != ABSTRACT_SECTION]
    abstract_page = next((l.page for l in full.locations if l.section == ABSTRACT_SECTION), 1)
    return entry.model_copy(
        update={
            "sentences": abstract + [s for s, _ in body],
            "locations": [Location(page=abstract_page, section=ABSTRACT_SECTION)] * len(abstract) + [l for _, l in body],
            "pdf": full.pdf,
            "code_urls": list(dict.fromkeys(entry.code_urls + full.code_urls)),
        }
    )


def merge_full_texts(papers: list[Paper], indexed: Iterable[Paper] = ()) -> tuple[list[Paper], set[str]]:
    """``papers`` with each PDF joined to the entry of the same title (read now or already ``indexed``).

    Returns the papers to store and the ids that were folded into another paper (to drop from the index)."""
    groups: dict[str, list[Paper]] = {}
    for paper in [*indexed, *papers]:  # later wins: what was read now over what is indexed
        groups.setdefault(title_key(paper.title), []).append(paper)
    read_ids = {p.paper_id for p in papers}
    merged: dict[str, Paper] = {}
    absorbed: set[str] = set()
    for group in groups.values():
        entries = [p for p in group if has_entry(p)]
        fulls = [p for p in group if p.pdf]
        if not entries or not fulls or not any(p.paper_id in read_ids for p in group):
            continue
        joined = combine(entries[-1], fulls[-1])
        merged[title_key(joined.title)] = joined
        absorbed |= {p.paper_id for p in group} - {joined.paper_id}
    result: list[Paper] = []
    for paper in papers:
        key = title_key(paper.title)
        if key in merged:
            if all(p.paper_id != merged[key].paper_id for p in result):
                result.append(merged[key])
        else:
            result.append(paper)
    return result, absorbed
