"""Evaluation metrics, as plain functions of rankings, gold sets and answers (no index, no model).

Ranking metrics use binary relevance (a paper is relevant or not) and follow the usual TREC / BEIR definitions:

- ``recall_at_k``: relevant items in the top k / all relevant items.
- ``reciprocal_rank``: 1 / rank of the first relevant item (0 when none is ranked); its mean is MRR.
- ``ndcg_at_k``: DCG with gain 1 and discount 1/log2(rank + 1), divided by the DCG of the ideal ranking.
- ``average_precision``: mean over relevant items of the precision at the rank where each is found (items not
  found contribute 0), optionally cut at k; its mean is MAP.

Answer metrics:

- citation precision: share of an answer's citations ([n] markers) that point to a gold paper;
  undefined (None) for an answer without citations.
- citation recall: share of gold papers cited at least once (0 for an answer without citations).
- answer correctness: every required fact appears in the answer text, compared case-insensitively after
  collapsing whitespace and dropping Markdown emphasis (``*``, `````) and quote-mark variants.
- refusal accuracy: share of questions where ``refused`` equals "the papers do not answer this".
- statement support: share of answer statements whose citations support them (see ``statement_support``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np

_EMPHASIS = re.compile(r"[*`]")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "\u00a0": " "})


# -- ranking ---------------------------------------------------------------------------------------------


def dedupe(ranked: Iterable[str]) -> list[str]:
    """First occurrence of each id, in order: a paper's rank is the rank of its best chunk."""
    seen: set[str] = set()
    out: list[str] = []
    for item in ranked:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    if not relevant:
        raise ValueError("recall needs at least one relevant item")
    return len(set(ranked[:k]) & relevant) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: set[str], k: int | None = None) -> float:
    for rank, item in enumerate(ranked[:k] if k else ranked, 1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    if not relevant:
        raise ValueError("nDCG needs at least one relevant item")
    dcg = sum(1.0 / math.log2(rank + 1) for rank, item in enumerate(ranked[:k], 1) if item in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def average_precision(ranked: Sequence[str], relevant: set[str], k: int | None = None) -> float:
    if not relevant:
        raise ValueError("average precision needs at least one relevant item")
    hits = 0
    total = 0.0
    for rank, item in enumerate(ranked[:k] if k else ranked, 1):
        if item in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def ranking_metrics(ranked: Sequence[str], relevant: set[str], ks: Sequence[int] = (1, 5, 10, 100)) -> dict[str, float]:
    """Recall@k for each k, MRR (mrr@10), nDCG@10 and MAP (map@100) of one ranking."""
    out = {f"recall@{k}": recall_at_k(ranked, relevant, k) for k in ks}
    out["mrr@10"] = reciprocal_rank(ranked, relevant, 10)
    out["ndcg@10"] = ndcg_at_k(ranked, relevant, 10)
    out["map"] = average_precision(ranked, relevant, 100)
    return out


# -- answers ---------------------------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    return " ".join(_EMPHASIS.sub("", text.translate(_QUOTES)).casefold().split())


def facts_found(answer: str, facts: Sequence[str]) -> list[bool]:
    norm = normalize_text(answer)
    return [normalize_text(fact) in norm for fact in facts]


def answer_correct(answer: str, facts: Sequence[str]) -> bool:
    """All required facts present (vacuously true without facts)."""
    return all(facts_found(answer, facts))


def citation_precision(cited_ids: Sequence[str], gold: set[str]) -> float | None:
    """``cited_ids`` has one entry per citation marker (a paper cited twice counts twice)."""
    if not cited_ids:
        return None
    return sum(1 for pid in cited_ids if pid in gold) / len(cited_ids)


def citation_recall(cited_ids: Sequence[str], gold: set[str]) -> float | None:
    if not gold:
        return None
    return len(set(cited_ids) & gold) / len(gold)


def refusal_accuracy(pairs: Iterable[tuple[bool, bool]]) -> float:
    """``pairs`` of (refused, answerable): correct when it refused exactly the unanswerable ones."""
    pairs = list(pairs)
    if not pairs:
        raise ValueError("refusal accuracy needs at least one question")
    return sum(1 for refused, answerable in pairs if refused != answerable) / len(pairs)


def extractive_support(
    quotes: Sequence[tuple[str, int, str]], sentences_of: dict[str, list[str]], answer_text: str | None = None
) -> float | None:
    """Share of citations ``(paper_id, sentence_index, quote)`` whose quote is the cited sentence, verbatim
    (and, given ``answer_text``, is shown in the answer verbatim too)."""
    if not quotes:
        return None
    ok = 0
    for paper_id, index, quote in quotes:
        sentences = sentences_of.get(paper_id) or []
        verbatim = 0 <= index < len(sentences) and sentences[index] == quote
        shown = answer_text is None or quote in answer_text
        ok += int(verbatim and shown)
    return ok / len(quotes)


def generative_support(supported: Sequence[bool]) -> float | None:
    """Share of the model's statements the verifier found supported by their citations (before dropping)."""
    if not supported:
        return None
    return sum(1 for s in supported if s) / len(supported)


# -- aggregation ------------------------------------------------------------------------------------------


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the defined values; None when there are none."""
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def percentiles(values: Sequence[float], qs: Sequence[int] = (50, 95)) -> dict[str, float | None]:
    """p50/p95 (linear interpolation, as numpy)."""
    if not values:
        return {f"p{q}": None for q in qs}
    arr = np.asarray(values, dtype=float)
    return {f"p{q}": float(np.percentile(arr, q)) for q in qs}
