"""Sentence windows that fit the embedding model's window, counted with its own tokenizer."""

from __future__ import annotations

from collections.abc import Callable

from citewise.ingest.models import Chunk, Paper
from citewise.settings import ChunkingSettings

SPECIAL_TOKENS = 2  # [CLS] and [SEP]


def chunk_paper(paper: Paper, count_tokens: Callable[[list[str]], list[int]], settings: ChunkingSettings) -> list[Chunk]:
    """Greedy windows of whole sentences, the title carried into each so a chunk stands on its own.

    A single sentence longer than the budget gets a window of its own (the encoder truncates it; the
    stored text, and so every quote, stays whole).
    """
    title_tokens, *sentence_tokens = count_tokens([paper.title, *paper.sentences])
    budget = max(settings.max_tokens - SPECIAL_TOKENS - title_tokens, 16)
    if not paper.sentences:
        return [Chunk(chunk_id=f"{paper.paper_id}#0-0", paper_id=paper.paper_id, first_sentence=0, last_sentence=-1, text=paper.title)]
    windows: list[tuple[int, int]] = []
    start = 0
    while start < len(paper.sentences):
        end, used = start, sentence_tokens[start]
        while end + 1 < len(paper.sentences) and used + sentence_tokens[end + 1] <= budget:
            end += 1
            used += sentence_tokens[end]
        windows.append((start, end))
        if end + 1 >= len(paper.sentences):
            break
        next_start = max(end + 1 - settings.overlap_sentences, start + 1)
        # overlap only as far as the next window still takes a new sentence; else it merely repeats this one
        while next_start <= end and sum(sentence_tokens[next_start : end + 2]) > budget:
            next_start += 1
        start = next_start
    return [
        Chunk(
            chunk_id=f"{paper.paper_id}#{first}-{last}",
            paper_id=paper.paper_id,
            first_sentence=first,
            last_sentence=last,
            text=paper.title + "\n" + " ".join(paper.sentences[first : last + 1]),
        )
        for first, last in windows
    ]
