"""The default answer: the best evidence sentences quoted verbatim, grouped by paper, each with its marker.

Needs no language model and cannot state anything the papers do not say."""

from __future__ import annotations

import re

from citewise.app.evidence import Evidence
from citewise.app.models import Citation
from citewise.settings import AnswerSettings

# A sentence opening like this leans on the one before it ("This effectively avoids padding overheads.").
_ANAPHORIC = re.compile(r"^(this|these|that|those|it|they|such|thus|therefore|hence|consequently|as a result)\b", re.I)
_COMPARISON = re.compile(r"\b(compare|comparison|differ|difference|versus|vs\.?|than|both|whereas)\b", re.I)
_LIST_QUESTION = re.compile(r"\b(which|what|list|name|compare|papers|works|approaches|methods|systems)\b.*\b(papers|works|approaches|methods|systems)\b|\bcompare\b|\bvs\.?\b|\bversus\b", re.I)


def short_name(title: str) -> str:
    head = title.split(":", 1)[0].strip()
    return head if len(head) <= 60 else head[:57].rstrip() + "…"


def select_evidence(question: str, ranked: list[Evidence], settings: AnswerSettings) -> list[Evidence]:
    """Best sentences, a few per paper; a "which papers…" question gets more papers, fewer sentences each."""
    if not ranked:
        return []
    named = any(item.named for item in ranked)
    if named:  # the question names its paper(s): answer from those alone
        ranked = [item for item in ranked if item.named]
    broad = bool(_LIST_QUESTION.search(question))
    # one named paper: "how does X work" is answered by several of its sentences, not only the closest one
    named_papers = {item.paper.paper_id for item in ranked} if named else set()
    focused = len(named_papers) == 1
    per_paper = 1 if broad and not named else 3 if named else 2
    limit = max(settings.max_sentences + (2 if broad else 0), 3 * len(named_papers))
    if len(named_papers) > 1 and _COMPARISON.search(question):  # each named paper measured against its own best
        best = {pid: max(i.score for i in ranked if i.paper.paper_id == pid) for pid in named_papers}
        floors = {pid: score - 0.25 for pid, score in best.items()}
    else:
        floor = ranked[0].score - (0.25 if broad or focused else 0.15)
        floors = {item.paper.paper_id: floor for item in ranked}
    chosen: list[Evidence] = []
    counts: dict[str, int] = {}
    for item in ranked:
        if len(chosen) >= limit:
            break
        if item.score < floors[item.paper.paper_id] or counts.get(item.paper.paper_id, 0) >= per_paper:
            continue
        counts[item.paper.paper_id] = counts.get(item.paper.paper_id, 0) + 1
        chosen.append(item)
    return with_antecedents(chosen, ranked)


def with_antecedents(chosen: list[Evidence], ranked: list[Evidence]) -> list[Evidence]:
    """Quote the sentence an anaphoric one refers to, so "This allows…" is never shown without its "this"."""
    by_position = {(e.paper.paper_id, e.sentence_index): e for e in ranked}
    result: list[Evidence] = []
    for item in chosen:
        before = by_position.get((item.paper.paper_id, item.sentence_index - 1))
        if _ANAPHORIC.match(item.sentence) and before is not None and before not in chosen and before not in result:
            result.append(before)
        result.append(item)
    return result


def compose(chosen: list[Evidence]) -> tuple[str, list[Citation]]:
    """Group by paper (best paper first), sentences in abstract order, one marker per quoted sentence."""
    order: list[str] = []
    groups: dict[str, list[Evidence]] = {}
    for item in chosen:
        if item.paper.paper_id not in groups:
            order.append(item.paper.paper_id)
            groups[item.paper.paper_id] = []
        groups[item.paper.paper_id].append(item)
    citations: list[Citation] = []
    lines: list[str] = []
    for paper_id in order:
        items = sorted(groups[paper_id], key=lambda e: e.sentence_index)
        paper = items[0].paper
        quoted = []
        for item in items:
            marker = len(citations) + 1
            citations.append(
                Citation(
                    marker=marker,
                    paper_id=paper.paper_id,
                    title=paper.title,
                    date=paper.published,
                    quote=item.sentence,
                    sentence_index=item.sentence_index,
                    score=round(max(0.0, min(1.0, item.similarity)), 3),
                )
            )
            quoted.append(f"“{item.sentence}” [{marker}]")
        year = f" ({paper.published.year})" if paper.published else ""
        lines.append(f"**{short_name(paper.title)}**{year}: " + " ".join(quoted))
    if len(lines) > 1:
        lines = [f"- {line}" for line in lines]
    return "\n".join(lines), citations
