"""Training pairs drawn from the papers alone, no labels: a short text and the passage it came from.

A title points to its abstract; a sentence points to its paper's title and the rest of its abstract (the inverse
cloze task), which is what a claim-like question and the chunk that answers it look like (chunks carry the title,
``ingest/chunking.py``). Batches never hold two pairs of one paper: with in-batch negatives, the other would be a
"negative" that is in fact a positive."""

from __future__ import annotations

import random

from pydantic import BaseModel

from citewise.records import Paper


class TrainingPair(BaseModel):
    paper_id: str
    anchor: str
    positive: str


def paper_pairs(paper: Paper, sentences_per_paper: int, rng: random.Random) -> list[TrainingPair]:
    if not paper.sentences:
        return []
    pairs = [TrainingPair(paper_id=paper.paper_id, anchor=paper.title, positive=paper.abstract)]
    if len(paper.sentences) < 2:
        return pairs
    for index in rng.sample(range(len(paper.sentences)), min(sentences_per_paper, len(paper.sentences))):
        rest = paper.sentences[:index] + paper.sentences[index + 1 :]
        pairs.append(
            TrainingPair(paper_id=paper.paper_id, anchor=paper.sentences[index], positive=paper.title + "\n" + " ".join(rest))
        )
    return pairs


def corpus_pairs(papers: list[Paper], sentences_per_paper: int, max_pairs: int, rng: random.Random) -> list[TrainingPair]:
    """At most ``max_pairs``, drawn evenly over the papers (a shuffled sample, not the first papers)."""
    pairs = [pair for paper in papers for pair in paper_pairs(paper, sentences_per_paper, rng)]
    rng.shuffle(pairs)
    return pairs[:max_pairs]


def distinct_paper_batches(pairs: list[TrainingPair], batch_size: int, rng: random.Random) -> list[list[TrainingPair]]:
    """Shuffled batches of ``batch_size`` pairs, each paper at most once per batch; a last batch of one is dropped
    (it has no negatives)."""
    order = pairs[:]
    rng.shuffle(order)
    full: list[list[TrainingPair]] = []
    open_batches: list[tuple[list[TrainingPair], set[str]]] = []
    for pair in order:
        for batch, papers in open_batches:
            if pair.paper_id not in papers:
                break
        else:
            batch, papers = [], set()
            open_batches.append((batch, papers))
        batch.append(pair)
        papers.add(pair.paper_id)
        if len(batch) == batch_size:
            full.append(batch)
            open_batches.remove((batch, papers))
    return full + [batch for batch, _ in open_batches if len(batch) > 1]
