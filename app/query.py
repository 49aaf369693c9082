"""Understanding the question: date filters said in words, and follow-ups that lean on earlier turns."""

from __future__ import annotations

import re
from datetime import date, datetime

from pydantic import BaseModel

from citewise.errors import CitewiseError

_YEAR = r"((?:19|20)\d{2})"
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
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


def filters_from_question(question: str) -> QueryFilters:
    """Dates a user states plainly: 'papers from 2021', 'in 2024', 'since 2025', 'before 2023', 'between 2021 and 2023'."""
    text = question.lower()
    if m := re.search(rf"\bbetween {_YEAR} and {_YEAR}\b", text):
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
            last = (date(year + (month == 12), month % 12 + 1, 1) - date.resolution)
            return QueryFilters(since=date(year, month, 1), until=last)
        return QueryFilters(since=date(year, 1, 1), until=date(year, 12, 31))
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


def contextual_query(question: str, history: list[tuple[str, str]] | None) -> str:
    """A follow-up ("what speedup does it report?") is searched together with the question it follows."""
    if not history or not is_follow_up(question):
        return question
    return f"{history[-1][0]} {question}"
