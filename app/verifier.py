"""Checks a generated answer against its sources before anyone sees it.

Each sentence must cite; every cited source must exist; the sentence must be semantically close to what it
cites; and every number in it must appear in the cited text. Copied-back prompt text and bare paper titles are
never an answer. Markers are renumbered to the final list."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from citewise.app.evidence import Evidence
from citewise.app.answers import Citation, Statement
from citewise.app.prompts import ECHO_FRAGMENTS
from citewise.ingest.embedding import Embedder
from citewise.ingest.sentences import split_sentences

_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+(?:\s*,\s*\d+)*\])+")
_PARTIAL_MARKER = re.compile(r"\[[\d,\s]*")


def numbers_in(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(_MARKER.sub(" ", text))}


def split_statements(text: str) -> list[str]:
    """Sentences of generated text; a marker written after the full stop ("... GPUs. [2] Next") stays with the
    sentence it closes instead of moving to the next one."""
    statements: list[str] = []
    for sentence in split_sentences(text):
        lead = _LEADING_MARKERS.match(sentence)
        if lead and statements:
            statements[-1] += lead.group(0)
            sentence = sentence[lead.end() :].strip()
        if sentence:
            statements.append(sentence)
    return statements


def finished_statements(text: str) -> tuple[list[str], str]:
    """While an answer streams in: the statements already complete, and the tail that may still grow (the last
    sentence, and the one before it while a marker that may close it is half written)."""
    statements = split_statements(text)
    keep = 2 if len(statements) > 1 and _PARTIAL_MARKER.fullmatch(statements[-1]) else 1
    return statements[:-keep], " ".join(statements[-keep:])


def _without_titles(claim: str, sources: list[Evidence]) -> str:
    """Drops titles copied in the prompt's source layout, "(Title)" or "Title:", which are no claim at all."""
    for title in {e.paper.title for e in sources}:
        claim = claim.replace(f"({title})", " ").replace(f"{title}:", " ")
    return " ".join(claim.split())


@dataclass
class VerifiedAnswer:
    text: str
    citations: list[Citation]
    statements: list[Statement]
    dropped: int


class CitationVerifier:
    def __init__(self, embedder: Embedder, support_threshold: float, unsupported: str = "drop") -> None:
        self.embedder = embedder
        self.support_threshold = support_threshold
        self.unsupported = unsupported

    def check(self, sentence: str, sources: list[Evidence]) -> Statement:
        """Verdict on one sentence; ``sources`` are numbered from 1 as the model saw them."""
        markers = sorted({int(n) for group in _MARKER.findall(sentence) for n in group.split(",")})
        claim = _without_titles(_MARKER.sub("", sentence), sources).strip()
        valid = [m for m in markers if 1 <= m <= len(sources)]
        if not claim.strip(".!?:;,- "):
            return Statement(text=sentence, markers=[], supported=False, score=0.0, reason="empty")
        if any(fragment in claim for fragment in ECHO_FRAGMENTS):
            return Statement(text=claim, markers=[], supported=False, score=0.0, reason="repeats the prompt")
        if not valid:  # no markers kept: in flag mode a dangling [42] must not index the sources
            reason = "cites no source" if not markers else f"cites [{markers[0]}], which does not exist"
            return Statement(text=claim, markers=[], supported=False, score=0.0, reason=reason)
        cited = [sources[m - 1] for m in valid]
        vectors = self.embedder.encode([claim] + [f"{e.paper.title}: {e.sentence}" for e in cited])
        similarities = vectors[1:] @ vectors[0]
        score = float(np.max(similarities))
        cited_numbers = set().union(*(numbers_in(e.sentence + " " + e.paper.title) for e in cited))
        missing = sorted(numbers_in(claim) - cited_numbers)
        if missing:
            return Statement(text=claim, markers=valid, supported=False, score=score, reason=f"number {missing[0]} is not in the cited source")
        if score < self.support_threshold:
            return Statement(text=claim, markers=valid, supported=False, score=score, reason="not supported by the cited source")
        return Statement(text=claim, markers=valid, supported=True, score=score)

    def verify(self, answer: str, sources: list[Evidence]) -> VerifiedAnswer:
        statements = [self.check(s, sources) for s in split_statements(answer)]
        return self.assemble(statements, sources)

    def assemble(self, statements: list[Statement], sources: list[Evidence]) -> VerifiedAnswer:
        """Keep supported statements (or flag the rest), renumbering markers 1..n in order of use."""
        renumber: dict[int, int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        dropped = 0
        shown: set[str] = set()
        for statement in statements:
            if not statement.supported and (self.unsupported == "drop" or not statement.markers):
                dropped += statement.reason != "empty"
                continue
            if statement.text in shown:  # small models repeat themselves
                continue
            shown.add(statement.text)
            new_markers = []
            for m in statement.markers:
                if m not in renumber:
                    renumber[m] = len(renumber) + 1
                    source = sources[m - 1]
                    citations.append(
                        Citation(
                            marker=renumber[m],
                            paper_id=source.paper.paper_id,
                            title=source.paper.title,
                            date=source.paper.published,
                            quote=source.sentence,
                            sentence_index=source.sentence_index,
                            score=round(max(0.0, min(1.0, statement.score)), 3),
                        )
                    )
                new_markers.append(renumber[m])
            marks = "".join(f" [{n}]" for n in new_markers)
            flag = "" if statement.supported else " ⚠️ *(unverified)*"
            body = statement.text.rstrip()
            end = body[-1] if body and body[-1] in ".!?" else "."
            parts.append(f"{body.rstrip('.!?')}{marks}{end}{flag}")
        return VerifiedAnswer(text=" ".join(parts), citations=citations, statements=statements, dropped=dropped)
