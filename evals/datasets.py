"""Evaluation data: the bundled seed question set, and retrieval benchmarks in SciFact or BEIR layout.

Seed set (``evals/datasets/seed_qa.jsonl``), one question per line::

    {"id", "kind", "question", "gold_titles": [exact titles], "required_facts": [str], "answerable": bool,
     "history": [earlier questions, for follow-ups]}

Gold titles are resolved to paper ids through the index being evaluated; a title the index does not hold is an
error (the set and the index disagree), never a silent zero.

Benchmarks (``load_benchmark``), the corpus being read by the normal ingest (paper id = ``doc_id`` / ``_id``):

- SciFact: ``corpus.jsonl`` + ``claims_<split>.jsonl`` (``cited_doc_ids`` are the relevance judgements;
  ``evidence`` gives the rationale sentence indices per document).
- BEIR: ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl`` (``_id``, ``text``) and
  ``qrels/<split>.tsv`` (``query-id``, ``corpus-id``, ``score``; score > 0 is relevant).
"""

from __future__ import annotations

import csv
import difflib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from citewise.errors import CitewiseError

Kind = Literal[
    "figure", "identify", "list", "comparison", "method", "date_scoped", "unanswerable", "followup", "metadata", "compound"
]
Split = Literal["dev", "test"]
# Question sets that ship with Citewise, by name. "heldout" was written by someone who had not read the code, as new
# users ask; tune on its dev split only and report its test split.
BUNDLED_SETS = {"seed": "seed_qa.jsonl", "heldout": "heldout_qa.jsonl"}


def bundled_seed_path(name: str = "seed") -> Path:
    return Path(str(resources.files("citewise.evals") / "datasets" / BUNDLED_SETS[name]))


def dataset_path(dataset: Path | str | None) -> Path:
    """A bundled set's name ("seed", "heldout") or a path to a question file; None is the seed set."""
    if dataset is None or str(dataset) in BUNDLED_SETS:
        return bundled_seed_path(str(dataset or "seed"))
    return Path(dataset)


class SeedQuestion(BaseModel):
    id: str
    kind: Kind
    question: str
    gold_titles: list[str] = Field(default_factory=list)
    required_facts: list[str] = Field(default_factory=list)
    answerable: bool = True
    history: list[str] = Field(default_factory=list)
    split: Split | None = Field(None, description="dev (tune on it) or test (report it); None in sets without splits.")
    gold_ids: list[str] = Field(default_factory=list, description="Filled by resolve_gold from the index.")


def _jsonl(path: Path) -> list[tuple[int, dict]]:
    if not path.is_file():
        raise CitewiseError(f"{path} not found.")
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    rows.append((number, json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise CitewiseError(f"{path} line {number}: invalid JSON ({exc.msg}).") from None
    return rows


def load_seed(dataset: Path | str | None = None, split: Split | None = None) -> list[SeedQuestion]:
    """Questions of a set (a bundled name or a path), only ``split``'s when given."""
    path = dataset_path(dataset)
    questions = []
    for number, row in _jsonl(path):
        try:
            questions.append(SeedQuestion.model_validate(row))
        except ValueError as exc:
            first = " ".join(str(exc).splitlines()[1:3]).strip()
            raise CitewiseError(f"{path} line {number}: {first}") from None
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise CitewiseError(f"{path}: question ids repeat ({sorted({i for i in ids if ids.count(i) > 1})[:3]}).")
    if split:
        questions = [q for q in questions if q.split == split]
        if not questions:
            raise CitewiseError(f"{path} has no questions in split '{split}'; use --split dev or test, or leave it out.")
    return questions


def _norm_title(title: str) -> str:
    return " ".join(title.casefold().split())


def resolve_gold(questions: list[SeedQuestion], titles_to_ids: dict[str, str]) -> list[SeedQuestion]:
    """Set ``gold_ids`` from ``gold_titles`` (exact title, else equal up to case and spacing).

    Raises CitewiseError naming every title the index does not hold, with the nearest indexed title."""
    normalised = {_norm_title(t): pid for t, pid in titles_to_ids.items()}
    missing: list[str] = []
    for q in questions:
        ids = []
        for title in q.gold_titles:
            pid = titles_to_ids.get(title) or normalised.get(_norm_title(title))
            if pid is None:
                near = difflib.get_close_matches(title, list(titles_to_ids), n=1, cutoff=0.6)
                hint = f" (nearest indexed title: '{near[0]}')" if near else ""
                missing.append(f"{q.id}: '{title}'{hint}")
            else:
                ids.append(pid)
        q.gold_ids = ids
    if missing:
        shown = "; ".join(missing[:5]) + (f"; and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise CitewiseError(
            f"{len(missing)} gold title(s) of the seed set are not in the index: {shown}. "
            "Evaluate on the index the set was written for (the bundled papers: `citewise ingest`) or fix the titles."
        )
    return questions


def titles_in_index(index) -> dict[str, str]:  # noqa: ANN001 - a PaperIndex
    return {paper.title: paper.paper_id for paper in index.store.iter_papers()}


# -- retrieval benchmarks -------------------------------------------------------------------------------


@dataclass
class BenchmarkQuery:
    id: str
    text: str
    relevant: set[str]
    evidence: dict[str, set[int]] = field(default_factory=dict)  # paper id -> gold rationale sentence indices


@dataclass
class Benchmark:
    name: str
    layout: Literal["scifact", "beir"]
    split: str
    corpus: Path
    queries: list[BenchmarkQuery]


def load_scifact(folder: Path, split: str) -> Benchmark:
    folder = Path(folder)
    corpus = folder / "corpus.jsonl"
    claims = folder / f"claims_{split}.jsonl"
    if not corpus.is_file():
        raise CitewiseError(f"{corpus} not found (SciFact layout: corpus.jsonl + claims_<split>.jsonl).")
    queries = []
    for number, row in _jsonl(claims):
        try:
            relevant = {str(d) for d in row.get("cited_doc_ids") or []}
            evidence: dict[str, set[int]] = {}
            for doc_id, sets in (row.get("evidence") or {}).items():
                evidence[str(doc_id)] = {int(i) for s in sets for i in s.get("sentences", [])}
            queries.append(BenchmarkQuery(id=str(row["id"]), text=str(row["claim"]), relevant=relevant, evidence=evidence))
        except (KeyError, TypeError, ValueError) as exc:
            raise CitewiseError(f"{claims} line {number}: not a SciFact claim ({type(exc).__name__}: {exc}).") from None
    queries = [q for q in queries if q.relevant]
    if not queries:
        raise CitewiseError(f"{claims} holds no claim with cited documents.")
    return Benchmark(name=folder.name, layout="scifact", split=split, corpus=corpus, queries=queries)


def load_beir(folder: Path, split: str) -> Benchmark:
    """Like BEIR's GenericDataLoader: queries that have at least one judgement with score > 0 in the split."""
    folder = Path(folder)
    corpus, queries_path, qrels_path = folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / f"{split}.tsv"
    for path in (corpus, queries_path, qrels_path):
        if not path.is_file():
            raise CitewiseError(f"{path} not found (BEIR layout: corpus.jsonl, queries.jsonl, qrels/<split>.tsv).")
    relevant: dict[str, set[str]] = {}
    with qrels_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        for number, row in enumerate(reader, 1):
            if not row or (number == 1 and row[0].strip().lower() in {"query-id", "query_id", "qid"}):
                continue
            if len(row) < 3:
                raise CitewiseError(f"{qrels_path} line {number}: expected query-id, corpus-id, score.")
            try:
                score = float(row[2])
            except ValueError:
                raise CitewiseError(f"{qrels_path} line {number}: score '{row[2]}' is not a number.") from None
            if score > 0:
                relevant.setdefault(row[0].strip(), set()).add(row[1].strip())
    texts = {str(row.get("_id")): str(row.get("text") or "") for _, row in _jsonl(queries_path)}
    missing = sorted(set(relevant) - set(texts))
    if missing:
        raise CitewiseError(f"{qrels_path} judges queries not in queries.jsonl (e.g. {missing[0]}).")
    queries = [BenchmarkQuery(id=qid, text=texts[qid], relevant=rel) for qid, rel in relevant.items()]
    if not queries:
        raise CitewiseError(f"{qrels_path} has no relevance judgements with score > 0.")
    return Benchmark(name=folder.name, layout="beir", split=split, corpus=corpus, queries=queries)


def load_benchmark(folder: Path, split: str) -> Benchmark:
    folder = Path(folder)
    if (folder / f"claims_{split}.jsonl").is_file():
        return load_scifact(folder, split)
    if (folder / "queries.jsonl").is_file():
        return load_beir(folder, split)
    raise CitewiseError(
        f"{folder} is neither SciFact layout (claims_{split}.jsonl) nor BEIR layout (queries.jsonl, qrels/{split}.tsv)."
    )
