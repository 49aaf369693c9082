"""Dense (and BM25) retrieval at 10k–1M chunks through the product's own index code (index/dense.py, index/lexical.py).

    nice -n 10 .venv/bin/python benchmarks/scale.py [--sizes real,100000,1000000] [--kinds flat,ivf,hnsw]
        [--synthetic kde|gaussian] [--bm25 100000] [--out scale.json]

Vectors: the smallest size is real — every chunk of the SciFact corpus, embedded by the pipeline (the index is
built once into the benchmark cache, ``~/.cache/citewise/beir``). Larger sizes are SYNTHETIC (``--synthetic``):
``kde`` (default) draws around the real vectors (a real chunk vector plus correlated noise, cosine ~0.85 to it),
so the data keeps topic clusters as real abstracts do; ``gaussian`` draws from one Gaussian with the real vectors'
mean and covariance: no clusters at all, the pessimistic bound for approximate indexes. Both are normalised, as
the model's vectors are. Queries are the real SciFact train claims, embedded.

For each size and index kind (built with ``build_dense`` and written with ``save_dense``): build time, RSS growth
while building, file size, then in a fresh process (as an app starting up): ``load_dense`` time and RSS growth,
and single-query latency p50/p95 with 2 FAISS threads and recall@10 against exact search, for several
``ivf_nprobe`` / ``hnsw_ef_search`` values. BM25 (``--bm25`` sizes): chunk texts recombined from real SciFact
sentences (synthetic), build time, index size, load time and RSS, query latency. Writes
benchmarks/out/scale.json and benchmarks/scale.png."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import OUT_DIR, ROOT, SCIFACT_DIR, machine, pct, rss_mb, scifact_index, write_json

QUERIES = 300
K = 10
KDE_COSINE = 0.85
SWEEP = {"ivf": ("ivf_nprobe", [8, 16, 32, 64, 128, 256, 512]), "hnsw": ("hnsw_ef_search", [32, 64, 128, 256]), "flat": (None, [None])}


def real_data() -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """SciFact chunk vectors (from the cached benchmark index), claim vectors and texts, the corpus' sentences."""
    from citewise.evals.datasets import load_scifact
    from citewise.ingest.embedding import Embedder
    from citewise.settings import load_settings

    index = scifact_index()
    vectors = np.array(index.vectors, dtype=np.float32)
    sentences = [s for p in index.store.iter_papers() for s in p.sentences]
    index.store.close()
    claims = [q.text for q in load_scifact(SCIFACT_DIR, "train").queries][:QUERIES]
    return vectors, Embedder(load_settings().embedding).encode(claims), claims, sentences


def synthetic(real: np.ndarray, count: int, kind: str, seed: int = 0) -> np.ndarray:
    """``count`` normalised synthetic vectors, in blocks to bound memory.

    gaussian: draws from N(mean, cov) of the real vectors: no topic clusters, the hardest case for ANN indexes.
    kde: a random real vector plus noise from N(0, s^2 cov), s set so a draw has cosine ~KDE_COSINE with its source:
    clustered like real abstracts (many papers per topic), i.e. a kernel density estimate of the real vectors."""
    mean = real.mean(0)
    cov = np.cov(real, rowvar=False)
    chol = np.linalg.cholesky(cov + 1e-6 * np.eye(real.shape[1])).T.astype(np.float32)
    scale = np.sqrt((1 / KDE_COSINE**2 - 1) / np.trace(cov)) if kind == "kde" else 1.0
    rng = np.random.default_rng(seed)
    out = np.empty((count, real.shape[1]), dtype=np.float32)
    for start in range(0, count, 100_000):
        n = min(100_000, count - start)
        centre = real[rng.integers(0, len(real), n)] if kind == "kde" else mean
        block = centre + scale * (rng.standard_normal((n, real.shape[1]), dtype=np.float32) @ chol)
        out[start : start + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    import faiss

    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    return flat.search(queries, K)[1]


def probe(path: Path, kind: str, queries_path: Path, truth_path: Path) -> dict:
    """In a fresh process: load as the app does, then time single queries (2 threads) and measure recall@10."""
    import faiss

    from citewise.index.dense import load_dense, search_dense
    from citewise.settings import IndexSettings

    faiss.omp_set_num_threads(2)
    queries, truth = np.load(queries_path), np.load(truth_path)
    before = rss_mb()
    started = time.perf_counter()
    index = load_dense(path, IndexSettings())
    out = {"load_s": round(time.perf_counter() - started, 3), "load_rss_mb": round(rss_mb() - before, 1), "runs": []}
    setting, values = SWEEP[kind]
    for value in values:
        if kind == "ivf":
            index.nprobe = value
        elif kind == "hnsw":
            index.hnsw.efSearch = value
        search_dense(index, queries[0], K)  # first touch of the pages
        latencies, recalls = [], []
        for query, gold in zip(queries, truth):
            started = time.perf_counter()
            rows, _ = search_dense(index, query, K)
            latencies.append((time.perf_counter() - started) * 1000)
            recalls.append(len(set(rows.tolist()) & set(gold.tolist())) / K)
        out["runs"].append({"setting": setting, "value": value, "ms": pct(latencies), "recall@10": round(float(np.mean(recalls)), 4)})
    out["rss_after_queries_mb"] = round(rss_mb() - before, 1)
    return out


def dense_at(count: int, label: str, vectors: np.ndarray, queries: np.ndarray, kinds: list[str], tmp: Path) -> list[dict]:
    from citewise.index.dense import build_dense, choose_kind, save_dense
    from citewise.settings import IndexSettings

    np.save(tmp / "queries.npy", queries)
    np.save(tmp / "truth.npy", exact_top(vectors, queries))
    rows = []
    for kind in kinds:
        before = rss_mb()
        started = time.perf_counter()
        index, built = build_dense(vectors, IndexSettings(faiss_type=kind))
        build_s = time.perf_counter() - started
        build_rss = rss_mb() - before
        path = tmp / f"{kind}.faiss"
        save_dense(index, path)
        nlist = int(index.nlist) if kind == "ivf" else None
        del index
        result = subprocess.run(
            [sys.executable, __file__, "--probe", str(path), kind, str(tmp / "queries.npy"), str(tmp / "truth.npy")],
            capture_output=True, text=True, check=True,
        )
        row = {
            "chunks": count, "vectors": label, "kind": built, "auto_would_choose": choose_kind(count, IndexSettings()),
            "nlist": nlist, "build_s": round(build_s, 2), "build_rss_mb": round(build_rss, 1),
            "file_mb": round(path.stat().st_size / 1e6, 1), **json.loads(result.stdout.strip().splitlines()[-1]),
        }
        path.unlink()
        print(json.dumps({k: v for k, v in row.items() if k != "runs"}))
        for run in row["runs"]:
            print(f"    {run['setting']}={run['value']}: p50 {run['ms']['p50']} ms, p95 {run['ms']['p95']} ms, recall@10 {run['recall@10']}")
        rows.append(row)
    return rows


def synthetic_texts(sentences: list[str], count: int, seed: int = 0) -> list[str]:
    """Chunk-like texts of 4–8 real SciFact sentences picked at random (SYNTHETIC; real vocabulary and lengths)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(4, 9, count)
    picks = rng.integers(0, len(sentences), int(lengths.sum()))
    out, at = [], 0
    for n in lengths.tolist():
        out.append(" ".join(sentences[i] for i in picks[at : at + n]))
        at += n
    return out


def bm25_probe(folder: Path, claims_path: Path) -> dict:
    from citewise.index.lexical import ENGLISH, LexicalIndex

    claims = json.loads(claims_path.read_text())
    before = rss_mb()
    started = time.perf_counter()
    index = LexicalIndex(folder, ENGLISH)
    out = {"load_s": round(time.perf_counter() - started, 3), "load_rss_mb": round(rss_mb() - before, 1)}
    index.search(claims[0], 50)
    latencies = []
    for claim in claims:
        started = time.perf_counter()
        index.search(claim, 50)
        latencies.append((time.perf_counter() - started) * 1000)
    out["ms"] = pct(latencies)
    out["rss_after_queries_mb"] = round(rss_mb() - before, 1)
    return out


def bm25_at(count: int, sentences: list[str], claims: list[str], tmp: Path) -> dict:
    from citewise.index.lexical import ENGLISH, build_lexical

    texts = synthetic_texts(sentences, count)
    folder = tmp / f"bm25-{count}"
    before = rss_mb()
    started = time.perf_counter()
    build_lexical(texts, folder, ENGLISH)
    row = {"chunks": count, "texts": "synthetic (recombined SciFact sentences)", "build_s": round(time.perf_counter() - started, 1),
           "build_rss_mb": round(rss_mb() - before, 1), "size_mb": round(sum(f.stat().st_size for f in folder.iterdir()) / 1e6, 1)}
    del texts
    (tmp / "claims.json").write_text(json.dumps(claims))
    result = subprocess.run([sys.executable, __file__, "--bm25-probe", str(folder), str(tmp / "claims.json")],
                            capture_output=True, text=True, check=True)
    row.update(json.loads(result.stdout.strip().splitlines()[-1]))
    print(json.dumps(row))
    return row


def plot(rows: list[dict], path: Path) -> None:
    """p95 latency and memory after loading and querying, against corpus size, at each kind's default setting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from citewise.settings import IndexSettings

    defaults = {"ivf": IndexSettings().ivf_nprobe, "hnsw": IndexSettings().hnsw_ef_search, "flat": None}
    fig, (lat, mem) = plt.subplots(1, 2, figsize=(11, 4))
    for color, kind in zip(("tab:blue", "tab:orange", "tab:green"), sorted({r["kind"] for r in rows})):
        mine = sorted((r for r in rows if r["kind"] == kind), key=lambda r: r["chunks"])
        runs = [next(x for x in r["runs"] if x["value"] == defaults[kind]) for r in mine]
        sizes = [r["chunks"] for r in mine]
        label = kind if defaults[kind] is None else f"{kind} ({SWEEP[kind][0]}={defaults[kind]})"
        lat.plot(sizes, [x["ms"]["p95"] for x in runs], marker="o", color=color, label=label)
        mem.plot(sizes, [r["rss_after_queries_mb"] for r in mine], marker="o", color=color, label=f"{kind}: loaded + queried")
        mem.plot(sizes, [r["file_mb"] for r in mine], marker="x", color=color, linestyle=":", label=f"{kind}: file size")
    lat.axhline(50, color="grey", linestyle="--", linewidth=0.8, label="50 ms target")
    for ax, title, unit in ((lat, "single-query p95 latency, 2 threads", "ms"), (mem, "memory (RSS growth) and index file", "MB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("chunks (10,803: real SciFact; 100k and 1M: synthetic)")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def main() -> None:
    if sys.argv[1:2] == ["--probe"]:
        print(json.dumps(probe(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), Path(sys.argv[5]))))
        return
    if sys.argv[1:2] == ["--bm25-probe"]:
        print(json.dumps(bm25_probe(Path(sys.argv[2]), Path(sys.argv[3]))))
        return
    if sys.argv[1:2] == ["--plot"]:  # --plot OUT.png A.json B.json: one plot of several runs (later rows win)
        rows = {(r["chunks"], r["kind"]): r for name in sys.argv[3:] for r in json.loads((OUT_DIR / name).read_text())["dense"]}
        plot(list(rows.values()), ROOT / "benchmarks" / sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="real,100000,1000000", help="'real' = every SciFact chunk; numbers = synthetic.")
    parser.add_argument("--kinds", default="flat,ivf,hnsw")
    parser.add_argument("--hnsw-max", type=int, default=1_000_000, help="Largest size HNSW is built at (slow to build).")
    parser.add_argument("--synthetic", choices=["kde", "gaussian"], default="kde", help="How larger corpora are drawn.")
    parser.add_argument("--bm25", default="100000", help="BM25 sizes (comma-separated; empty for none).")
    parser.add_argument("--out", default="scale.json")
    args = parser.parse_args()

    import faiss

    real, queries, claims, sentences = real_data()
    payload = {"machine": machine(), "faiss_threads_for_queries": 2, "queries": len(queries), "k": K, "dense": [], "bm25": []}
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="citewise-scale-", dir=OUT_DIR) as tmp:
        for size in args.sizes.split(","):
            vectors = real if size == "real" else synthetic(real, int(size), args.synthetic)
            label = "real (SciFact)" if size == "real" else f"synthetic ({args.synthetic})"
            faiss.omp_set_num_threads(2)
            kinds = [k for k in args.kinds.split(",") if k != "hnsw" or len(vectors) <= args.hnsw_max]
            payload["dense"] += dense_at(len(vectors), label, vectors, queries, kinds, Path(tmp))
            del vectors
            write_json(args.out, payload)
        for size in filter(None, args.bm25.split(",")):
            payload["bm25"].append(bm25_at(int(size), sentences, claims, Path(tmp)))
            write_json(args.out, payload)
    plot(payload["dense"], ROOT / "benchmarks" / f"{Path(args.out).stem}.png")


if __name__ == "__main__":
    main()
