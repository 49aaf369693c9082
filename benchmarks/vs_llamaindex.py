"""Citewise against the plain llama-index recipe: same machine, same model files, same papers, one run.

    nice -n 10 .venv/bin/python benchmarks/vs_llamaindex.py [--repeats 3] [--no-scifact] [--claims N]

The peer is what a user writes in ten minutes: each paper becomes a llama-index ``Document`` (title + abstract,
id = the paper id), ``VectorStoreIndex.from_documents`` with its default chunking (``SentenceSplitter`` defaults),
``HuggingFaceEmbedding`` on the bundled all-MiniLM-L6-v2 folder (its defaults: normalised, batch 10), a
``FaissVectorStore(faiss.IndexFlatL2(384))``, ``storage_context.persist()``, and ``as_retriever(similarity_top_k=10)``.
Both sides read papers with Citewise's parser; the peer's clock starts at the parsed papers, Citewise's at the
file (so Citewise also pays parsing, its SQLite store, BM25 and fsyncs). Both models are loaded and warmed up
before any clock starts; each ingest uses a fresh folder (and Citewise a fresh embedding cache).

Quality is paper-level (a paper ranks where its best chunk ranks): both sides return 10 chunks per question
(Citewise: its default hybrid retrieval with MMR and the per-paper cap, plus dense-only for reference) on the
seed question set (answerable, self-contained questions; skipped when the set is absent) and on SciFact train
claims (``cited_doc_ids`` are the relevant papers). Latency: retrieval only (question in, ranked chunks out) for
both, and Citewise's full extractive answer. Writes benchmarks/out/vs_llamaindex.json."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _common import SCIFACT_DIR, machine, pct, timed_ms, write_json

TOP_K = 10


class Peer:
    """The llama-index recipe, kept as plain as its documentation shows it."""

    def __init__(self, model_path: Path) -> None:
        from llama_index.core import Settings
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        Settings.llm = None
        Settings.embed_model = HuggingFaceEmbedding(model_name=str(model_path))
        Settings.embed_model.get_text_embedding("warm up")
        self.retriever = None
        self.nodes = 0

    def ingest(self, papers, folder: Path) -> float:  # noqa: ANN001 - citewise Papers
        import faiss
        from llama_index.core import Document, StorageContext, VectorStoreIndex
        from llama_index.vector_stores.faiss import FaissVectorStore

        started = time.perf_counter()
        documents = [Document(text=f"{p.title}\n\n{p.abstract}", id_=p.paper_id) for p in papers]
        storage = StorageContext.from_defaults(vector_store=FaissVectorStore(faiss_index=faiss.IndexFlatL2(384)))
        index = VectorStoreIndex.from_documents(documents, storage_context=storage)
        storage.persist(persist_dir=str(folder))
        seconds = time.perf_counter() - started
        self.nodes = len(index.docstore.docs)
        self.retriever = index.as_retriever(similarity_top_k=TOP_K)
        return seconds

    def rank(self, question: str) -> list[str]:
        from citewise.evals.metrics import dedupe

        return dedupe(n.node.ref_doc_id for n in self.retriever.retrieve(question))


class Citewise:
    """The product as shipped: ``ingest`` into a fresh index, then an ``Assistant`` on it."""

    def __init__(self, embedder) -> None:  # noqa: ANN001
        self.embedder = embedder
        self.assistant = None
        self.chunks = 0

    def ingest(self, source: Path, folder: Path) -> float:
        from citewise.app.assistant import Assistant
        from citewise.ingest.pipeline import ingest
        from citewise.settings import load_settings

        settings = load_settings(index_dir=folder)
        started = time.perf_counter()
        report = ingest([source], settings, show_progress=False, embedder=self.embedder)
        seconds = time.perf_counter() - started
        self.chunks = report.chunks_total
        self.assistant = Assistant(settings=settings)
        return seconds

    def rank(self, question: str, method: str = "hybrid") -> list[str]:
        from citewise.evals.metrics import dedupe

        hits = self.assistant.retrieve(self.assistant.understand(question), TOP_K, method)
        return dedupe(h.paper.paper_id for h in hits)


def quality_and_latency(peer: Peer, cw: Citewise, queries: list[tuple[str, set[str]]]) -> dict:
    """Recall@5 / nDCG@10 for each system, retrieval latency for both and Citewise's full answer latency.

    The systems take turns on every question, so load from other processes falls on all of them alike."""
    from citewise.evals.metrics import mean, ndcg_at_k, recall_at_k

    for question, _ in queries[:5]:  # warm caches and code paths on both sides
        peer.rank(question), cw.rank(question), cw.assistant.ask(question)
    systems = {"llama-index": peer.rank, "citewise hybrid": cw.rank, "citewise dense": lambda q: cw.rank(q, "dense")}
    rows: dict[str, dict[str, list[float]]] = {name: {"recall@5": [], "ndcg@10": [], "ms": []} for name in systems}
    answer_ms = []
    for question, relevant in queries:
        for name, rank in systems.items():
            ranking, ms = timed_ms(rank, question)
            rows[name]["recall@5"].append(recall_at_k(ranking, relevant, 5))
            rows[name]["ndcg@10"].append(ndcg_at_k(ranking, relevant, 10))
            rows[name]["ms"].append(ms)
        answer_ms.append(timed_ms(cw.assistant.ask, question)[1])
    out: dict = {
        name: {"recall@5": round(mean(r["recall@5"]), 4), "ndcg@10": round(mean(r["ndcg@10"]), 4), "retrieve_ms": pct(r["ms"])}
        for name, r in rows.items()
    }
    out["citewise hybrid"]["answer_ms"] = pct(answer_ms)
    out["queries"] = len(queries)
    return out


def seed_queries(cw: Citewise) -> list[tuple[str, set[str]]] | None:
    from citewise.evals.datasets import bundled_seed_path, load_seed, resolve_gold, titles_in_index

    if not bundled_seed_path().is_file():
        return None
    questions = resolve_gold(load_seed(), titles_in_index(cw.assistant.index))
    return [(q.question, set(q.gold_ids)) for q in questions if q.answerable and q.gold_ids and not q.history]


def run_corpus(name: str, source: Path, papers, peer: Peer, cw: Citewise, repeats: int, queries_of) -> dict:  # noqa: ANN001
    """Ingest ``repeats`` times on each side (alternating, fresh folders; median), then measure the last pair."""
    peer_s, cw_s = [], []
    with tempfile.TemporaryDirectory(prefix=f"vs-llamaindex-{name}-") as tmp:
        for i in range(repeats):
            peer_s.append(peer.ingest(papers, Path(tmp) / f"peer{i}"))
            cw_s.append(cw.ingest(source, Path(tmp) / f"citewise{i}"))
        result = {
            "papers": len(papers),
            "ingest_s": {"llama-index": [round(s, 2) for s in peer_s], "citewise": [round(s, 2) for s in cw_s]},
            "ingest_median_s": {"llama-index": round(statistics.median(peer_s), 2), "citewise": round(statistics.median(cw_s), 2)},
            "chunks": {"llama-index": peer.nodes, "citewise": cw.chunks},
        }
        result["ingest_speedup"] = round(result["ingest_median_s"]["llama-index"] / result["ingest_median_s"]["citewise"], 2)
        queries = queries_of(cw)
        if queries:
            result["retrieval"] = quality_and_latency(peer, cw, queries)
        cw.assistant.index.store.close()
    print(name, {k: v for k, v in result.items() if k != "retrieval"})
    for system, row in result.get("retrieval", {}).items():
        print(f"  {system}: {row}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="Ingests of the bundled papers per side (median).")
    parser.add_argument("--scifact-repeats", type=int, default=1)
    parser.add_argument("--claims", type=int, default=None, help="Use only the first N SciFact claims.")
    parser.add_argument("--no-scifact", action="store_true")
    args = parser.parse_args()

    from citewise.evals.datasets import load_scifact
    from citewise.ingest.embedding import Embedder
    from citewise.ingest.sources import bundled_listing, read_papers
    from citewise.settings import load_settings

    settings = load_settings()
    embedder = Embedder(settings.embedding)
    embedder.encode(["warm up"] * 8)
    peer, cw = Peer(embedder.model_path), Citewise(embedder)
    results = {"machine": machine(), "top_k": TOP_K}
    listing = bundled_listing()
    results["bundled"] = run_corpus(
        "bundled", listing, read_papers([listing], settings.parsing).papers, peer, cw, args.repeats, seed_queries
    )
    if not args.no_scifact:
        bench = load_scifact(SCIFACT_DIR, "train")
        claims = [(q.text, q.relevant) for q in bench.queries][: args.claims]
        results["scifact"] = run_corpus(
            "scifact", bench.corpus, read_papers([bench.corpus], settings.parsing).papers, peer, cw,
            args.scifact_repeats, lambda _: claims,
        )
    write_json("vs_llamaindex.json", results)


if __name__ == "__main__":
    main()
