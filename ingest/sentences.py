"""Sentence splitting tuned for paper abstracts (no model download, deterministic)."""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "e.g", "i.e", "et al", "etc", "vs", "fig", "figs", "eq", "eqs", "sec", "no", "approx", "cf", "resp",
    "prof", "inc", "ltd", "al", "st", "u.s", "ca", "w.r.t",
}
# Titles count only when capitalised: "Ms. Lee" is one sentence, "... latency by 135 ms. We ..." is two.
_TITLES = {"Dr", "Mr", "Mrs", "Ms"}
# A boundary: sentence-final punctuation (optionally closed by a quote or bracket), whitespace, then
# something that can open a sentence.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Za-z0-9*])")


def _ends_with_abbreviation(text: str) -> bool:
    words = text.rstrip(".!?\"')]").split()
    tail = words[-1].lstrip("(\"'[") if words else ""
    # a lone capital is an initial ("J. Smith"); a lone small letter is a unit ("in 0.5 s. Then")
    return tail in _TITLES or tail.lower() in _ABBREVIATIONS or bool(re.fullmatch(r"[A-Z]", tail))


def split_sentences(text: str) -> list[str]:
    """Split on sentence-final punctuation, keeping abbreviations like 'e.g.' and 'et al.' intact."""
    text = " ".join(text.split())
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        candidate = text[start : match.start()]
        if _ends_with_abbreviation(candidate):
            continue
        # keep a closing quote/bracket with the sentence it closes
        end = match.start() + len(match.group(0)) - len(match.group(0).lstrip("\"')]"))
        sentences.append(text[start:end].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]
