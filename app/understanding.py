"""Stage 1, understanding the question: what text to search, the date filters said in words, the papers it
names, and follow-ups that lean on earlier turns."""

from __future__ import annotations

import re
from datetime import date, datetime

from typing import Literal

from pydantic import BaseModel, Field

from citewise.app.catalog import CatalogQuery, parse_catalog
from citewise.app.focus import Focus, question_focus, question_names
from citewise.errors import CitewiseError
from citewise.index.store import Store
from citewise.records import short_name

MAX_QUESTION_CHARS = 2000
# control and invisible characters, and unpaired surrogates (a JSON "\ud83d" escape) the tokenizer cannot encode
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ud800-\udfff]")

_YEAR = r"((?:19|20)\d{2})"
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_MONTH_NAMES = "|".join(_MONTHS)
_FOLLOW_UP = re.compile(
    r"\b(it|its|it's|they|them|their|this|that|these|those|the paper|the method|the system|the approach|same)\b", re.I
)


def parse_date(value: str | None, end: bool = False) -> date | None:
    """A flag's date: YYYY (the year's first day, or last with ``end``) or YYYY-MM-DD."""
    if not value:
        return None
    try:
        if len(value) == 4 and value.isdigit():
            return date(int(value), 12, 31) if end else date(int(value), 1, 1)
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise CitewiseError(f"Date '{value}' is not YYYY or YYYY-MM-DD.") from None


class QueryFilters(BaseModel):
    since: date | None = None
    until: date | None = None
    min_upvotes: int | None = None

    def is_empty(self) -> bool:
        return self.since is None and self.until is None and self.min_upvotes is None

    def describe(self) -> str:
        parts = []
        if self.since:
            parts.append(f"from {self.since.isoformat()}")
        if self.until:
            parts.append(f"until {self.until.isoformat()}")
        if self.min_upvotes is not None:
            parts.append(f"with at least {self.min_upvotes} upvotes")
        return " ".join(parts)


def _month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - date.resolution


def filters_from_question(question: str) -> QueryFilters:
    """Dates a user states plainly: 'papers from 2021', 'in 2024', 'since 2025', 'before 2023', 'between 2021 and 2023',
    'which 2025 paper'."""
    text = question.lower()
    if m := re.search(rf"\b(first|second|1st|2nd) half of {_YEAR}\b|\b(h[12]) {_YEAR}\b", text):  # "the second half of 2025"
        year, second = int(m[2] or m[4]), (m[1] or m[3]) in ("second", "2nd", "h2")
        return QueryFilters(since=date(year, 7 if second else 1, 1), until=date(year, 12, 31) if second else date(year, 6, 30))
    if m := re.search(rf"\b({_MONTH_NAMES})[a-z]*\.?\s+{_YEAR}\s*(?:through|thru|to|until|and|-|–|—)\s*({_MONTH_NAMES})[a-z]*\.?\s+{_YEAR}\b", text):
        # "from July 2024 through June 2025"
        return QueryFilters(since=date(int(m[2]), _MONTHS[m[1]], 1), until=_month_end(int(m[4]), _MONTHS[m[3]]))
    if m := re.search(rf"\b({_MONTH_NAMES})[a-z]*\.?\s*(?:through|thru|to|until|-|–|—)\s*({_MONTH_NAMES})[a-z]*\.?,?\s+(?:of\s+)?{_YEAR}\b", text):
        year = int(m[3])
        return QueryFilters(since=date(year, _MONTHS[m[1]], 1), until=_month_end(year, _MONTHS[m[2]]))
    if m := re.search(rf"\b(?:between )?{_YEAR}\s*(?:and|to|through|thru|-|–|—)\s*{_YEAR}\b", text):  # "2025 and 2026 together"
        return QueryFilters(since=date(int(m[1]), 1, 1), until=date(int(m[2]), 12, 31))
    if m := re.search(rf"\b(?:since|after|from|published after) {_YEAR}\s*(?:onwards?|on|and later)\b", text):
        return QueryFilters(since=date(int(m[1]), 1, 1))
    if m := re.search(rf"\b(?:since|after)\s+{_YEAR}\b", text):
        year = int(m[1])
        return QueryFilters(since=date(year, 1, 1) if "since" in m[0] else date(year + 1, 1, 1))
    if m := re.search(rf"\bbefore\s+{_YEAR}\b", text):
        return QueryFilters(until=date(int(m[1]) - 1, 12, 31))
    if m := re.search(rf"\b(?:in|from|during|of|published in|released in)\s+(?:({'|'.join(_MONTHS)})[a-z]*\.?\s+)?{_YEAR}\b", text):
        year = int(m[2])
        if m[1]:
            month = _MONTHS[m[1][:3]]
            return QueryFilters(since=date(year, month, 1), until=_month_end(year, month))
        return QueryFilters(since=date(year, 1, 1), until=date(year, 12, 31))
    if m := re.search(rf"\b{_YEAR}\s+(?:papers?|work|works|publications?|articles?|studies)\b", text):  # "which 2025 paper"
        return QueryFilters(since=date(int(m[1]), 1, 1), until=date(int(m[1]), 12, 31))
    return QueryFilters()


def merge_filters(explicit: QueryFilters, from_question: QueryFilters) -> QueryFilters:
    """Flags win over what the question says."""
    return QueryFilters(
        since=explicit.since or from_question.since,
        until=explicit.until or from_question.until,
        min_upvotes=explicit.min_upvotes if explicit.min_upvotes is not None else from_question.min_upvotes,
    )


def is_follow_up(question: str) -> bool:
    words = re.findall(r"[A-Za-z0-9]+", question)
    names = [w for w in words[1:] if any(c.isupper() for c in w)]
    return bool(_FOLLOW_UP.search(question)) and not names or len(words) <= 3


def refers_back(text: str) -> bool:
    """Whether a part speaks of something found before it ("…, and what does it compare against?")."""
    return bool(_FOLLOW_UP.search(text))


def contextual_query(question: str, history: list[tuple[str, str]] | None) -> str:
    """A follow-up ("what speedup does it report?") is searched together with the question it follows."""
    if not history or not is_follow_up(question):
        return question
    return f"{history[-1][0]} {question}"


def clean_question(question: str) -> str:
    text = " ".join(_CONTROL.sub(" ", question or "").split())
    if not text:
        raise CitewiseError("The question is empty; type a question about the papers.")
    if len(text) > MAX_QUESTION_CHARS:
        raise CitewiseError(f"The question is {len(text):,} characters long; keep it under {MAX_QUESTION_CHARS:,}.")
    return text


Kind = Literal["catalog", "comparison", "which_papers", "which_paper", "method", "figure", "fact"]

_QUANTITY = re.compile(
    r"\b(how (much|many|fast|large|big|long)|what (speed-?up|percentage|accuracy|latency|throughput|improvement|reduction|"
    r"gain)s?|by how|speed-?ups?|x faster|figures?|numbers?|by what factor)\b", re.I
)
_COMPARE = re.compile(r"\b(compare|comparison|differ|difference|versus|vs\.?|whereas|bigger|larger|more|higher|better)\b", re.I)
_WHICH_PAPERS = re.compile(
    r"\b(which|what|list|name|any|all)\b[\w\s/-]{0,25}\b(papers|works|systems|approaches|methods|studies|ones)\b"
    r"|\bis there (a|an|any)\b|\bare there\b|\bdoes any\b|\bany papers?\b", re.I
)
_WHICH_PAPER = re.compile(
    r"^\s*(which|what)\s+([\w-]+\s+){0,2}(paper|work|system|study|method|framework|approach|technique|model)\b(?!s)", re.I
)
_METHOD = re.compile(
    r"\bhow (does|do|did|is|are|can)\b(?! [\w-]+ (much|many)\b)|\bwhat (technique|mechanism|approach|method|strategy|idea|"
    r"components?|trick)s?\b|\bwhat does [\w/.-]+ (change|do|propose)\b|\bwhat is [\w/.-]+\??$", re.I
)
# A second question joined to the first: "Which papers X, and what gains do they report?"
_PART_BREAK = re.compile(r"(?:,\s*|\s+)and\s+(?=(?:what|how|which|when|who|by how|with how|does|do|is)\b)|\?\s+(?=\S)", re.I)


class Part(BaseModel):
    """One part of a question; a compound question ("which papers X, and what gains?") has several."""

    text: str
    kind: Kind
    focus: Focus | None = Field(None, description="What the part asks for, when the evidence must state it.")
    names: list[str] = Field(default_factory=list, description="Names it uses that are not indexed papers' names.")
    catalog: CatalogQuery | None = Field(None, description="What it asks of the listing (dates, upvotes, authors).")


class Question(BaseModel):
    """A question as the later stages need it."""

    text: str = Field(description="The question as asked, cleaned of control characters.")
    history: list[tuple[str, str]] = Field(default_factory=list, description="Earlier (question, answer) turns consulted.")
    search_query: str = Field(description="What is searched: the question, with the one it follows for a follow-up.")
    filters: QueryFilters = Field(default_factory=QueryFilters, description="Flags merged with dates said in words.")
    named_paper_rows: list[int] = Field(default_factory=list, description="Store rows of papers the search query names.")
    follow_up: bool = False
    parts: list[Part] = Field(default_factory=list, description="The question's parts, in order (one for most).")

    @property
    def kind(self) -> Kind:
        return self.parts[0].kind if self.parts else "fact"


def question_kind(text: str, named: int, catalog: CatalogQuery | None) -> Kind:
    if catalog is not None:
        return "catalog"
    compares = bool(re.search(r"\b(compare|versus|vs\.?)\b", text, re.I)) and not _WHICH_PAPERS.search(text)  # not "which papers compare against Qwen?"
    if named >= 2 and _COMPARE.search(text) or compares:
        return "comparison"
    if not named and _WHICH_PAPER.search(text) and not _WHICH_PAPERS.search(text):
        return "which_paper"
    if _WHICH_PAPERS.search(text):
        return "which_papers"
    if _QUANTITY.search(text):
        return "figure"
    if _METHOD.search(text):
        return "method"
    return "fact"


_QUESTION_START = re.compile(r"^(what|how|which|when|who|whom|where|why|does|do|did|is|are|was|were|can|could|and|by|with|in)\b", re.I)


def split_parts(text: str) -> list[str]:
    """The question's parts; a clause that is no question of its own ("…? Apache 2.0 or something else?") stays
    with the part before it."""
    parts: list[str] = []
    for piece in (p.strip(" ,;") for p in _PART_BREAK.split(text)):
        if parts and (len(piece.split()) < 2 or not _QUESTION_START.search(piece)):
            parts[-1] = f"{parts[-1]} {piece}"
        elif piece:
            parts.append(piece)
    return parts or [text]


def _names_of_papers(store: Store, text: str) -> list[int]:
    return sorted(store.papers_named(re.findall(r"[\w./+-]+", text)))


_DATE_WORDS = re.compile(
    r"\b(in|from|during|of|since|after|before|between|and|published|released|posted|came out|appeared|onwards?|later|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|(?:19|20)\d\d|half|through|thru|to|until|h1|h2)\b\.?", re.I
)
_FRAMING_WORDS = re.compile(
    r"\b(what|which|who|how|when|where|is|are|was|were|do|does|did|got|get|the|a|an|any|all|papers?|works?|ones?|"
    r"here|there|this|these|those|collection|list|listed|show|me|please|us|you|i|of|to|on|about|s|that|explicitly|"
    r"specifically|actually|really|mainly|uses?|using|used|topic|subject|area|has|have|had|as|by|credited|their|its|"
    r"or|for|with|and|received?|receiving|came|come|out|exist|exists|been|being|if|your|we|our|my|it|"
    r"everything|anything|something|comes?|coming|tak(?:e|es|ing)|look(?:s|ing)?|gets|getting|go|goes|tell|know|want|"
    r"would|could|should|can|will|just|each|every|entire|counts?|so|far|at|answer|among|amongst|lists?|none)\b", re.I
)


def topic_words(text: str) -> list[str]:
    """The words of a question left once the listing, date and framing words are taken out: its topic."""
    from citewise.app.catalog import METADATA_WORDS

    rest = _FRAMING_WORDS.sub(" ", _DATE_WORDS.sub(" ", METADATA_WORDS.sub(" ", text)))
    return re.findall(r"[A-Za-z][\w-]*", rest)


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def lead_paper_rows(store: Store, answer: str) -> list[int]:
    """The paper an earlier answer led with: the first one it names in bold, as Citewise's answers do."""
    bold = _BOLD.search(answer)
    if not bold:
        return []
    for row, paper in enumerate(store.all_papers()):
        if bold[1] in (paper.title, short_name(paper.title)):
            return [row]
    return []


_ORGANIZATION_CUE = re.compile(r"\b(from|by|credited|organi[sz]ation|company|lab|affiliat\w*|behind|authored)\b", re.I)


def understand(
    question: str,
    store: Store,
    history: list[tuple[str, str]] | None = None,
    filters: QueryFilters | None = None,
    history_turns: int = 3,
) -> Question:
    text = clean_question(question)
    turns = [(clean_question(q), a or "") for q, a in (history or [])][-history_turns:] if history_turns else []
    follow_up = bool(turns) and (is_follow_up(text) or bool(_FOLLOW_UP.search(text)) and not _names_of_papers(store, text))
    query = contextual_query(text, turns)
    named = _names_of_papers(store, query)
    if follow_up and not named and turns[-1][1]:
        # "it" is the paper the last answer led with, when neither question names one ("the most upvoted paper?")
        named = lead_paper_rows(store, turns[-1][1])
    organizations = store.organizations() if _ORGANIZATION_CUE.search(text) else set()
    filters = merge_filters(filters or QueryFilters(), filters_from_question(text))
    parts = []
    for piece in split_parts(text):
        names_paper = bool(named) and (len(parts) > 0 or bool(_names_of_papers(store, piece)) or follow_up)
        catalog = parse_catalog(piece, organizations, names_paper)
        if catalog is None and not filters.is_empty() and not names_paper and not topic_words(piece):
            catalog = CatalogQuery(by_date_only=True)  # "What got posted in October 2025?"
        names = [n for n in question_names(piece) if not store.papers_named([n])]
        parts.append(
            Part(text=piece, kind=question_kind(piece, len(named), catalog), focus=question_focus(piece), names=names, catalog=catalog)
        )
    return Question(
        text=text,
        history=turns,
        search_query=query,
        filters=filters,
        named_paper_rows=named,
        follow_up=follow_up,
        parts=parts,
    )
