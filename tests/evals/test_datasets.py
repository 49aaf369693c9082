"""The seed-set loader: schema validation and resolving gold titles to the index's paper ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from citewise.errors import CitewiseError
from citewise.evals.datasets import bundled_seed_path, load_seed, resolve_gold

ROW = {"id": "q1", "kind": "figure", "question": "What speedup does PAROAttention report?",
       "gold_titles": ["PAROAttention: Pattern-Aware ReOrdering"], "required_facts": ["2.7x"], "answerable": True, "history": []}


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_bundled_seed_set_loads():
    questions = load_seed(bundled_seed_path())
    assert len(questions) >= 20
    assert {q.kind for q in questions} >= {"figure", "unanswerable", "followup"}
    assert all(q.gold_titles for q in questions if q.answerable)
    assert all(q.history for q in questions if q.kind == "followup")


def test_seed_schema_is_checked(tmp_path: Path):
    assert load_seed(_write(tmp_path / "ok.jsonl", [ROW]))[0].required_facts == ["2.7x"]
    with pytest.raises(CitewiseError, match="line 1"):
        load_seed(_write(tmp_path / "bad.jsonl", [{**ROW, "kind": "riddle"}]))
    with pytest.raises(CitewiseError, match="repeat"):
        load_seed(_write(tmp_path / "dup.jsonl", [ROW, ROW]))
    with pytest.raises(CitewiseError, match="not found"):
        load_seed(tmp_path / "missing.jsonl")


def test_gold_titles_resolve_exactly_or_up_to_case_and_space(tmp_path: Path):
    titles = {"PAROAttention: Pattern-Aware ReOrdering": "paro", "DistServe: Disaggregating Prefill": "distserve"}
    q = load_seed(_write(tmp_path / "s.jsonl", [ROW, {**ROW, "id": "q2", "gold_titles": ["distserve:  disaggregating prefill"]}]))
    resolve_gold(q, titles)
    assert [x.gold_ids for x in q] == [["paro"], ["distserve"]]


def test_unknown_gold_title_fails_clearly(tmp_path: Path):
    titles = {"PAROAttention: Pattern-Aware ReOrdering": "paro"}
    q = load_seed(_write(tmp_path / "s.jsonl", [{**ROW, "gold_titles": ["PAROAttention: Pattern Aware Reordering!"]}]))
    with pytest.raises(CitewiseError) as info:
        resolve_gold(q, titles)
    message = str(info.value)
    assert "q1" in message and "not in the index" in message
    assert "nearest indexed title: 'PAROAttention: Pattern-Aware ReOrdering'" in message
