"""Answers from a configured endpoint, through the real openai backend: the same verdicts whatever way the server
cuts its stream, and "the sources do not answer this" is a refusal with the nearest papers.

The endpoint is the evaluation's replay server on 127.0.0.1 (an OpenAI-compatible server that streams a given
text); the llama.cpp server tests in test_llm_backends.py cover a real model."""

from __future__ import annotations

import pytest

from citewise.app.assistant import Assistant
from citewise.evals.recorded import RecordedAnswer, RecordedSentence, prompt_key
from citewise.evals.replay_server import CHUNKINGS, ReplayServer, chunk_text
from citewise.settings import LLMSettings

QUESTION = "How does DistServe work?"


@pytest.fixture(scope="module")
def distserve_prompt(assistant: Assistant) -> tuple[str, list[str]]:
    """The prompt key and the numbered source sentences the model would see."""
    gathered = assistant.gather(assistant.understand(QUESTION))
    return prompt_key(assistant.prompt(gathered)), [e.sentence for e in assistant.model_sources(gathered)]


def _answer(key: str, variant: str, *sentences: str) -> RecordedAnswer:
    return RecordedAnswer(key=key, variant=variant, sentences=[RecordedSentence(text=s) for s in sentences])  # type: ignore[arg-type]


def _n(sources: list[str], text: str) -> int:
    return next(i for i, s in enumerate(sources, 1) if text in s)


def test_pieces_concatenate_back_to_the_text() -> None:
    text = "DistServe splits the phases [2]. It serves 4.48x more requests [3][5].  "
    for chunking in CHUNKINGS:
        assert "".join(chunk_text(text, chunking)) == text, chunking
    assert " [" not in chunk_text(text, "split_markers") and "[" in chunk_text(text, "split_markers")


def test_every_chunking_gives_the_same_verified_answer(assistant: Assistant, distserve_prompt) -> None:
    """Servers put the space before a word (" can") or after it ("can "), and split markers ("[", "2]"): a trailing
    space once glued words together ("DistServecanserve") and failed every sentence."""
    key, sources = distserve_prompt
    different, requests = _n(sources, "different GPUs"), _n(sources, "4.48x") if any("4.48x" in s for s in sources) else None
    sentences = [f"DistServe assigns prefill and decoding computation to different GPUs [{different}]."]
    sentences.append(f"It can serve 4.48x more requests than state-of-the-art systems [{requests}]." if requests else
                     f"This eliminates prefill-decoding interferences [{different}].")
    with ReplayServer([_answer(key, "faithful", *sentences)]) as server:
        answers = {
            chunking: assistant.ask(QUESTION, backend="openai", llm=LLMSettings(base_url=server.base_url, model=f"faithful@{chunking}"))
            for chunking in CHUNKINGS
        }
    verdicts = {c: [(s.text, s.supported) for s in a.statements] for c, a in answers.items()}
    assert all(v == verdicts["whole"] for v in verdicts.values()), verdicts
    assert [supported for _, supported in verdicts["whole"]] == [True, True], answers["whole"].statements
    assert len({a.answer for a in answers.values()}) == 1 and "DistServe assigns" in answers["whole"].answer


def test_a_model_saying_the_sources_do_not_answer_gets_the_users_refusal(assistant: Assistant, distserve_prompt) -> None:
    key, _ = distserve_prompt
    with ReplayServer([_answer(key, "declines", "The sources do not answer this.")]) as server:
        answer = assistant.ask(QUESTION, backend="openai", llm=LLMSettings(base_url=server.base_url, model="declines"))
    assert answer.refused and answer.nearest_papers and answer.citations == []
    assert "do not appear to answer" in answer.answer
    assert any("sources do not answer" in note for note in answer.notes)
    assert answer.public_payload()["statements"] == [
        {"supported": False, "score": 0.0, "reason": "says the sources do not answer", "text": None}
    ]
