"""Questions about the listing itself — most or least upvoted, latest or earliest, how many, by organisation or
author count, in a date range, or one paper's date, upvotes and byline — read from the papers' listing entries,
not from their abstracts, and answered with each paper cited to its entry."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from citewise.records import Paper

SortKey = Literal["upvotes", "published", "authors"]
Field_ = Literal["published", "upvotes", "authors", "organization"]

_ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "2nd": 2, "3rd": 3}
# "like Qwen-VL" is no count of likes
_UPVOTES = r"(?:up-?votes?|upvoted|votes|likes|popular(?:ity)?)"
# the people who wrote a paper, however a user says it ("co-authors", "written by the fewest people", "a team of four")
_AUTHORS = r"(?:(?:co-?)?authors?|people|persons|contributors|team members|researchers)"
# "at least one upvote" and "at most 3 authors" are bounds, not the least or most of a sort
_NOT_BOUND = r"(?<!at\s)"
_SORTS: list[tuple[SortKey, bool, re.Pattern[str]]] = [
    ("upvotes", True, re.compile(
        rf"{_NOT_BOUND}\b(most|highest|top|max\w*)\b[\w\s-]{{0,12}}{_UPVOTES}|\bmost[- ]popular\b|\b{_UPVOTES}\b[\w\s]{{0,8}}{_NOT_BOUND}\b(most|highest)\b", re.I
    )),
    ("upvotes", False, re.compile(rf"{_NOT_BOUND}\b(least|fewest|lowest|min\w*)\b[\w\s-]{{0,12}}{_UPVOTES}|\bleast[- ]popular\b", re.I)),
    ("published", True, re.compile(r"\b(latest|newest|most recent(?:ly)?|youngest|last (?:\w+ )?(?:posted|published|released))\b", re.I)),
    ("published", False, re.compile(
        r"\b(earliest|oldest|older one|first (?:\w+ )?(?:posted|published|released)|least recent|(?:came out|appeared|published|posted) first)\b", re.I
    )),
    ("authors", True, re.compile(rf"{_NOT_BOUND}\b(most|largest|biggest|longest|highest)\b[\w\s]{{0,12}}\b{_AUTHORS}\b|\blongest author|\bauthor list\b", re.I)),
    ("authors", False, re.compile(rf"{_NOT_BOUND}\b(fewest|least|smallest|shortest|lowest)\b[\w\s]{{0,12}}\b{_AUTHORS}\b", re.I)),
]
_CODE = re.compile(r"\b(github|gitlab|code (links?|urls?|repo\w*)|links? (to|for) (the |their |its )?code|code (is )?(available|released|public|open))\b", re.I)
# "How many papers…", "how many of them…": a count of papers, not of anything a paper describes ("how many gigabytes
# of storage does the client need, in the paper on…")
_COUNT = re.compile(
    r"\bhow many\s+(?:[\w-]+\s+){0,3}?(papers?|works|articles|entries|ones|studies|of (them|these|those|the papers))\b"
    r"|\bnumber of (papers|works|articles|entries)\b|\bcount (the )?(papers|works|them)\b", re.I
)
_ANY_UPVOTES = re.compile(r"\b(?:any|some)\s+up-?votes?\b|\b(?:got|received|with|has|have)\s+(?:an?\s+|any\s+)?up-?votes?\b", re.I)
_TOTAL = re.compile(r"\b(total|sum|summed|combined|add(?:s|ed)? up|altogether|in all|aggregate)\b", re.I)
_AVERAGE = re.compile(r"\b(average|mean|on average)\b", re.I)
# "which month had the most papers", "upvotes per calendar month": the listing grouped by date, not single papers
_GROUP = re.compile(r"\b(?:which|what)\s+(?:calendar\s+)?(month|year)\b|\bper\s+(?:calendar\s+)?(month|year)\b|\bby\s+(month|year)\b", re.I)
_FEWEST = re.compile(rf"{_NOT_BOUND}\b(least|fewest|lowest|smallest|quietest)\b", re.I)
_NUMBER_WORDS = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"])}
_COMPARATOR = (
    rf"(exactly|more than|over|above|at least|fewer than|less than|under|below|at most|no more than)?\s*(\d+|{'|'.join(_NUMBER_WORDS)})"
    r"\s*(?:or (more|fewer|less))?"
)
_FIELD_WORDS: dict[Field_, re.Pattern[str]] = {
    "published": re.compile(r"\b(when (?:was|were|did)|what date|which date|posted|publication date|date)\b", re.I),
    "upvotes": re.compile(rf"\b{_UPVOTES}\b", re.I),
    "authors": re.compile(r"\b(how many authors|author count|number of authors|authors?)\b", re.I),
    "organization": re.compile(r"\b(who(?:'s| is| are)? behind|which (?:organi[sz]ation|company|lab|group)|organi[sz]ation|affiliat\w*|credited to|company|lab)\b", re.I),
}
# Words that state what is asked of the listing, not the topic of the papers.
METADATA_WORDS = re.compile(
    rf"\b(most|least|fewest|highest|lowest|top|second|third|{_UPVOTES}|latest|newest|recent(?:ly)?|earliest|oldest|"
    r"first|last|posted|published|publication|date|when|authors?|author list|longest|largest|biggest|smallest|"
    r"shortest|how many|number|count|exactly|more than|fewer than|less than|at least|organi[sz]ation|company|lab|"
    r"credited|affiliated|behind|collection|list|listing|whole|index(?:ed)?|overall|in the list|ones?|github|gitlab|"
    r"code|links?|repo\w*|give|gives|provide|provides|total|sum|summed|combined|add|adds|added|up|altogether|average|"
    r"mean|month|year|calendar|per|team|people|persons|co-?authors?|contributors|written|together|inclusive|only|"
    rf"{'|'.join(_NUMBER_WORDS)})\b", re.I
)


class NumberTest(BaseModel):
    """``value`` compared with ``op``: "more than 10 authors" is (>, 10)."""

    op: Literal["==", ">", ">=", "<", "<="]
    value: int

    def holds(self, number: int | None) -> bool:
        if number is None:
            return False
        return {"==": number == self.value, ">": number > self.value, ">=": number >= self.value,
                "<": number < self.value, "<=": number <= self.value}[self.op]


class CatalogQuery(BaseModel):
    """What a question asks of the listing."""

    sort_by: SortKey | None = None
    descending: bool = True
    rank: int = Field(1, description="Which place of the sorted order is asked for: 'second most upvoted' is 2.")
    count: bool = Field(False, description="'How many papers…': the number is the answer.")
    organization: str | None = None
    authors: NumberTest | None = None
    upvotes: NumberTest | None = None
    fields: list[Field_] = Field(default_factory=list, description="Listing fields asked of named papers.")
    by_date_only: bool = Field(False, description="'What got posted in October 2025?': the date range alone selects.")
    aggregate: Literal["total", "average"] | None = Field(None, description="'Total upvotes of the 2024 papers': one number over them.")
    aggregate_of: Literal["upvotes", "authors"] = "upvotes"
    group_by: Literal["month", "year"] | None = Field(None, description="'Which month had the most papers?': papers grouped by date.")
    has_code: bool = Field(False, description="'Which papers link their code?': papers with a code link.")

    def selects(self) -> bool:
        """Whether the query picks papers by their listing (rather than only asking fields of named ones)."""
        return bool(
            self.sort_by or self.count or self.organization or self.authors or self.upvotes or self.by_date_only or self.has_code
            or self.aggregate or self.group_by
        )


def _number_test(text: str, noun: str) -> NumberTest | None:
    match = re.search(rf"{_COMPARATOR}\s+{noun}", text, re.I)
    if not match:
        return None
    word, tail = (match[1] or "").lower(), (match[3] or "").lower()
    value = int(match[2]) if match[2].isdigit() else _NUMBER_WORDS[match[2].lower()]
    if tail == "more" or word == "at least":
        return NumberTest(op=">=", value=value)
    if tail in ("fewer", "less") or word in ("at most", "no more than"):
        return NumberTest(op="<=", value=value)
    if word in ("more than", "over", "above"):
        return NumberTest(op=">", value=value)
    if word in ("fewer than", "less than", "under", "below"):
        return NumberTest(op="<", value=value)
    return NumberTest(op="==", value=value)


def parse_catalog(text: str, organizations: Iterable[str], names_paper: bool) -> CatalogQuery | None:
    """The listing part of a question, or None when it asks nothing of the listing."""
    query = CatalogQuery()
    for key, descending, pattern in _SORTS:
        if pattern.search(text):
            query.sort_by, query.descending = key, descending
            break
    if query.sort_by and (m := re.search(rf"\b({'|'.join(_ORDINALS)})\b[\s-]+(?:most|least|latest|newest|earliest|oldest|highest)", text, re.I)):
        query.rank = _ORDINALS[m[1].lower()]
    query.has_code = bool(_CODE.search(text))
    query.authors = _number_test(text, _AUTHORS)
    query.upvotes = _number_test(text, r"(?:up-?votes?|votes?)")
    if query.upvotes is None and query.sort_by != "upvotes" and _ANY_UPVOTES.search(text):  # "which papers got any upvotes"
        query.upvotes = NumberTest(op=">=", value=1)
    lowered = text.casefold()
    for organization in sorted(organizations, key=len, reverse=True):
        if re.search(rf"\b{re.escape(organization.casefold())}\b", lowered):
            query.organization = organization
            break
    query.count = bool(_COUNT.search(text)) and not names_paper
    _aggregates(text, query)
    if names_paper and not query.selects():
        query.fields = [f for f, pattern in _FIELD_WORDS.items() if pattern.search(text)]
        return query if query.fields else None
    return query if query.selects() else None


def _aggregates(text: str, query: CatalogQuery) -> None:
    """Totals, averages and groupings: what is summed is upvotes unless the question speaks of authors."""
    of_upvotes = bool(_FIELD_WORDS["upvotes"].search(text))
    of_authors = not of_upvotes and bool(re.search(rf"\b{_AUTHORS}\b|\bauthor counts?\b", text, re.I))
    if group := _GROUP.search(text):
        query.group_by = next(g for g in group.groups() if g).lower()  # type: ignore[assignment]
        query.descending = not _FEWEST.search(text)
        query.sort_by = None
        query.aggregate = "total" if of_upvotes else None
    elif of_authors or of_upvotes:  # "the average end-to-end latency" is no listing question
        query.aggregate = "average" if _AVERAGE.search(text) else "total" if _TOTAL.search(text) else None
    if query.aggregate:
        query.aggregate_of = "authors" if of_authors else "upvotes"
        if not query.group_by:
            query.sort_by, query.count = None, False


def listing_line(paper: Paper) -> str:
    """A paper's listing entry as the citation quotes it."""
    parts = [paper.published.strftime("%b %d, %Y") if paper.published else "undated"]
    if paper.organization:
        parts.append(paper.organization)
    elif paper.author_count:
        parts.append(f"{paper.author_count} authors")
    parts.append(f"{paper.upvotes or 0} upvotes")
    return " · ".join(parts)


def sort_value(paper: Paper, key: SortKey) -> int:
    if key == "upvotes":
        return paper.upvotes or 0
    if key == "authors":
        return paper.author_count or 0
    return paper.published.toordinal() if paper.published else 0


def select_papers(papers: Iterable[Paper], query: CatalogQuery, since: date | None, until: date | None) -> list[Paper]:
    """Papers passing the query's listing tests and the date range, in the asked order (else newest first)."""
    chosen = []
    for paper in papers:
        if since and (not paper.published or paper.published < since):
            continue
        if until and (not paper.published or paper.published > until):
            continue
        if query.organization and (paper.organization or "").casefold() != query.organization.casefold():
            continue
        if query.authors and not query.authors.holds(paper.author_count):
            continue
        if query.upvotes and not query.upvotes.holds(paper.upvotes or 0):
            continue
        if query.has_code and not paper.code_urls:
            continue
        if query.sort_by == "published" and not paper.published:
            continue
        chosen.append(paper)
    key: SortKey = query.sort_by or "published"
    sign = -1 if (query.descending if query.sort_by else True) else 1
    return sorted(chosen, key=lambda p: (sign * sort_value(p, key), p.title))
