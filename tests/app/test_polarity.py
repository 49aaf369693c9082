"""Turned-around statements are caught by general readings (anchored opposites, negation scope, relations read
both ways, figures bound to their case), and their faithful forms pass."""

from __future__ import annotations

import pytest

from citewise.app.polarity import figure_rebound, negation_turned, opposite_of_the_same
from citewise.app.verifier import _number_problem, _relation_swapped, is_name

SEMI_PD = "semi-PD maintains lower latency at higher request rates and serves 1.55-1.72x more requests."
TRAINING_FREE = "We propose TokenSelect, a model-agnostic, training-free method for efficient long-context inference."


@pytest.mark.parametrize(
    ("claim", "source"),
    [
        ("semi-PD serves 1.55-1.72x fewer requests.", SEMI_PD),
        ("It is a model-specific method for long-context inference.", TRAINING_FREE),
        ("JITServe maximizes the number of tokens missing request SLOs.", "JITServe maximizes the number of tokens meeting request SLOs."),
        ("It finds configurations outside the accuracy degradation range.", "It finds configurations within the accuracy degradation range."),
        ("It reduces latency, at some cost to response quality.", "It reduces latency without hurting response quality."),
    ],
)
def test_an_opposite_said_of_the_same_thing_is_caught(claim: str, source: str) -> None:
    assert opposite_of_the_same(claim, source, source)


@pytest.mark.parametrize(
    ("claim", "source", "paper"),
    [
        ("semi-PD keeps latency lower at higher request rates.", SEMI_PD, SEMI_PD),
        # the source names the slow path, the abstract the fast one: no flip
        ("A learned verifier gates the handoff from the fast path.", "A verifier gates the handoff, falling back to the slow path.",
         "Its fast path drafts a prefix. A verifier gates the handoff, falling back to the slow path."),
        ("It achieves similar accuracy with lower latency.", "It achieves lower latency and similar accuracy.", "It achieves lower latency and similar accuracy."),
    ],
)
def test_a_faithful_wording_is_not_an_opposite(claim: str, source: str, paper: str) -> None:
    assert not opposite_of_the_same(claim, source, paper)


def test_negation_dropped_or_added_is_caught_and_a_paraphrase_of_it_is_not() -> None:
    source = "The framework requires no additional training and uses a small calibration buffer."
    paper = "QuantVLA: Scale-Calibrated Post-Training Quantization. " + source
    assert negation_turned("The framework requires additional training.", source, paper)
    assert not negation_turned("The framework is training-free.", source, paper)
    assert negation_turned("It does not support vLLM.", "It is compatible with Megatron and supports vLLM.", "")


@pytest.mark.parametrize(
    ("claim", "source"),
    [
        ("TPI-LLM argues that pipeline parallelism can be more effective than tensor parallelism.",
         "We argue that tensor parallelism can be more effective than pipeline on low-resource devices."),
        ("Streaming ASR accuracy improves from 3.1%/7.5% to 4.4%/8.9% WER.",
         "FastEmit improves streaming ASR accuracy from 4.4%/8.9% to 3.1%/7.5% WER, meanwhile reduces latency."),
        ("It is the first benchmark to evaluate the impact of MLLM accuracy on video streaming quality.",
         "To evaluate the impact of video streaming quality on MLLM accuracy, we build the first benchmark."),
    ],
)
def test_a_relation_told_the_other_way_round_is_caught(claim: str, source: str) -> None:
    assert _relation_swapped(claim, source)
    assert not _relation_swapped(source, source)


def test_a_figure_told_with_another_figures_case_is_caught_and_a_shared_qualifier_is_not() -> None:
    source = ("DeepSpeed Inference reduces latency by up to 7.3X over the state-of-the-art for latency-oriented scenarios "
              "and increases throughput by over 1.5x for throughput-oriented scenarios.")
    assert figure_rebound("It reduces latency by up to 7.3X for throughput-oriented scenarios.", source)
    assert not figure_rebound("It reduces latency by up to 7.3X for latency-oriented scenarios.", source)
    listed = "We observe latency speedup of up to 3.7x, cost savings of up to 6.7x, and accuracy improvement of up to ~9% as compared to ReAct."
    assert not figure_rebound("LLMCompiler reports latency speedups of up to 3.7x over ReAct.", listed)


def test_counts_and_ordinals_are_held_to_what_the_source_counts() -> None:
    source = "Existing serving systems fall into two categories: unified systems and disaggregated systems."
    assert _number_problem("Serving systems fall into three categories.", source, source, source)
    assert not _number_problem("Serving systems fall into two categories.", source, source, source)
    first = "We build the first benchmark, named DeViBench."
    assert _number_problem("DeViBench is the second benchmark of its kind.", first, first, first)
    paper = "SNNs need many timesteps. We train SNNs with just 1 timestep. The single-timestep SNNs are 25-33X more efficient."
    efficient = "The proposed IIR-SNNs provide 25-33X higher energy efficiency."
    assert not _number_problem("The single-timestep IIR-SNNs provide 25-33X higher energy efficiency.", efficient, efficient, paper)
    backends = "This toolchain features dual communication backends, PyTorch RPC and a custom implementation."
    assert not _number_problem("The toolchain ships with two communication backends.", backends, backends, backends)
    assert _number_problem("It retains 90% response quality.", "P90 latency comparable while retaining 99% quality.", "", "")


def test_a_lower_case_led_name_is_a_name() -> None:
    assert is_name("nn-Meter") and is_name("vLLM") and not is_name("latency")
