"""Citewise inside llama-index, as a llama-index user drives it: llama-index's own RetrieverQueryEngine over
CitewiseRetriever with the citation check writing through the real llama.cpp server; the reader's Documents; and
`citewise ingest` of what a llama-index user already has (a persisted docstore, a SimpleDirectoryReader folder)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("llama_index.core", reason="the llamaindex extra is not installed")

from llama_index.core import Document  # noqa: E402
from llama_index.core.node_parser import SentenceSplitter  # noqa: E402
from llama_index.core.query_engine import RetrieverQueryEngine  # noqa: E402
from llama_index.core.schema import NodeWithScore, TextNode  # noqa: E402
from llama_index.core.storage.docstore import SimpleDocumentStore  # noqa: E402

from citewise.app.assistant import Assistant  # noqa: E402
from citewise.app.verifier import numbers_in  # noqa: E402
from citewise.evals.datasets import load_seed  # noqa: E402
from citewise.evals.metrics import dedupe  # noqa: E402
from citewise.evals.seed_run import RETRIEVAL_DEPTH, paper_ranking  # noqa: E402
from citewise.index.reader import PaperIndex  # noqa: E402
from citewise.ingest.pipeline import ingest  # noqa: E402
from citewise.ingest.sources import bundled_listing  # noqa: E402
from citewise.integrations.llamaindex import CitationCheckSynthesizer, CitewiseReader, CitewiseRetriever  # noqa: E402
from citewise.integrations.llamaindex.citation_check import DECLINED, UNVERIFIED  # noqa: E402
from citewise.settings import LLMSettings, load_settings  # noqa: E402

QUESTION = "How does DistServe work?"
KEY_ENV = "CITEWISE_TEST_FAKE_LLM_KEY"
_MARKERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


# -- the retriever ----------------------------------------------------------------------------------------------


def test_retriever_nodes_name_the_paper_and_the_sentences_they_span(assistant: Assistant) -> None:
    nodes = CitewiseRetriever(assistant, top_k=5).retrieve(QUESTION)
    assert len(nodes) == 5 and nodes[0].node.metadata["title"].startswith("DistServe")  # the named paper first
    for scored in nodes:
        meta = scored.node.metadata
        paper = assistant.index.store.paper(meta["paper_id"])
        assert scored.node.ref_doc_id == paper.paper_id and meta["title"] == paper.title
        assert meta["date"] == (paper.published.isoformat() if paper.published else None)
        for sentence in paper.sentences[meta["first_sentence"] : meta["last_sentence"] + 1]:
            assert sentence in scored.node.get_content()


def test_retriever_filters_by_date(assistant: Assistant) -> None:
    nodes = CitewiseRetriever(assistant, top_k=8, since=date(2025, 1, 1)).retrieve("KV cache compression")
    assert nodes and all(n.node.metadata["date"] >= "2025-01-01" for n in nodes)
    worded = CitewiseRetriever(assistant, top_k=8).retrieve("KV cache compression papers from 2025")  # said in words
    assert worded and all(n.node.metadata["date"].startswith("2025") for n in worded)


def test_retriever_ranks_papers_as_the_engine_does_on_the_seed_set(assistant: Assistant) -> None:
    """So Recall@5 and nDCG@10 through llama-index are the engine's (benchmarks/llamaindex_retriever.py)."""
    retriever = CitewiseRetriever(assistant, top_k=RETRIEVAL_DEPTH)
    questions = [q for q in load_seed() if q.gold_titles and not q.history]
    assert len(questions) > 40
    for q in questions:
        _, engine = paper_ranking(assistant, q.question, [], RETRIEVAL_DEPTH)
        assert dedupe(n.node.ref_doc_id for n in retriever.retrieve(q.question)) == engine, q.question


# -- the citation check -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def llm_assistant(bundled_index_dir: Path, llama_server: str) -> Assistant:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(KEY_ENV, "sk-test-never-shown")
        llm = LLMSettings(base_url=llama_server, model="gemma-3-270m", api_key_env=KEY_ENV, max_tokens=64)
        yield Assistant(settings=load_settings(index_dir=bundled_index_dir, llm=llm.model_dump()))


def assert_citations_hold(response, assistant: Assistant) -> None:  # noqa: ANN001 - a llama-index Response
    """What a llama-index user may rely on, whatever the model wrote."""
    citations, statements = response.metadata["citations"], response.metadata["statements"]
    assert statements, "every sentence the model wrote gets a verdict"
    if not citations:
        assert response.response in (UNVERIFIED, DECLINED)
        assert all(s["text"] is None for s in statements if not s["supported"])
        return
    shown = {int(n) for group in _MARKERS.findall(response.response) for n in group.split(",")}
    assert shown == {c["marker"] for c in citations} == set(range(1, len(citations) + 1)), response.response
    for c in citations:
        assert c["quote"] in assistant.index.store.paper(c["paper_id"]).sentences  # verbatim, from the cited paper
    assert numbers_in(response.response) <= set().union(*(numbers_in(f"{c['quote']} {c['title']}") for c in citations))
    assert "unverified" not in response.response
    for s in statements:
        assert (s["text"] is not None) == s["supported"]


@pytest.mark.slow
def test_llama_index_query_engine_answers_with_checked_citations(llm_assistant: Assistant) -> None:
    engine = RetrieverQueryEngine(
        retriever=CitewiseRetriever(llm_assistant, top_k=5),
        response_synthesizer=CitationCheckSynthesizer(llm_assistant, backend="openai"),
    )
    for question in (QUESTION, "What speedup does PAROAttention report?"):
        response = engine.query(question)
        assert len(response.source_nodes) == 5
        assert_citations_hold(response, llm_assistant)


@pytest.mark.slow
def test_any_llama_index_llm_can_write_the_checked_answer(assistant: Assistant) -> None:
    """The user's own llama-index LLM (here llama.cpp in process, on the bundled model) writes; the check still holds."""
    from llama_index.llms.llama_cpp import LlamaCPP

    from citewise.app.llm.model_file import bundled_model

    llm = LlamaCPP(model_path=str(bundled_model()), temperature=0.0, max_new_tokens=64, context_window=4096, verbose=False)
    engine = RetrieverQueryEngine(
        retriever=CitewiseRetriever(assistant, top_k=5), response_synthesizer=CitationCheckSynthesizer(assistant, llm=llm)
    )
    assert_citations_hold(engine.query(QUESTION), assistant)


def test_check_keeps_supported_sentences_and_drops_the_rest(assistant: Assistant) -> None:
    synthesizer = CitationCheckSynthesizer(assistant)
    nodes = CitewiseRetriever(assistant, top_k=5).retrieve(QUESTION)
    sources = synthesizer.sources(QUESTION, nodes)
    supported = sources[0].sentence
    checked = synthesizer.check(QUESTION, sources, f"{supported.rstrip('.')} [1]. It runs on 512 TPUs in 9 ms [1].")
    assert checked.text.startswith(supported.rstrip(".")) and "512" not in checked.text and checked.text.endswith("[1].")
    assert checked.dropped == 1 and [s.supported for s in checked.statements] == [True, False]
    assert checked.citations[0].quote == supported and checked.citations[0].paper_id == sources[0].paper.paper_id
    shown = checked.response_metadata()["statements"]
    assert shown[1]["text"] is None and shown[1]["reason"] != "supported"  # a dropped sentence's text is never kept


def test_check_works_on_nodes_from_any_llama_index_index(assistant: Assistant) -> None:
    """Nodes Citewise did not retrieve (the user's own index) are sources too, each its own text."""
    synthesizer = CitationCheckSynthesizer(assistant)
    node = TextNode(text="Tiny Serve cuts latency by 3.1x on one GPU. It keeps accuracy within 1 point.", metadata={"title": "Tiny Serve"})
    sources = synthesizer.sources("How fast is Tiny Serve?", [NodeWithScore(node=node, score=1.0)])
    assert {e.sentence for e in sources} == {"Tiny Serve cuts latency by 3.1x on one GPU.", "It keeps accuracy within 1 point."}
    claim = next(i for i, e in enumerate(sources, 1) if "3.1x" in e.sentence)
    checked = synthesizer.check("How fast is Tiny Serve?", sources, f"Tiny Serve cuts latency by 3.1x [{claim}]. It cuts latency by 7x [{claim}].")
    assert "3.1x" in checked.text and "7x" not in checked.text and checked.dropped == 1


# -- documents in and out ---------------------------------------------------------------------------------------


def test_reader_yields_one_document_per_paper(tmp_path: Path) -> None:
    (tmp_path / "broken.jsonl").write_text("not json\n", encoding="utf-8")
    reader = CitewiseReader()
    documents = reader.load_data([bundled_listing(), tmp_path])
    assert len(documents) == 48 and len({d.doc_id for d in documents}) == 48
    distserve = next(d for d in documents if d.metadata["title"].startswith("DistServe"))
    assert distserve.metadata["date"] == "2024-01-17" and distserve.doc_id == distserve.metadata["paper_id"]
    assert [s.path for s in reader.skipped] == [str(tmp_path / "broken.jsonl")]


def _papers(index_dir: Path) -> dict[str, tuple[str, list[str]]]:
    index = PaperIndex.open(load_settings(index_dir=index_dir))
    return {p.paper_id: (p.title, p.sentences) for p in index.store.all_papers()}


def test_ingest_reads_a_persisted_docstore_back_into_the_same_papers(bundled_index_copy: Path, tmp_path: Path, embedder) -> None:
    before = _papers(bundled_index_copy)
    store = SimpleDocumentStore()
    store.add_documents(CitewiseReader().load_data([bundled_listing()]))
    store.persist(str(tmp_path / "storage" / "docstore.json"))
    (tmp_path / "storage" / "index_store.json").write_text('{"index_store/data": {}}', encoding="utf-8")  # a persist folder's other files
    report = ingest([tmp_path / "storage"], load_settings(index_dir=bundled_index_copy), rebuild=True, show_progress=False, embedder=embedder)
    assert report.papers_read == 48 and not report.skipped and report.chunks_embedded == 0  # the same chunks
    assert _papers(bundled_index_copy) == before


def test_ingest_joins_an_index_docstore_of_chunks_back_into_papers(tmp_path: Path, settings_for, embedder) -> None:
    abstract = " ".join(f"Sentence {i} says that the method number {i} works well on long inputs." for i in range(12))
    document = Document(text=abstract, id_="p1", metadata={"title": "Chunked: A Paper Split by llama-index", "date": "2025-02-03"})
    nodes = SentenceSplitter(chunk_size=48, chunk_overlap=12).get_nodes_from_documents([document])
    assert len(nodes) > 3
    store = SimpleDocumentStore()
    store.add_documents(nodes)
    store.persist(str(tmp_path / "docstore.json"))
    ingest([tmp_path / "docstore.json"], settings_for(tmp_path / "index"), show_progress=False, embedder=embedder)
    assert _papers(tmp_path / "index") == {"p1": ("Chunked: A Paper Split by llama-index", [f"Sentence {i} says that the method number {i} works well on long inputs." for i in range(12)])}


def write_pdf(path: Path, title: str, abstract: str) -> None:
    """A one-page PDF with real text (embedded TrueType), as a paper's first page."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.5, 11))
    figure.text(0.05, 0.95, title, fontsize=12)
    figure.text(0.05, 0.92, abstract, fontsize=10)
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        figure.savefig(path)


def test_cli_ingests_a_folder_with_simple_directory_reader(tmp_path: Path, bundled_index_copy: Path) -> None:
    papers = tmp_path / "papers"
    (papers / "sub").mkdir(parents=True)
    (papers / "a.md").write_text("# Alpha Serve: Fast Decoding\n\nAlpha Serve decodes 2x faster. It needs no training.\n", encoding="utf-8")
    (papers / "sub" / "b.txt").write_text("Beta Cache: Smaller KV\nBeta Cache shrinks the KV cache by 4x.\n", encoding="utf-8")
    write_pdf(papers / "c.pdf", "Gamma Prefill: Chunked Prefill for Long Prompts", "Gamma Prefill splits long prompts. It cuts time to first token by 30%.")
    before = len(_papers(bundled_index_copy))
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "citewise.cli", "ingest", str(papers), "--reader", "llamaindex", "-q", "--index-dir", str(bundled_index_copy)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert run.returncode == 0, run.stderr
    after = _papers(bundled_index_copy)
    titles = {title: sentences for title, sentences in after.values()}
    assert len(after) == before + 3
    assert titles["Alpha Serve: Fast Decoding"] == ["Alpha Serve decodes 2x faster.", "It needs no training."]
    assert titles["Beta Cache: Smaller KV"] == ["Beta Cache shrinks the KV cache by 4x."]
    assert titles["Gamma Prefill: Chunked Prefill for Long Prompts"] == ["Gamma Prefill splits long prompts.", "It cuts time to first token by 30%."]


def test_bad_docstore_and_bad_reader_leave_the_index_alone(bundled_index_copy: Path, tmp_path: Path) -> None:
    before = _papers(bundled_index_copy)
    (tmp_path / "docstore.json").write_text('{"docstore/data": {"x": {"__data__": 1}}', encoding="utf-8")  # cut off
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    bad_store = subprocess.run(
        [sys.executable, "-m", "citewise.cli", "ingest", str(tmp_path / "docstore.json"), "-q", "--index-dir", str(bundled_index_copy)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert bad_store.returncode == 2 and "docstore" in bad_store.stderr
    bad_reader = subprocess.run(
        [sys.executable, "-m", "citewise.cli", "ingest", str(tmp_path), "--reader", "langchain", "--index-dir", str(bundled_index_copy)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert bad_reader.returncode == 2 and len(bad_reader.stderr.strip().splitlines()) == 1 and "reader" in bad_reader.stderr
    assert _papers(bundled_index_copy) == before


def readme_example() -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### In a llama-index app", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.slow
def test_readme_example_runs_as_written(bundled_index_dir: Path, llama_server: str, tmp_path: Path) -> None:
    code = readme_example()
    assert len([line for line in code.splitlines() if line.strip()]) <= 10
    env = {
        **os.environ, "HF_HUB_OFFLINE": "1", "CITEWISE_INDEX_DIR": str(bundled_index_dir), "CITEWISE_LLM__BASE_URL": llama_server,
        "CITEWISE_LLM__MODEL": "gemma-3-270m", "CITEWISE_LLM__MAX_TOKENS": "64", "OPENAI_API_KEY": "sk-test-never-shown",
    }
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "supported" in run.stdout  # the verdicts are printed


def test_without_the_extra_ingest_says_what_to_install(tmp_path: Path) -> None:
    """llama-index made unimportable in the child, as on an install without the extra."""
    code = (
        "import sys; sys.modules['llama_index'] = None; sys.modules['llama_index.core'] = None; "
        "from citewise.cli import main; sys.argv = ['citewise', 'ingest', sys.argv[1], '--reader', 'llamaindex', "
        "'--index-dir', sys.argv[2]]; main()"
    )
    (tmp_path / "a.md").write_text("# A Paper\n\nIt says one thing.\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path), str(tmp_path / "index")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and run.stderr.strip().splitlines() == [
        "error: This needs llama-index, which comes with the llamaindex extra: pip install 'citewise[llamaindex]'"
    ]
    assert not (tmp_path / "index").exists() or not any((tmp_path / "index").rglob("*.faiss"))
