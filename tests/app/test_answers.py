"""The answering engine as users rely on it: right papers, exact quotes, refusals, filters, safety."""

from __future__ import annotations

import re
from datetime import date

import pytest

from citewise.app.assistant import Assistant
from citewise.app.answers import Answer
from citewise.errors import CitewiseError


def cited_titles(answer: Answer) -> list[str]:
    return [c.title for c in answer.citations]


def assert_citations_are_checkable(assistant: Assistant, answer: Answer) -> None:
    """Every [n] in the text has a citation, and every quote is a verbatim sentence of the cited paper."""
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.marker for c in answer.citations}
    for citation in answer.citations:
        paper = assistant.index.store.paper(citation.paper_id)
        assert paper is not None and paper.title == citation.title
        assert paper.sentences[citation.sentence_index] == citation.quote
        assert 0.0 <= citation.score <= 1.0


@pytest.mark.parametrize(
    ("question", "title_start"),
    [
        ("How does DistServe work?", "DistServe"),
        ("How does FlashInfer handle KV-cache storage heterogeneity?", "FlashInfer"),
        ("How does TokenSelect decide which KV cache tokens to use?", "TokenSelect"),
        ("What is PARO?", "PAROAttention"),
        ("What does IC-Cache do?", "IC-Cache"),
        ("How does LAPS schedule prefills?", "LAPS"),
    ],
)
def test_named_system_questions_cite_the_named_paper(assistant: Assistant, question: str, title_start: str) -> None:
    answer = assistant.ask(question)
    assert not answer.refused
    assert answer.citations
    assert all(t.startswith(title_start) for t in cited_titles(answer)), cited_titles(answer)
    assert_citations_are_checkable(assistant, answer)


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        ("What end-to-end latency speedup does PAROAttention achieve?", "2.7x"),
        ("How much does Cache-Craft reduce redundant computation compared to prefix-caching?", "51%"),
        ("What attention speedup does TokenSelect report?", "23.84x"),
    ],
)
def test_number_questions_quote_the_figure(assistant: Assistant, question: str, figure: str) -> None:
    answer = assistant.ask(question)
    assert figure in answer.answer
    assert any(figure in c.quote for c in answer.citations)


def test_which_papers_question_cites_several_papers(assistant: Assistant) -> None:
    answer = assistant.ask("Which papers reduce the latency of streaming speech recognition?")
    papers = {c.paper_id for c in answer.citations}
    assert len(papers) >= 2
    titles = " ".join(cited_titles(answer))
    assert "FastEmit" in titles and "Moonshine" in titles
    assert_citations_are_checkable(assistant, answer)


@pytest.mark.parametrize(
    "question",
    ["What is the boiling point of water at sea level?", "Who won the 2018 football world cup?", "How do I bake sourdough bread?"],
)
def test_out_of_corpus_question_is_refused(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert answer.refused
    assert answer.citations == []
    assert answer.nearest_papers
    assert "do not" in answer.answer


@pytest.mark.parametrize(
    ("question", "answered"),
    [
        ("Which papers reduce KV cache memory?", True),
        ("Which papers are about speech recognition?", True),
        ("What papers discuss mixture of experts?", True),
        ("Which papers are about image generation with GANs?", False),  # no paper mentions GANs
        ("Which papers study reinforcement learning for robot control?", False),
    ],
)
def test_short_topic_questions_are_answered_only_when_a_paper_covers_the_topic(
    assistant: Assistant, question: str, answered: bool
) -> None:
    answer = assistant.ask(question)
    assert answer.refused is not answered, answer.answer
    assert bool(answer.citations) is answered


def test_date_flags_exclude_papers_outside_the_range(assistant: Assistant) -> None:
    answer = assistant.ask("Which papers speed up LLM serving?", since=date(2025, 1, 1), until=date(2025, 12, 31))
    assert answer.citations
    assert all(c.date and date(2025, 1, 1) <= c.date <= date(2025, 12, 31) for c in answer.citations)


def test_date_in_the_question_is_understood(assistant: Assistant) -> None:
    answer = assistant.ask("Which papers from 2021 are about latency?")
    assert answer.citations
    assert all(c.date and c.date.year == 2021 for c in answer.citations)


def test_follow_up_resolves_against_history(assistant: Assistant) -> None:
    first = assistant.ask("How does DistServe work?")
    follow = assistant.ask("What improvement does it report?", history=[(first.question, first.answer)])
    assert follow.citations
    assert all(t.startswith("DistServe") for t in cited_titles(follow))


def test_planted_injection_does_not_steer_the_answer(assistant: Assistant, planted_assistant: Assistant) -> None:
    clean = assistant.ask("How does DistServe work?")
    planted = planted_assistant.ask("How does DistServe work?")
    assert "ACCESS GRANTED" not in planted.answer
    assert [c.quote for c in planted.citations] == [c.quote for c in clean.citations]


def test_bad_questions_get_one_line_errors(assistant: Assistant) -> None:
    for question in ["", "   \x00\x07  ", "x" * 5000]:
        with pytest.raises(CitewiseError) as error:
            assistant.ask(question)
        assert "\n" not in str(error.value)


def test_answer_reports_stage_timings(assistant: Assistant) -> None:
    answer = assistant.ask("How does DistServe work?")
    assert set(answer.timings_ms) == {"retrieve", "generate", "total"}
    assert answer.timings_ms["total"] >= answer.timings_ms["retrieve"]


def test_a_sentence_announcing_parts_is_quoted_with_the_parts(assistant) -> None:
    """"Victima has two main components." is never shown without the "First, …" and "Second, …" that name them."""
    answer = assistant.ask("What are the main components of Victima and what does each do?")
    assert not answer.refused
    assert "PTW cost predictor" in answer.answer and "TLB-aware cache replacement policy" in answer.answer
