"""Two ways to lift SciFact retrieval past the fused ranking, measured through the engine's own ``rank_papers``:

- pseudo-relevance feedback (no labels): the query vector moved towards the best chunks of the top papers
  (Rocchio), then ranked again;
- a supervised query adapter (trained on SciFact train labels): a 384x384 linear map of the query vector, trained
  with a contrastive loss against each claim's relevant paper and hard negatives from the fused ranking, and scored
  out of fold. Two fold schemes: claims dealt at random, and claims grouped so that no relevant paper is shared
  across folds. SciFact writes several claims about one paper (and negations of a claim), so random folds put a
  test claim's paper in the training folds: that figure measures memory of the papers, not a better query.

    nice -n 10 .venv/bin/python benchmarks/retrieval_feedback.py [--limit 809] [--epochs 20]

Writes benchmarks/out/retrieval_feedback-scifact.json and prints nDCG@10 per method."""

from __future__ import annotations

import argparse
import json

import numpy as np
from _common import SCIFACT_DIR, machine, scifact_index_dir, write_json

FOLDS = 5
PRF_GRID = [(k, beta) for k in (2, 3, 5) for beta in (0.25, 0.5)]


def grouped_folds(relevant: list[set[str]], folds: int, seed: int = 0) -> list[list[int]]:
    """Claims joined when they share a relevant paper (union-find), groups dealt largest first to the smallest fold."""
    parent = list(range(len(relevant)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, papers in enumerate(relevant):
        for paper in papers:
            if paper in owner:
                parent[root(i)] = root(owner[paper])
            else:
                owner[paper] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(relevant)):
        groups.setdefault(root(i), []).append(i)
    ordered = list(groups.values())
    np.random.default_rng(seed).shuffle(ordered)
    out: list[list[int]] = [[] for _ in range(folds)]
    for group in sorted(ordered, key=len, reverse=True):
        min(out, key=len).extend(group)
    return out


def random_folds(n: int, folds: int, seed: int = 0) -> list[list[int]]:
    return [part.tolist() for part in np.array_split(np.random.default_rng(seed).permutation(n), folds)]


def train_adapter(queries: np.ndarray, examples: list[tuple[int, int, np.ndarray]], chunk_vectors: np.ndarray, epochs: int) -> np.ndarray:
    """W (near the identity) so that W q is closer to the relevant paper's best chunk than to 40 hard negatives."""
    import torch

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    weight = torch.nn.Parameter(torch.eye(queries.shape[1]))
    identity = torch.eye(queries.shape[1])
    optimizer = torch.optim.Adam([weight], lr=1e-3)
    q_all, chunks = torch.tensor(queries), torch.tensor(chunk_vectors)
    for _ in range(epochs):
        order = rng.permutation(len(examples))
        for start in range(0, len(order), 32):
            batch = [examples[j] for j in order[start : start + 32]]
            q = torch.nn.functional.normalize(q_all[[b[0] for b in batch]] @ weight.T, dim=-1)
            rows = torch.tensor(np.stack([np.concatenate([[b[1]], np.resize(b[2], 40)]) for b in batch]))
            logits = (chunks[rows] * q[:, None, :]).sum(-1) / 0.05
            loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(batch), dtype=torch.long))
            loss = loss + 1e-2 * ((weight - identity) ** 2).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return weight.detach().numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=809)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()

    from tqdm.auto import tqdm

    from citewise.app.assistant import Assistant
    from citewise.app.understanding import QueryFilters
    from citewise.evals.datasets import load_benchmark
    from citewise.evals.metrics import ndcg_at_k
    from citewise.settings import load_settings

    bench = load_benchmark(SCIFACT_DIR, "train")
    claims = bench.queries[: args.limit]
    settings = load_settings(index_dir=scifact_index_dir())
    settings = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"candidates": 300})})
    assistant = Assistant(settings=settings)
    retriever, store = assistant.retriever, assistant.index.store
    chunk_vectors = np.asarray(assistant.index.vectors[:], dtype=np.float32)
    questions = [assistant.understand(c.text).model_copy(update={"filters": QueryFilters()}) for c in claims]
    vectors = np.stack([assistant.embedder.encode_query(q.search_query) for q in questions])
    relevant = [c.relevant for c in claims]

    def ndcg(i: int, query_vector: np.ndarray) -> tuple[float, list]:
        papers = retriever.rank_papers(questions[i], query_vector)
        return ndcg_at_k([store.paper_at(p.paper_row).paper_id for p in papers[:100]], relevant[i], 10), papers

    fused: list[float] = []
    prf: dict[tuple[int, float], list[float]] = {setting: [] for setting in PRF_GRID}
    examples: list[tuple[int, int, np.ndarray]] = []  # (claim, relevant paper's best chunk, hard negatives' best chunks)
    for i in tqdm(range(len(claims)), desc="Fused + feedback", unit="claim"):
        score, papers = ndcg(i, vectors[i])
        fused.append(score)
        best_chunks = [retriever.hits_of(p, vectors[i], 1)[0].row for p in papers[:100]]
        is_relevant = np.array([store.paper_at(p.paper_row).paper_id in relevant[i] for p in papers[:100]])
        negatives = np.array(best_chunks)[~is_relevant][:40]
        examples += [(i, row, negatives) for row, ok in zip(best_chunks, is_relevant) if ok and len(negatives)]
        for k, beta in PRF_GRID:
            moved = vectors[i] + beta * chunk_vectors[best_chunks[:k]].mean(axis=0)
            prf[(k, beta)].append(ndcg(i, moved / np.linalg.norm(moved))[0])

    adapted: dict[str, list[float]] = {}
    for scheme, folds in (("random", random_folds(len(claims), FOLDS)), ("grouped", grouped_folds(relevant, FOLDS))):
        scores = np.zeros(len(claims))
        for fold in tqdm(folds, desc=f"Adapter, {scheme} folds", unit="fold"):
            held_out = set(fold)
            weight = train_adapter(vectors, [e for e in examples if e[0] not in held_out], chunk_vectors, args.epochs)
            for i in fold:
                moved = weight @ vectors[i]
                scores[i] = ndcg(i, moved / np.linalg.norm(moved))[0]
        adapted[scheme] = scores.tolist()

    results = {"fused (default)": float(np.mean(fused))}
    results |= {f"feedback k={k} beta={beta}": float(np.mean(v)) for (k, beta), v in prf.items()}
    results |= {f"adapter, {scheme} {FOLDS}-fold": float(np.mean(v)) for scheme, v in adapted.items()}
    write_json("retrieval_feedback-scifact.json", {"machine": machine(), "claims": len(claims), "epochs": args.epochs, "ndcg@10": results})
    for name, value in results.items():
        print(f"{name:32s} nDCG@10 {value:.4f}")


if __name__ == "__main__":
    main()
