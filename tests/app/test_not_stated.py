"""Saying exactly what the papers do not state, and answering what they do (issue #13's examples, extractive)."""

from __future__ import annotations

import pytest

from citewise.app.assistant import Assistant


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("What license is TokenSelect released under?", "The TokenSelect abstract does not state a license."),
        ("How many GPUs did P/D-Serve use in its largest deployment?", "The P/D-Serve abstract does not state a device count."),
        ("What accuracy does CacheGen reach on MMLU?", "The CacheGen abstract does not mention MMLU."),
        ("What COCO detection mAP does MnasNet get?", "The MnasNet abstract does not state a mAP figure."),
        ("What's the TTFT in milliseconds that LAPS achieves?", "The LAPS abstract does not state a figure in milliseconds."),
        # the abstract's 10^4 GPU hours are conventional NAS's, not ProxylessNAS's own
        ("How many GPU hours did ProxylessNAS need for its search?", "The ProxylessNAS abstract does not state a figure in hours."),
        ("What success rate in percent does QuantVLA get on LIBERO?", "The QuantVLA abstract does not state a figure for the success rate on LIBERO."),
        ("Does semi-PD outperform DistServe?", "The semi-PD abstract does not state a comparison with DistServe."),
        ("How many FLOPs does MnasNet's best model need?", "The MnasNet abstract does not state a FLOPs figure."),
    ],
)
def test_a_detail_the_abstract_does_not_give_is_named_and_refused(assistant: Assistant, question: str, says: str) -> None:
    answer = assistant.ask(question)
    assert answer.refused and answer.answer.startswith(says), answer.answer
    assert "context, not an answer" in answer.answer and len(answer.citations) <= 1  # nearby text, labelled


@pytest.mark.parametrize(
    "question",
    ["Which papers disaggregate prefill and decoding, and what gains do they report?", "What gains do disaggregated serving systems report?"],
)
def test_questions_about_reported_gains_are_answered_from_the_right_papers(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert not answer.refused, answer.answer
    cited = {c.title.split(":")[0] for c in answer.citations}
    assert {"DistServe", "P/D-Serve"} <= cited, cited


def test_metadata_questions_are_answered_from_the_listing(assistant: Assistant) -> None:
    top = assistant.ask("Which 2025 paper has the most upvotes?")
    assert not top.refused and len(top.rows) == 1 and top.citations[0].kind == "listing"
    assert top.rows[0].date is not None and top.rows[0].date.year == 2025
    nvidia = assistant.ask("Which papers are from NVIDIA?")
    assert nvidia.rows and all(row.organization == "NVIDIA" for row in nvidia.rows)
    assert all(c.kind == "listing" for c in nvidia.citations)
