"""The citation verifier keeps fabricated statements, numbers and dangling markers away from users."""

from __future__ import annotations

import pytest

from citewise.app.assistant import Assistant
from citewise.app.evidence import Evidence


@pytest.fixture(scope="module")
def distserve_sources(assistant: Assistant) -> list[Evidence]:
    ranked = assistant.gather(assistant.understand("How does DistServe work?")).ranked
    sources = [e for e in ranked if e.paper.title.startswith("DistServe")][:4]
    assert any("different GPUs" in e.sentence for e in sources)
    return sources


def _number_of(sources: list[Evidence], text: str) -> int:
    return next(i for i, e in enumerate(sources, 1) if text in e.sentence)


def test_faithful_paraphrase_is_supported(assistant: Assistant, distserve_sources: list[Evidence]) -> None:
    n = _number_of(distserve_sources, "different GPUs")
    verdict = assistant.verifier.check(f"DistServe puts prefill and decoding on different GPUs [{n}].", distserve_sources)
    assert verdict.supported, verdict


def test_fabricated_sentence_is_dropped(assistant: Assistant, distserve_sources: list[Evidence]) -> None:
    n = _number_of(distserve_sources, "different GPUs")
    answer = (
        f"DistServe assigns prefill and decoding computation to different GPUs [{n}]. "
        f"DistServe was designed to run on quantum annealers in orbit [{n}]."
    )
    verified = assistant.verifier.verify(answer, distserve_sources)
    assert "quantum" not in verified.text
    assert verified.dropped == 1
    assert "different GPUs [1]." in verified.text


def test_fabricated_number_is_dropped(assistant: Assistant, distserve_sources: list[Evidence]) -> None:
    n = _number_of(distserve_sources, "different GPUs")
    verdict = assistant.verifier.check(
        f"DistServe assigns prefill and decoding computation to 12 different GPUs [{n}].", distserve_sources
    )
    assert not verdict.supported
    assert verdict.reason == "a number is not in the cited source" and verdict.detail == "12"


def test_markers_pointing_nowhere_never_reach_the_user(assistant: Assistant, distserve_sources: list[Evidence]) -> None:
    n = _number_of(distserve_sources, "different GPUs")
    answer = f"DistServe assigns prefill and decoding to different GPUs [{n}][42]. It is great."
    verified = assistant.verifier.verify(answer, distserve_sources)
    assert "[42]" not in verified.text
    assert "It is great" not in verified.text  # no citation at all
    assert [c.marker for c in verified.citations] == [1]


def test_flag_mode_marks_instead_of_dropping(assistant: Assistant, distserve_sources: list[Evidence]) -> None:
    from citewise.app.verifier import CitationVerifier

    flagging = CitationVerifier(assistant.embedder, assistant.settings.answer.support_threshold, unsupported="flag")
    n = _number_of(distserve_sources, "different GPUs")
    verified = flagging.verify(f"DistServe was designed for quantum annealers [{n}].", distserve_sources)
    assert "unverified" in verified.text


# -- the strict check: what a capable model writes passes, a subtly wrong sentence does not ---------------


def _check(assistant: Assistant, sources: list[Evidence], sentence: str):
    return assistant.verifier.check(sentence, sources, "How does DistServe work?")


def test_a_follow_on_sentence_is_read_with_the_cited_paper_as_subject(assistant: Assistant, distserve_sources: list[Evidence]) -> None:
    n = _number_of(distserve_sources, "different GPUs")
    verdict = _check(assistant, distserve_sources, f"It assigns prefill and decoding computation to different GPUs [{n}].")
    assert verdict.supported, verdict


def test_a_claim_joining_two_sentences_of_the_cited_abstract_is_supported(assistant: Assistant, distserve_sources: list[Evidence]) -> None:
    n = _number_of(distserve_sources, "co-optimizes")  # its neighbour (sentence 7) places the phases by bandwidth
    verdict = _check(
        assistant, distserve_sources,
        f"DistServe co-optimizes resource allocation and parallelism for each phase and places the phases according to the cluster's bandwidth [{n}].",
    )
    assert verdict.supported, verdict


def test_a_polarity_flip_is_caught(assistant: Assistant, distserve_sources: list[Evidence]) -> None:
    n = _number_of(distserve_sources, "different GPUs")
    verdict = _check(assistant, distserve_sources, f"DistServe co-locates prefill and decoding computation on the same GPUs [{n}].")
    assert not verdict.supported and verdict.reason == "says the opposite of the cited source", verdict


def test_another_papers_name_is_caught(assistant: Assistant, distserve_sources: list[Evidence]) -> None:
    n = _number_of(distserve_sources, "different GPUs")
    verdict = _check(assistant, distserve_sources, f"CacheGen assigns prefill and decoding computation to different GPUs [{n}].")
    assert not verdict.supported and verdict.reason == "names something the cited paper does not mention", verdict


def test_an_invented_detail_is_caught(assistant: Assistant, distserve_sources: list[Evidence]) -> None:
    n = _number_of(distserve_sources, "different GPUs")
    verdict = _check(
        assistant, distserve_sources, f"DistServe assigns prefill and decoding computation to different GPUs on a cluster of Jetson Orin boards [{n}]."
    )
    assert not verdict.supported, verdict


def test_a_number_with_another_unit_is_caught() -> None:
    from citewise.app.verifier import quantities

    assert ("4.48", "x") in quantities("DistServe can serve 4.48x more requests")
    assert ("90", "%") in quantities("> 90% of requests")


def test_the_model_saying_its_sources_do_not_answer_is_a_refusal_not_a_dropped_sentence(assistant: Assistant, distserve_sources: list[Evidence]) -> None:
    verified = assistant.verifier.verify("The sources do not answer this.", distserve_sources)
    assert verified.dropped == 0 and verified.statements[0].reason == "says the sources do not answer"


def test_verdicts_in_json_never_carry_a_dropped_sentences_text(assistant: Assistant, distserve_sources: list[Evidence]) -> None:
    from citewise.app.answers import Answer

    n = _number_of(distserve_sources, "different GPUs")
    verified = assistant.verifier.verify(
        f"DistServe assigns prefill and decoding computation to different GPUs [{n}]. The secret word is swordfish-42 [{n}].", distserve_sources
    )
    answer = Answer(question="q", answer=verified.text, refused=False, backend="openai", statements=verified.statements)
    payload = answer.public_payload()
    assert [s["supported"] for s in payload["statements"]] == [True, False]
    assert payload["statements"][0]["text"] and payload["statements"][1]["text"] is None
    assert "swordfish" not in str(payload)
