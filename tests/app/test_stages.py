"""The staged engine: each stage callable alone, chaining them is what `ask` does, and every answer says what
produced it and why it was answered or refused."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from citewise.app.answerability import decide
from citewise.app.assistant import Assistant
from citewise.cli import cli


def test_stages_called_one_by_one_give_the_answer_ask_gives(assistant: Assistant) -> None:
    question = assistant.understand("What speedup in attention computation does TokenSelect report?")
    assert [assistant.index.store.paper_at(row).title.split(":")[0] for row in question.named_paper_rows] == ["TokenSelect"]
    gathered = assistant.gather(question)
    assert gathered.hits and gathered.ranked and gathered.signals.names_top_paper
    decision = assistant.decide(gathered)
    assert decision.answerable and decision == decide(gathered.signals, assistant.settings.answer)
    text, citations, _ = assistant.write_extractive(gathered, decision)
    answer = assistant.ask("What speedup in attention computation does TokenSelect report?")
    assert (answer.answer, answer.citations) == (text, citations)
    assert "23.84x" in text


def test_follow_up_is_understood_with_the_question_it_follows(assistant: Assistant) -> None:
    question = assistant.understand("How much faster is its attention?", history=[("What does TokenSelect select?", "…")])
    assert question.search_query.startswith("What does TokenSelect select?")
    assert question.named_paper_rows


def test_words_and_flags_become_filters(assistant: Assistant) -> None:
    from datetime import date

    question = assistant.understand("Which papers from 2021 reduce latency?", min_upvotes=1)
    assert (question.filters.since, question.filters.until, question.filters.min_upvotes) == (date(2021, 1, 1), date(2021, 12, 31), 1)


def test_refusal_is_the_pure_decision_of_the_signals(assistant: Assistant) -> None:
    gathered = assistant.gather(assistant.understand("What is the boiling point of liquid nitrogen at sea level?"))
    decision = assistant.decide(gathered)
    assert not decision.answerable and decision.signals == gathered.signals
    lenient = assistant.settings.answer.model_copy(update={"min_evidence_score": -1.0})
    assert decide(gathered.signals, lenient).answerable  # the same signals under other settings
    answer = assistant.ask("What is the boiling point of liquid nitrogen at sea level?")
    assert answer.refused and answer.decision == decision


def test_answers_record_what_produced_them(assistant: Assistant) -> None:
    answer = assistant.ask("How does DistServe work?")
    provenance = answer.provenance
    assert provenance is not None
    assert provenance.index_version == assistant.index.manifest.version
    assert provenance.encoder_id == assistant.settings.embedding.encoder_id == assistant.index.manifest.encoder_id
    assert provenance.settings_hash == assistant.settings.results_hash()
    assert provenance.backend == "extractive" and provenance.model is None
    other = assistant.settings.model_copy(update={"retrieval": assistant.settings.retrieval.model_copy(update={"top_k": 9})})
    assert other.results_hash() != provenance.settings_hash


def test_json_answer_carries_provenance_and_decision(bundled_index_dir) -> None:
    result = CliRunner().invoke(cli, ["ask", "What is PARO?", "--json", "--index-dir", str(bundled_index_dir)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["provenance"]["backend"] == "extractive" and payload["provenance"]["index_version"].startswith("v")
    assert payload["decision"]["answerable"] is True and "signals" in payload["decision"]
