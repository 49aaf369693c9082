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
    assert "12" in verdict.reason


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
