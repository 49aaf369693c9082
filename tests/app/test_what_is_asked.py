"""What a question asks for, and saying so when the papers do not state it (issue #13): the measured quantity of a
figure question, the benchmark it is asked on, head-to-head results, parts that only continue an unstated one,
topics the collection does not hold, and counts of papers."""

from __future__ import annotations

from datetime import date

import pytest

from citewise.app.assistant import Assistant
from citewise.app.catalog import parse_catalog
from citewise.app.focus import question_focus, question_names
from citewise.app.understanding import filters_from_question


@pytest.mark.parametrize(
    ("question", "label"),
    [
        ("How many FLOPs does the model need?", "a FLOPs figure"),
        ("By what percentage does the streaming scheme reduce bitrate?", "a figure for the bitrate"),
        ("What is the longest context length it was evaluated at?", "a figure for the context length"),
        ("how many tokens per second does it generate?", "a figure in tokens per second"),
        ("How many GPU hours did the search take?", "a figure in hours"),
        ("What WER does it get on the Voice Search test set?", "an error rate on Voice Search"),
        ("what kind of devices (laptops, phones)?", "the kind of device"),
        ("how much memory does it need for a 70B model?", "a figure for the memory"),
        ("How long did the training take?", "a figure in time"),
    ],
)
def test_the_quantity_a_figure_question_measures_is_its_focus(question: str, label: str) -> None:
    focus = question_focus(question)
    assert focus is not None and focus.label == label


@pytest.mark.parametrize(
    "question",
    ["What speedup does it report?", "How much faster is it?", "What gains do they report?", "How much tighter SLOs can it meet?"],
)
def test_generic_gains_have_no_focus_to_hold_papers_to(question: str) -> None:
    assert question_focus(question) is None


def test_a_count_is_asked_of_papers_only() -> None:
    assert parse_catalog("How many papers are about speculative decoding?", [], False).count
    assert parse_catalog("How many of the 2025 papers received at least one upvote?", [], False).upvotes.value == 1
    in_paper = "In the paper on private inference, how many gigabytes of storage does the client need?"
    assert parse_catalog(in_paper, [], False) is None


def test_model_families_are_names_and_like_is_no_upvote() -> None:
    assert question_names("which papers use Qwen models?") == ["Qwen"]
    assert question_names("Which papers run experiments with LLaMA-family models?") == ["LLaMA"]
    assert parse_catalog("Which model is behind it, GPT-4o or an open model like Qwen-VL?", [], True) is None


def test_halves_and_month_ranges_are_dates() -> None:
    second = filters_from_question("papers posted in the second half of 2025")
    assert (second.since, second.until) == (date(2025, 7, 1), date(2025, 12, 31))
    spring = filters_from_question("papers from March through May 2024")
    assert (spring.since, spring.until) == (date(2024, 3, 1), date(2024, 5, 31))


def test_a_part_that_only_continues_an_unstated_one_is_unstated_too(assistant: Assistant) -> None:
    answer = assistant.ask("What success rate does QuantVLA reach on LIBERO, and how does that compare to full precision?")
    assert answer.refused, answer.answer
    assert answer.decision.parts[1].reason.startswith("it continues a part")


def test_a_topic_the_collection_does_not_hold_is_refused_naming_it(assistant: Assistant) -> None:
    answer = assistant.ask("Is there anything here on silicon photonics for optical neural network inference?")
    assert answer.refused and answer.answer.startswith("None of the indexed papers mentions"), answer.answer
    assert "photonics" in answer.answer


def test_a_count_of_no_papers_is_an_answer(assistant: Assistant) -> None:
    answer = assistant.ask("How many papers in the collection are about speculative decoding?")
    assert not answer.refused and answer.answer.startswith("**0**"), answer.answer


def test_which_papers_use_a_model_family_quotes_each_papers_mention(assistant: Assistant) -> None:
    answer = assistant.ask("Which papers run experiments with Qwen models?")
    assert not answer.refused and answer.decision.signals.parts[0].from_mentions
    assert len(answer.citations) >= 2 and all("Qwen" in c.quote for c in answer.citations)


def test_it_after_a_listing_part_is_the_paper_that_part_found(assistant: Assistant) -> None:
    answer = assistant.ask("Which 2025 paper has the most upvotes, and how much does it cut the bandwidth it needs?")
    assert not answer.refused and answer.decision.signals.parts[1].refers_to_earlier_answer
    top = answer.rows[0].paper_id
    assert {c.paper_id for c in answer.citations} == {top}
    assert "orders of magnitude" in answer.answer  # a figure in words leads like one in digits


def test_which_paper_answers_with_the_one_that_uses_the_questions_names(assistant: Assistant) -> None:
    answer = assistant.ask("Which paper built its disaggregated serving system on Ascend and MindSpore?")
    assert not answer.refused and {c.title.split(":")[0] for c in answer.citations} == {"P/D-Serve"}, answer.answer


def test_bounds_and_ways_of_naming_authors_are_read() -> None:
    oldest_upvoted = parse_catalog("What's the oldest paper in the list that has received at least one upvote?", [], False)
    assert (oldest_upvoted.sort_by, oldest_upvoted.descending, oldest_upvoted.upvotes.value) == ("published", False, 1)
    assert parse_catalog("which one was written by the fewest people?", [], False).sort_by == "authors"
    team = parse_catalog("how many papers were written by a team of exactly four people?", [], False)
    assert team.count and (team.authors.op, team.authors.value) == ("==", 4)
    assert parse_catalog("By how much does it reduce the average end-to-end latency?", [], True) is None
    across_years = filters_from_question("How many papers were published from July 2024 through June 2025, inclusive?")
    assert (across_years.since, across_years.until) == (date(2024, 7, 1), date(2025, 6, 30))
    together = filters_from_question("Taking 2025 and 2026 together, how many papers are there?")
    assert (together.since, together.until) == (date(2025, 1, 1), date(2026, 12, 31))


def test_totals_and_the_busiest_month_are_computed_from_the_listing(assistant: Assistant) -> None:
    papers = assistant.index.store.all_papers()
    of_2024 = [p for p in papers if p.published and p.published.year == 2024]
    total = assistant.ask("What's the combined upvote count for everything published in 2024?")
    assert not total.refused and f"**{sum(p.upvotes or 0 for p in of_2024)}** upvotes in total" in total.answer, total.answer
    assert {r.paper_id for r in total.rows} == {p.paper_id for p in of_2024}
    per_month: dict[str, int] = {}
    for p in papers:
        if p.published:
            per_month[p.published.strftime("%B %Y")] = per_month.get(p.published.strftime("%B %Y"), 0) + 1
    busiest = max(per_month, key=per_month.get)
    answer = assistant.ask("Which month had the most papers?")
    assert answer.answer.startswith(f"**{busiest}** has the most papers ({per_month[busiest]} papers)"), answer.answer
    assert len(answer.citations) == per_month[busiest] and all(c.kind == "listing" for c in answer.citations)
