"""Chunks fit the encoder's window, carry the title, and map back to the exact abstract sentences.

Checked on what the real ingest stored for the bundled listing and for the whole SciFact corpus, counting
word pieces with the model's own tokenizer.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from citewise.index.reader import PaperIndex
from citewise.ingest.chunking import SPECIAL_TOKENS, chunk_paper
from citewise.records import Chunk, Paper
from citewise.settings import ChunkingSettings

MODEL_WINDOW = 256  # all-MiniLM-L6-v2's max_seq_length, [CLS] and [SEP] included


def stored_papers_and_chunks(index_dir: Path, settings_for) -> list[tuple[Paper, list[Chunk]]]:
    index = PaperIndex.open(settings_for(index_dir))
    try:
        papers = list(index.store.iter_papers())
        chunks = list(index.store.iter_chunks())
        assert len(chunks) == index.manifest.chunks == index.store.chunk_count()
    finally:
        index.store.close()
    by_paper: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in chunks:
        by_paper[chunk.paper_id].append(chunk)
    assert set(by_paper) == {p.paper_id for p in papers}, "every paper has chunks, every chunk a paper"
    # chunk rows follow paper order, windows in sentence order
    assert [c.paper_id for c in chunks] == [p.paper_id for p in papers for _ in by_paper[p.paper_id]]
    return [(p, by_paper[p.paper_id]) for p in papers]


def check_corpus(pairs: list[tuple[Paper, list[Chunk]]], embedder, chunking: ChunkingSettings) -> dict[str, int]:
    """Every invariant, for every chunk; returns counts for the caller to sanity-check."""
    stats = {"papers": 0, "chunks": 0, "overlong_single_sentence": 0}
    all_ids: set[str] = set()
    for paper, chunks in pairs:
        stats["papers"] += 1
        title_tokens, *sentence_tokens = embedder.count_tokens([paper.title, *paper.sentences])
        chunk_tokens = embedder.count_tokens([c.text for c in chunks])
        budget = chunking.max_tokens - SPECIAL_TOKENS - title_tokens
        for chunk, tokens in zip(chunks, chunk_tokens):
            stats["chunks"] += 1
            first, last = chunk.first_sentence, chunk.last_sentence
            # offsets map back to the exact sentences, title first
            assert chunk.text == paper.title + "\n" + " ".join(paper.sentences[first : last + 1]), chunk.chunk_id
            assert chunk.text.startswith(paper.title + "\n")
            assert chunk.chunk_id == f"{paper.paper_id}#{first}-{last}"
            assert chunk.chunk_id not in all_ids
            all_ids.add(chunk.chunk_id)
            # joining whole words adds no word pieces: the count is title + sentences
            assert tokens == title_tokens + sum(sentence_tokens[first : last + 1])
            if tokens + SPECIAL_TOKENS > chunking.max_tokens:
                # only a single sentence too long for any window may exceed it (the encoder truncates it)
                assert first == last and sentence_tokens[first] > budget, (chunk.chunk_id, tokens)
                stats["overlong_single_sentence"] += 1
            else:
                assert tokens + SPECIAL_TOKENS <= MODEL_WINDOW
        # windows cover every sentence, in order, without gaps, overlapping by at most overlap_sentences
        windows = [(c.first_sentence, c.last_sentence) for c in chunks]
        if not paper.sentences:
            assert windows == [(0, -1)] and chunks[0].text == paper.title
            continue
        assert windows[0][0] == 0 and windows[-1][1] == len(paper.sentences) - 1
        covered = set()
        for first, last in windows:
            assert 0 <= first <= last < len(paper.sentences)
            covered.update(range(first, last + 1))
        assert covered == set(range(len(paper.sentences)))
        for (f1, l1), (f2, l2) in zip(windows, windows[1:]):
            assert f1 < f2 <= l1 + 1 and l1 < l2, windows
            # consecutive windows share up to overlap_sentences sentences, less only when more would not leave
            # room for a new sentence (a window must never just repeat the end of the previous one)
            overlap = l1 - f2 + 1
            assert 0 <= overlap <= min(chunking.overlap_sentences, l1 - f1), windows
            if overlap < min(chunking.overlap_sentences, l1 - f1):
                assert sum(sentence_tokens[f2 - 1 : l1 + 2]) > budget, windows
        if chunking.overlap_sentences == 0 and max(sentence_tokens) <= budget:
            assert len(windows) == fewest_windows(sentence_tokens, budget), windows
    return stats


def fewest_windows(sentence_tokens: list[int], budget: int) -> int:
    """Packing sentences greedily never needs more windows than any other packing."""
    count, used = 1, 0
    for tokens in sentence_tokens:
        if used + tokens > budget:
            count, used = count + 1, 0
        used += tokens
    return count


def test_special_tokens_are_two(embedder) -> None:
    text = "FlashInfer: Efficient attention.\nIt is fast."
    with_specials = embedder.model.tokenizer(text)["input_ids"]
    assert len(with_specials) == embedder.count_tokens([text])[0] + SPECIAL_TOKENS
    assert embedder.max_tokens == MODEL_WINDOW


def test_bundled_chunks(bundled_index_dir: Path, settings_for, embedder) -> None:
    settings = settings_for(bundled_index_dir)
    stats = check_corpus(stored_papers_and_chunks(bundled_index_dir, settings_for), embedder, settings.chunking)
    assert stats["papers"] == 48
    assert stats["chunks"] > 48  # long abstracts take several windows
    assert stats["overlong_single_sentence"] == 0


def test_scifact_chunks(scifact_index_dir: Path, settings_for, embedder) -> None:
    settings = settings_for(scifact_index_dir)
    stats = check_corpus(stored_papers_and_chunks(scifact_index_dir, settings_for), embedder, settings.chunking)
    assert stats["papers"] == 5183
    assert 5183 < stats["chunks"] < 3 * 5183
    assert stats["overlong_single_sentence"] < 50  # rare: a handful of run-on sentences


# --- chunk_paper on its own, with a word counter as tokenizer ---------------------------------------------------


def words(texts: list[str]) -> list[int]:
    return [len(t.split()) for t in texts]


def paper(sentences: list[str], title: str = "Title words here") -> Paper:
    return Paper(paper_id="p", title=title, sentences=sentences)


def test_windows_overlap_by_one_sentence() -> None:
    sentences = [f"s{i} " + "w " * 9 for i in range(10)]  # 10 words each
    chunks = chunk_paper(paper(sentences), words, ChunkingSettings(max_tokens=40, overlap_sentences=1))
    # budget 40 - 2 - 3 = 35 words: three sentences per window, the last one repeated
    assert [(c.first_sentence, c.last_sentence) for c in chunks] == [(0, 2), (2, 4), (4, 6), (6, 8), (8, 9)]


def test_no_overlap_setting() -> None:
    sentences = [f"s{i} " + "w " * 9 for i in range(6)]
    chunks = chunk_paper(paper(sentences), words, ChunkingSettings(max_tokens=40, overlap_sentences=0))
    assert [(c.first_sentence, c.last_sentence) for c in chunks] == [(0, 2), (3, 5)]


def test_an_abstract_a_little_over_the_window_splits_into_even_halves() -> None:
    sentences = [f"s{i} " + "w " * 9 for i in range(4)]  # 40 words, budget 35: two windows either way
    chunks = chunk_paper(paper(sentences), words, ChunkingSettings(max_tokens=40, overlap_sentences=0))
    assert [(c.first_sentence, c.last_sentence) for c in chunks] == [(0, 1), (2, 3)]  # not (0, 2) and a tail (3, 3)


def test_overlap_never_makes_a_window_of_repeated_sentences() -> None:
    """When the overlap sentence and the next one do not fit together, the next window starts fresh."""
    sentences = ["a " * 20, "b " * 20, "c " * 30, "d " * 5]
    chunks = chunk_paper(paper(sentences), words, ChunkingSettings(max_tokens=50, overlap_sentences=1))
    # budget 45: [a b] fits (40); [b c] would be 50, so no overlap: [c d] (35)
    assert [(c.first_sentence, c.last_sentence) for c in chunks] == [(0, 1), (2, 3)]


def test_overlong_sentence_gets_its_own_window_and_stays_whole() -> None:
    long = "long " * 100
    sentences = ["short one.", long.strip(), "short two.", "short three."]
    chunks = chunk_paper(paper(sentences), words, ChunkingSettings(max_tokens=40, overlap_sentences=1))
    assert [(c.first_sentence, c.last_sentence) for c in chunks] == [(0, 0), (1, 1), (2, 3)]
    assert chunks[1].text == "Title words here\n" + long.strip()


def test_paper_without_abstract_is_one_title_chunk() -> None:
    (chunk,) = chunk_paper(paper([]), words, ChunkingSettings())
    assert (chunk.chunk_id, chunk.first_sentence, chunk.last_sentence, chunk.text) == ("p#0-0", 0, -1, "Title words here")


@pytest.mark.parametrize("max_tokens", [64, 128, 250])
def test_real_tokenizer_budgets(bundled_index_dir: Path, settings_for, embedder, max_tokens: int) -> None:
    """Smaller windows (a setting) hold too: the same invariants with chunks made here."""
    chunking = ChunkingSettings(max_tokens=max_tokens)
    pairs = []
    for p, _ in stored_papers_and_chunks(bundled_index_dir, settings_for):
        pairs.append((p, chunk_paper(p, embedder.count_tokens, chunking)))
    stats = check_corpus(pairs, embedder, chunking)
    assert stats["papers"] == 48
