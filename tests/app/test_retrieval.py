"""Retrieval ranks papers: one answer's question gets its best paper's chunks first, a "which papers" question a
spread of papers; indexes written before papers had their own BM25 index still answer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from citewise.app.assistant import Assistant
from citewise.index.lexical import PAPER_LEXICAL_DIR
from citewise.index.manifest import MANIFEST_NAME
from citewise.index.versions import current_version_dir
from citewise.settings import load_settings


def test_a_single_answer_question_gets_papers_in_rank_order(assistant: Assistant) -> None:
    question = assistant.understand("What does DistServe assign to different GPUs?")
    hits = assistant.retrieve(question)
    assert hits[0].paper.title.startswith("DistServe")
    papers = list(dict.fromkeys(h.paper.paper_id for h in hits))
    first_seen = [next(i for i, h in enumerate(hits) if h.paper.paper_id == p) for p in papers]
    last_seen = [max(i for i, h in enumerate(hits) if h.paper.paper_id == p) for p in papers]
    assert all(last < nxt for last, nxt in zip(last_seen, first_seen[1:])), "a paper's chunks come together"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_which_papers_question_is_spread_across_papers(assistant: Assistant) -> None:
    question = assistant.understand("Which papers propose speculative decoding methods?")
    assert question.kind == "which_papers"
    hits = assistant.retrieve(question)
    per_paper = {}
    for h in hits:
        per_paper[h.paper.paper_id] = per_paper.get(h.paper.paper_id, 0) + 1
    assert len(per_paper) >= 3
    assert max(per_paper.values()) <= assistant.settings.retrieval.max_chunks_per_paper


def test_an_index_without_paper_bm25_still_answers(bundled_index_copy: Path) -> None:
    """Versions written before the paper-level BM25 index existed rank with the chunk lists alone."""
    version = current_version_dir(bundled_index_copy)
    shutil.rmtree(version / PAPER_LEXICAL_DIR)
    manifest = json.loads((version / MANIFEST_NAME).read_text(encoding="utf-8"))
    manifest["files"] = {k: v for k, v in manifest["files"].items() if not k.startswith(PAPER_LEXICAL_DIR + "/")}
    (version / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    old = Assistant(settings=load_settings(index_dir=bundled_index_copy))
    assert old.index.paper_lexical is None
    answer = old.ask("What does DistServe assign to different GPUs?")
    assert not answer.refused and answer.citations[0].title.startswith("DistServe")
