"""Whatever a user (or an API client) sends as a question — empty, enormous, control characters, unpaired
surrogates from a JSON escape — the Assistant answers or says what is wrong in one line; it never raises anything
else. Extends test_answers.py's fixed cases with generated ones."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citewise.app.assistant import Assistant
from citewise.app.understanding import MAX_QUESTION_CHARS
from citewise.errors import CitewiseError
from tests.figures import record

noise = st.characters(exclude_categories=())  # every code point: controls, format characters, unpaired surrogates
question = st.one_of(
    st.text(noise, max_size=80),
    st.text(st.sampled_from("\x00\x07\x1b\t\r\n \u200b\u202e\ud800\udfff\x85"), max_size=40),  # nothing visible
    st.tuples(st.text(noise, max_size=20), st.sampled_from(["How does DistServe work?", "What does TokenSelect select?"]))
    .map(lambda pair: pair[0] + pair[1] + pair[0]),  # a real question wrapped in noise
    st.integers(MAX_QUESTION_CHARS + 1, 200_000).map(lambda n: "speculative decoding " * (n // 21 + 1)),
)


@pytest.fixture(scope="module")
def outcomes():
    counts: Counter = Counter()
    yield counts
    record("inputs", {"questions (Assistant.ask)": dict(counts)})


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=question)
def test_any_question_is_answered_or_refused_in_one_line(assistant: Assistant, outcomes: Counter, text: str) -> None:
    outcomes["examples"] += 1
    try:
        answer = assistant.ask(text)
    except CitewiseError as exc:
        message = str(exc)
        assert message and "\n" not in message
        assert "question" in message.lower()  # it says what was wrong with what the user sent
        outcomes["refused with a one-line error"] += 1
        return
    assert answer.answer.strip()
    assert answer.refused or answer.citations
    outcomes["answered" if not answer.refused else "answered: the papers do not say (nearest listed)"] += 1
