"""Sentence windows that fit the embedding model's window, counted with its own tokenizer."""

from __future__ import annotations

from collections.abc import Callable

from citewise.records import Chunk, Paper
from citewise.settings import ChunkingSettings

SPECIAL_TOKENS = 2  # [CLS] and [SEP]
CHUNKER_REVISION = 2  # bump when the same settings start giving other windows (2: evened-out windows)


def chunk_paper(paper: Paper, count_tokens: Callable[[list[str]], list[int]], settings: ChunkingSettings) -> list[Chunk]:
    """Windows of whole sentences, the title carried into each so a chunk stands on its own.

    As few windows as fit the budget, then evened out (the smallest cap giving that many), so an abstract a
    little over the window becomes two halves rather than a full window and a one-sentence tail. A single
    sentence longer than the budget gets a window of its own (the encoder truncates it; the stored text, and
    so every quote, stays whole). A full text is windowed section by section, each window marked with the page
    and section it starts in.
    """
    title_tokens, *sentence_tokens = count_tokens([paper.title, *paper.sentences])
    budget = max(settings.max_tokens - SPECIAL_TOKENS - title_tokens, 16)
    if not paper.sentences:
        return [Chunk(chunk_id=f"{paper.paper_id}#0-0", paper_id=paper.paper_id, first_sentence=0, last_sentence=-1, text=paper.title)]
    windows = [
        (start + first, start + last)
        for start, end in _sections(paper)
        for first, last in _evened_windows(sentence_tokens[start:end], budget, settings.overlap_sentences)
    ]
    chunks = []
    for first, last in windows:
        location = paper.location(first)
        chunks.append(
            Chunk(
                chunk_id=f"{paper.paper_id}#{first}-{last}",
                paper_id=paper.paper_id,
                first_sentence=first,
                last_sentence=last,
                text=paper.title + "\n" + " ".join(paper.sentences[first : last + 1]),
                page=location.page if location else None,
                section=location.section if location else None,
            )
        )
    return chunks


def _sections(paper: Paper) -> list[tuple[int, int]]:
    """(start, end) sentence ranges of one section each; an abstract is one range."""
    if not paper.locations:
        return [(0, len(paper.sentences))]
    starts = [i for i, l in enumerate(paper.locations) if i == 0 or l.section != paper.locations[i - 1].section]
    return list(zip(starts, starts[1:] + [len(paper.sentences)]))


def _evened_windows(sentence_tokens: list[int], budget: int, overlap: int) -> list[tuple[int, int]]:
    windows = _windows(sentence_tokens, budget, overlap)
    low, high = max(sentence_tokens), budget
    while low < high:  # smallest cap that still needs no more windows
        middle = (low + high) // 2
        if len(_windows(sentence_tokens, middle, overlap)) <= len(windows):
            high = middle
        else:
            low = middle + 1
    return _windows(sentence_tokens, low, overlap) if low < budget else windows


def _windows(sentence_tokens: list[int], budget: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy (first, last) sentence windows within ``budget`` tokens, ``overlap`` sentences repeated."""
    windows: list[tuple[int, int]] = []
    start = 0
    while start < len(sentence_tokens):
        end, used = start, sentence_tokens[start]
        while end + 1 < len(sentence_tokens) and used + sentence_tokens[end + 1] <= budget:
            end += 1
            used += sentence_tokens[end]
        windows.append((start, end))
        if end + 1 >= len(sentence_tokens):
            break
        next_start = max(end + 1 - overlap, start + 1)
        # overlap only as far as the next window still takes a new sentence; else it merely repeats this one
        while next_start <= end and sum(sentence_tokens[next_start : end + 2]) > budget:
            next_start += 1
        start = next_start
    return windows
