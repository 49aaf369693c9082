"""The "Daily Papers" listing parser, checked paper by paper against the bundled listing.

The expected table below was typed from citewise/data/daily_papers.txt by reading it (title line, the
'• N authors' / organisation byline, and the date line under the '·'), not produced by the parser.
Dates are (year, month, day); year None means the listing shows no year ("Feb 23") and the configured
parsing.listing_year applies. A date line without a trailing number has no upvote count: 0.
"""

from __future__ import annotations

from datetime import date

import pytest

from citewise.ingest.listing import looks_like_listing, parse_listing
from citewise.records import Paper
from citewise.ingest.sources import bundled_listing, read_papers
from citewise.settings import ParsingSettings

# (title, (year, month, day), upvotes, author count or organisation)
EXPECTED: list[tuple[str, tuple[int | None, int, int], int, int | str]] = [
    ("PAROAttention: Pattern-Aware ReOrdering for Efficient Sparse and Quantized Attention in Visual Generation Models", (2025, 6, 19), 2, 11),
    ("TokenSelect: Efficient Long-Context Inference and Length Extrapolation for LLMs via Dynamic Token-Level KV Cache Selection", (2024, 11, 5), 0, 8),
    ("QuantVLA: Scale-Calibrated Post-Training Quantization for Vision-Language-Action Models", (None, 2, 23), 4, 8),
    ("Extending Puzzle for Mixture-of-Experts Reasoning Models with Application to GPT-OSS Acceleration", (None, 2, 12), 1, 24),
    ("FlashInfer: Efficient and Customizable Attention Engine for LLM Inference Serving", (2025, 1, 1), 0, 11),
    ("Flash Sparse Attention: An Alternative Efficient Implementation of Native Sparse Attention Kernel", (2025, 8, 25), 0, 3),
    ("Cache-Craft: Managing Chunk-Caches for Efficient Retrieval-Augmented Generation", (2025, 2, 5), 0, 9),
    ("Efficient LLM Training and Serving with Heterogeneous Context Sharding among Attention Heads", (2024, 7, 24), 2, 7),
    ("Nemotron-Flash: Towards Latency-Optimal Hybrid Small Language Models", (2025, 11, 24), 2, "NVIDIA"),
    ("DeepSpeed-FastGen: High-throughput Text Generation for LLMs via MII and DeepSpeed-Inference", (2024, 1, 9), 2, 11),
    ("HELP: Hardware-Adaptive Efficient Latency Prediction for NAS via Meta-Learning", (2021, 6, 16), 0, 4),
    ("Beyond Inference: Performance Analysis of DNN Server Overheads for Computer Vision", (2024, 3, 1), 0, 4),
    ("DistServe: Disaggregating Prefill and Decoding for Goodput-optimized Large Language Model Serving", (2024, 1, 17), 1, 8),
    ("One Timestep is All You Need: Training Spiking Neural Networks with Ultra Low Latency", (2021, 10, 1), 0, 3),
    ("Victima: Drastically Increasing Address Translation Reach by Leveraging Underutilized Cache Resources", (2023, 10, 6), 0, 8),
    ("RelayS2S: A Dual-Path Speculative Generation for Real-Time Dialogue", (None, 3, 24), 0, 1),
    ("FiRST: Finetuning Router-Selective Transformers for Input-Adaptive Latency Reduction", (2024, 10, 16), 0, 4),
    ("TPI-LLM: Serving 70B-scale LLMs Efficiently on Low-resource Edge Devices", (2024, 10, 1), 8, 4),
    ("CO2: Efficient Distributed Training with Full Communication-Computation Overlap", (2024, 1, 29), 0, 8),
    ("Moonshine v2: Ergodic Streaming Encoder ASR for Latency-Critical Speech Applications", (None, 2, 12), 1, 4),
    ("FastEmit: Low-latency Streaming ASR with Sequence-level Emission Regularization", (2021, 2, 2), 0, 11),
    ("MnasNet: Platform-Aware Neural Architecture Search for Mobile", (2018, 7, 30), 0, 7),
    ("semi-PD: Towards Efficient LLM Serving via Phase-Wise Disaggregated Computation and Unified Storage", (2025, 4, 28), 0, 12),
    ("CacheGen: Fast Context Loading for Language Model Applications", (2023, 10, 11), 0, 12),
    ("Chat with AI: The Surprising Turn of Real-time Video Communication from Human to AI", (2025, 7, 14), 2, 4),
    ("ProxylessNAS: Direct Neural Architecture Search on Target Task and Hardware", (2018, 12, 2), 0, 3),
    ("CryptoNite: Revealing the Pitfalls of End-to-End Private Inference at Scale", (2021, 11, 3), 0, 5),
    ("Partially Conditioned Patch Parallelism for Accelerated Diffusion Model Inference", (2024, 12, 3), 0, 3),
    ("Where to Split? A Pareto-Front Analysis of DNN Partitioning for Edge Inference", (None, 1, 12), 0, 4),
    ("Taming the Memory Footprint Crisis: System Design for Production Diffusion LLM Serving", (2025, 12, 18), 0, 4),
    ("Flover: A Temporal Fusion Framework for Efficient Autoregressive Model Parallel Inference", (2023, 5, 22), 0, 7),
    ("Artic: AI-oriented Real-time Communication for MLLM Video Assistant", (None, 2, 13), 0, 5),
    ("LAPS: A Length-Aware-Prefill LLM Serving System", (None, 1, 4), 0, 10),
    ("Augmenting Hessians with Inter-Layer Dependencies for Mixed-Precision Post-Training Quantization", (2023, 6, 7), 0, 10),
    ("JITServe: SLO-aware LLM Serving with Imprecise Request Information", (2025, 4, 24), 0, 8),
    ("P/D-Serve: Serving Disaggregated Large Language Model at Scale", (2024, 8, 15), 0, 30),
    ("Inducing High Energy-Latency of Large Vision-Language Models with Verbose Images", (2024, 1, 20), 0, 7),
    ("DeepSpeed Inference: Enabling Efficient Inference of Transformer Models at Unprecedented Scale", (2022, 6, 30), 0, 11),
    ("FlatFormer: Flattened Window Attention for Efficient Point Cloud Transformer", (2023, 1, 20), 0, 5),
    ("Improving FIM Code Completions via Context & Curriculum Based Learning", (2024, 12, 21), 0, 3),
    ("SimpleTool: Parallel Decoding for Real-Time LLM Function Calling", (None, 2, 4), 0, 6),
    ("TokenRing: An Efficient Parallelism Framework for Infinite-Context LLMs via Bidirectional Communication", (2024, 12, 29), 0, 4),
    ("An LLM Compiler for Parallel Function Calling", (2023, 12, 7), 0, 7),
    ("EdgeReasoning: Characterizing Reasoning LLM Deployment on Edge GPUs", (2025, 10, 21), 0, 2),
    ("6G-Enabled Digital Twin Framework for Real-Time Cyber-Physical Systems: An Experimental Validation with Industrial Bearing Fault Detection", (2025, 10, 4), 0, 2),
    ("Speak While Watching: Unleashing TRUE Real-Time Video Understanding Capability of Multimodal Large Language Models", (None, 1, 11), 0, 7),
    ("IC-Cache: Efficient Large Language Model Serving via In-context Caching", (2025, 1, 22), 0, 10),
    ("Streaming DiLoCo with overlapping communication: Towards a Distributed Free Lunch", (2025, 1, 30), 7, 14),
]

# Links in the abstracts (trailing sentence full stops are not part of a URL); every other paper has none.
EXPECTED_CODE_URLS = {
    "Flash Sparse Attention": ["https://github.com/Relaxed-System-Lab/Flash-Sparse-Attention"],
    "HELP": ["https://github.com/HayeonLee/HELP"],
    "RelayS2S": ["https://github.com/mailong25/relays2s"],
    "MnasNet": ["https://github.com/tensorflow/tpu/tree/master/models/official/mnasnet"],
    "Artic": ["https://github.com/pku-netvideo/DeViBench"],
    "Inducing High Energy-Latency of Large Vision-Language Models with Verbose Images": [
        "https://github.com/KuofengGao/Verbose_Images"
    ],
    "TokenRing": ["https://github.com/ACA-Lab-SJTU/token-ring"],
    "Speak While Watching": ["https://github.com/EIT-NLP/Speak-While-Watching"],
}

CHROME = ["new", "Get trending papers in your email inbox!", "Subscribe", "Daily Papers", "byAK and the research community"]


def _short(title: str) -> str:
    return title.split(":", 1)[0]


@pytest.fixture(scope="module")
def listing_text() -> str:
    return bundled_listing().read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def papers(listing_text: str) -> list[Paper]:
    return parse_listing(listing_text, 2026, source="daily_papers.txt")


@pytest.fixture(scope="module")
def by_short_title(papers: list[Paper]) -> dict[str, Paper]:
    return {_short(p.title): p for p in papers}


def _raw_entries(text: str) -> list[tuple[str, str]]:
    """(title, abstract) read straight off the file's layout: title, blank, abstract, blank, byline, '·'."""
    lines = text.split("\n")
    return [(lines[i - 5].strip(), lines[i - 3].strip()) for i, line in enumerate(lines) if line.strip() == "·"]


def test_bundled_listing_has_exactly_48_papers(papers: list[Paper]) -> None:
    assert len(EXPECTED) == 48
    assert len(papers) == 48
    assert len({p.paper_id for p in papers}) == 48


def test_read_papers_on_the_bundled_file_gives_the_same_48(papers: list[Paper]) -> None:
    result = read_papers([bundled_listing()], ParsingSettings(listing_year=2026))
    assert result.skipped == [] and result.duplicates == 0
    assert [p.title for p in result.papers] == [p.title for p in papers]
    assert all(p.source == str(bundled_listing()) for p in result.papers)


@pytest.mark.parametrize("row", range(48), ids=[_short(t)[:30] for t, *_ in EXPECTED])
def test_paper_metadata_row_by_row(papers: list[Paper], row: int) -> None:
    title, (year, month, day), upvotes, byline = EXPECTED[row]
    paper = papers[row]
    assert paper.title == title
    assert paper.published == date(year or 2026, month, day)
    assert paper.upvotes == upvotes
    if isinstance(byline, int):
        assert (paper.author_count, paper.organization) == (byline, None)
    else:
        assert (paper.author_count, paper.organization) == (None, byline)
    assert paper.authors == []  # the listing gives counts, not names
    assert paper.sentences, "every entry has an abstract"


def test_page_chrome_is_not_a_paper(papers: list[Paper], listing_text: str) -> None:
    for chrome in CHROME:
        assert chrome in listing_text  # the chrome really is in the file
        assert all(p.title != chrome and chrome not in p.sentences for p in papers), chrome
        if " " in chrome:  # multi-word chrome is not glued into any title or abstract either
            assert all(chrome not in p.title and chrome not in p.abstract for p in papers), chrome
    # the listing's own date ("Apr 22", above the first entry) is neither a paper nor part of one
    assert papers[0].title.startswith("PAROAttention")
    assert not papers[0].sentences[0].startswith("Apr 22")
    assert all("Apr 22" not in p.title for p in papers)


def test_chrome_between_entries_is_dropped() -> None:
    """A listing pasted from two pages repeats the header between entries."""
    text = "\n".join(
        [
            "Daily Papers", "", "byAK and the research community", "", "Mar 3", "",
            "First Paper: One", "", "Abstract one. It has two sentences.", "", "  • 2 authors", "·", "Mar 3, 2025 5", "",
            "new", "", "Get trending papers in your email inbox!", "", "Subscribe", "", "Daily Papers", "", "Mar 2", "",
            "Second Paper: Two", "", "Abstract two.", "", "acme ACME", "·", "Mar 2",
        ]
    )
    assert looks_like_listing(text)
    first, second = parse_listing(text, 2024)
    assert (first.title, first.sentences) == ("First Paper: One", ["Abstract one.", "It has two sentences."])
    assert (first.author_count, first.published, first.upvotes) == (2, date(2025, 3, 3), 5)
    assert (second.title, second.sentences) == ("Second Paper: Two", ["Abstract two."])
    # a byline that is not '• N authors' is the organisation ('handle DisplayName' keeps the display name)
    assert (second.author_count, second.organization, second.published) == (None, "ACME", date(2024, 3, 2))
    assert second.upvotes == 0


def test_every_abstract_is_complete(papers: list[Paper], listing_text: str) -> None:
    """The sentences join back to the whole abstract line of the file (only emphasis markers removed)."""
    raw = _raw_entries(listing_text)
    assert len(raw) == 48
    for paper, (title, abstract) in zip(papers, raw):
        assert paper.title == title
        expected = " ".join(abstract.replace("**", "").replace("*", "").split())
        assert paper.abstract == expected, title


def test_abstract_sentences_verbatim(by_short_title: dict[str, Paper]) -> None:
    paro = by_short_title["PAROAttention"].sentences
    assert paro[0] == (
        "In visual generation, the quadratic complexity of attention mechanisms results in high memory and "
        "computational costs, especially for longer token sequences required in high-resolution image or "
        "multi-frame video generation."
    )
    assert paro[-1] == (
        "Our approach, PAROAttention, achieves video and image generation with lossless metrics, and nearly "
        "identical results from full-precision (FP) baselines, while operating at notably lower density "
        "(~20%-30%) and bitwidth (INT8/INT4), achieving a 1.9x to 2.7x end-to-end latency speedup."
    )
    assert len(paro) == 9

    fsa = by_short_title["Flash Sparse Attention"].sentences
    assert fsa[0] == (
        "Recent progress in sparse attention mechanisms has demonstrated strong potential for reducing the "
        "computational cost of long-context training and inference in large language models (LLMs)."
    )
    assert fsa[-1] == (
        "The source code is open-sourced and publicly available at https://github.com/Relaxed-System-Lab/Flash-Sparse-Attention."
    )

    distserve = by_short_title["DistServe"].sentences
    assert distserve[0] == (
        "DistServe improves the performance of large language models (LLMs) serving by disaggregating the "
        "prefill and decoding computation."
    )
    assert distserve[-1] == (
        "Our evaluations show that on various popular LLMs, applications, and latency requirements, DistServe "
        "can serve 4.48x more requests or 10.2x tighter SLO, compared to state-of-the-art systems, while "
        "staying within latency constraints for > 90% of requests."
    )

    diloco = by_short_title["Streaming DiLoCo with overlapping communication"].sentences
    assert diloco[0] == (
        "Training of large language models (LLMs) is typically distributed across a large number of "
        "accelerators to reduce training time."
    )
    assert diloco[-1] == (
        "By properly combining these modifications, we show experimentally that we can distribute training of "
        "billion-scale parameters and reach similar quality as before, but reducing required bandwidth by two "
        "orders of magnitude."
    )
    assert diloco[5:9] == [
        "In this paper, we improve DiLoCo in three ways.",
        "First, we synchronize only subsets of parameters in sequence, rather than all at once, which greatly reduces peak bandwidth.",
        "Second, we allow workers to continue training while synchronizing, which decreases wall clock time.",
        "Third, we quantize the data exchanged by workers, which further reduces bandwidth across workers.",
    ]

    relay = by_short_title["RelayS2S"].sentences
    assert relay[-1] == "Our code and data are publicly available at: https://github.com/mailong25/relays2s"


def test_whole_abstract_split_into_sentences(by_short_title: dict[str, Paper]) -> None:
    assert by_short_title["TokenSelect"].sentences == [
        "With the development of large language models (LLMs), the ability to handle longer contexts has become a key capability for Web applications such as cross-document understanding and LLM-powered search systems.",
        "However, this progress faces two major challenges: performance degradation due to sequence lengths out-of-distribution, and excessively long inference times caused by the quadratic computational complexity of attention.",
        "These issues hinder the application of LLMs in long-context scenarios.",
        "In this paper, we propose Dynamic Token-Level KV Cache Selection (TokenSelect), a model-agnostic, training-free method for efficient and accurate long-context inference.",
        "TokenSelect builds upon the observation of non-contiguous attention sparsity, using Query-Key dot products to measure per-head KV Cache criticality at token-level.",
        "By per-head soft voting mechanism, TokenSelect selectively involves a small number of critical KV cache tokens in the attention calculation without sacrificing accuracy.",
        "To further accelerate TokenSelect, we designed the Selection Cache based on observations of consecutive Query similarity and implemented efficient dot product kernel, significantly reducing the overhead of token selection.",
        "A comprehensive evaluation of TokenSelect demonstrates up to 23.84x speedup in attention computation and up to 2.28x acceleration in end-to-end latency, while providing superior performance compared to state-of-the-art long-context inference methods.",
    ]


def test_abbreviations_in_real_abstracts_do_not_split(by_short_title: dict[str, Paper]) -> None:
    help_ = by_short_title["HELP"].sentences
    assert help_[0] == (
        "For deployment, neural architecture search should be hardware-aware, in order to satisfy the "
        "device-specific constraints (e.g., memory usage, latency and energy consumption) and enhance the model efficiency."
    )
    assert help_[-1] == "Code is available at https://github.com/HayeonLee/HELP."
    proxyless = by_short_title["ProxylessNAS"].sentences
    assert (
        "Differentiable NAS can reduce the cost of GPU hours via a continuous representation of network architecture "
        "but suffers from the high GPU memory consumption issue (grow linearly w.r.t. candidate set size)."
    ) in proxyless
    assert proxyless[1].endswith("(e.g. ImageNet).")
    # "ms." closing a sentence is milliseconds, not an abbreviation: the next sentence stands alone
    artic = by_short_title["Artic"].sentences
    assert artic[-2:] == [
        "Prototype experiments using real-world uplink traces show that compared with existing methods, Artic "
        "significantly improves accuracy by 15.12% and reduces latency by 135.31 ms.",
        "We will release the benchmark and codes at https://github.com/pku-netvideo/DeViBench.",
    ]


def test_emphasis_markers_are_stripped(papers: list[Paper], by_short_title: dict[str, Paper]) -> None:
    for paper in papers:
        assert "*" not in paper.title and "*" not in paper.abstract, paper.title
    paro = by_short_title["PAROAttention"]
    assert (
        "Therefore, instead of introducing specialized sparsification and quantization design to accommodate such "
        "patterns, we propose an alternative strategy: reorganizing the attention pattern to alleviate the challenges."
    ) in paro.sentences
    assert "we design a novel Pattern-Aware token ReOrdering (PARO) technique" in paro.abstract


def test_code_links(papers: list[Paper]) -> None:
    found = {}
    for paper in papers:
        key = next((k for k in EXPECTED_CODE_URLS if paper.title.startswith(k)), None)
        assert paper.code_urls == EXPECTED_CODE_URLS.get(key, []), paper.title
        if key:
            found[key] = paper.code_urls
    assert found == EXPECTED_CODE_URLS


@pytest.mark.parametrize("year", [2026, 2030])
def test_dates_without_a_year_use_listing_year(year: int) -> None:
    result = read_papers([bundled_listing()], ParsingSettings(listing_year=year))
    assert len(result.papers) == 48
    for paper, (title, (y, month, day), _, _) in zip(result.papers, EXPECTED):
        assert paper.title == title
        assert paper.published == date(y if y is not None else year, month, day), title
    yearless = [p for p, row in zip(result.papers, EXPECTED) if row[1][0] is None]
    assert len(yearless) == 9
    assert {p.published.year for p in yearless} == {year}


def test_default_listing_year_is_2026() -> None:
    assert ParsingSettings().listing_year == 2026


def test_a_dangling_separator_is_a_one_line_error() -> None:
    from citewise.errors import CitewiseError

    with pytest.raises(CitewiseError) as info:
        parse_listing("Title\n\nAbstract.\n\n• 2 authors\n·", 2026, source="x.txt")
    assert "\n" not in str(info.value) and "x.txt" in str(info.value)
