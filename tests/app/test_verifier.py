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


# -- relations: the two sides of a statement exchanged, which word overlap and similarity cannot see -----------


def _cited(assistant: Assistant, question: str, snippet: str) -> list[Evidence]:
    """The one sentence of the bundled papers containing ``snippet``, as source [1]."""
    ranked = assistant.gather(assistant.understand(question)).ranked
    return [next(e for e in ranked if snippet in e.sentence)]


@pytest.mark.parametrize(
    ("question", "snippet", "faithful", "turned_around"),
    [
        (  # a shift "from A to B" told the other way round, on a metric where lower is better
            "What accuracy does FastEmit report?", "from 4.4%/8.9% to 3.1%/7.5% WER",
            "FastEmit improves WER from 4.4%/8.9% to 3.1%/7.5% [1].",
            "FastEmit comes at a cost in accuracy, with WER rising from 3.1%/7.5% to 4.4%/8.9% [1].",
        ),
        (  # something moved "X … to the Y" told as moved from Y to X
            "What does CryptoNite find about offline storage?", "offline HE computation to the online phase",
            "High offline storage costs force much of the expensive offline HE computation to the online phase [1].",
            "High offline storage costs force much of the expensive online HE computation into the offline phase [1].",
        ),
        (  # "A rather than B" where the source says B rather than A
            "How does Streaming DiLoCo reduce bandwidth?", "rather than all at once",
            "Streaming DiLoCo synchronizes only subsets of parameters in sequence, rather than all at once, which greatly reduces peak bandwidth [1].",
            "Streaming DiLoCo synchronizes all parameters at once, rather than subsets in sequence, which greatly reduces peak bandwidth [1].",
        ),
        (  # the same noun after the opposite comparative
            "Which model sizes gain most from FIM curriculum training?", "smaller parameter models",
            "The gains are more pronounced for smaller parameter models, and difficult-to-complete examples improve code completion performance [1].",
            "The gains are more pronounced for larger parameter models, and difficult-to-complete examples improve code completion performance [1].",
        ),
        (  # "acceleration in end-to-end latency" is lower latency, so latency that rises is the opposite
            "What speedup does TokenSelect report?", "2.28x acceleration in end-to-end latency",
            "TokenSelect gives up to 2.28x acceleration in end-to-end latency [1].",
            "TokenSelect's end-to-end latency, however, rises by up to 2.28x [1].",
        ),
    ],
)
def test_a_relation_turned_around_is_caught_and_its_faithful_form_kept(
    assistant: Assistant, question: str, snippet: str, faithful: str, turned_around: str
) -> None:
    sources = _cited(assistant, question, snippet)
    kept = assistant.verifier.check(faithful, sources, question)
    caught = assistant.verifier.check(turned_around, sources, question)
    assert kept.supported, kept
    assert not caught.supported and caught.reason == "says the opposite of the cited source", caught


def test_a_sentence_is_held_to_what_its_subjects_own_cited_sentence_says(assistant: Assistant) -> None:
    """Citing both DistServe's sentence and one about other systems does not let "DistServe colocates" through."""
    question = "Do LLM serving systems colocate prefill and decoding?"
    sources = _cited(assistant, question, "by disaggregating the prefill") + _cited(assistant, question, "systems colocate the two phases")
    caught = assistant.verifier.check("DistServe colocates prefill and decoding, instead of disaggregating them as existing systems do [1][2].", sources, question)
    kept = assistant.verifier.check("DistServe disaggregates the prefill and decoding computation, whereas existing systems colocate the two phases [1][2].", sources, question)
    assert not caught.supported and caught.reason == "says the opposite of the cited source", caught
    assert kept.supported, kept


def test_a_result_credited_to_the_baseline_it_was_measured_against_is_caught(assistant: Assistant) -> None:
    question = "How much memory does TPI-LLM need for 70B models?"
    sources = _cited(assistant, question, "compared to Transformers and Galaxy")
    kept = assistant.verifier.check("TPI-LLM cuts the peak memory footprint of Llama 2-70B by 90% [1].", sources, question)
    caught = assistant.verifier.check("Galaxy cuts the peak memory footprint of Llama 2-70B by 90% [1].", sources, question)
    assert kept.supported, kept
    assert not caught.supported and caught.reason == "credits the result to a system the cited sentence only compares against", caught


def test_a_system_the_cited_passage_does_not_name_is_not_credited_with_it(assistant: Assistant) -> None:
    """Galaxy is in TPI-LLM's abstract, as a baseline: its name on TPI-LLM's scheduler sentence is the wrong system."""
    question = "How does TPI-LLM handle limited memory?"
    sources = _cited(assistant, question, "sliding window memory scheduler")
    kept = assistant.verifier.check("TPI-LLM introduces a sliding window memory scheduler to dynamically manage layer weights [1].", sources, question)
    caught = assistant.verifier.check("For limited memory, Galaxy introduces a sliding window memory scheduler to manage layer weights [1].", sources, question)
    assert kept.supported, kept
    assert not caught.supported and caught.reason == "credits the cited passage to a system it does not name", caught
