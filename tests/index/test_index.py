"""The on-disk index, built with the real model from real files: counts, re-ingest, updates, --rebuild,
refusals with the fix named, corruption, stale build folders and the writer lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from citewise.errors import CitewiseError
from citewise.index.dense import search_dense
from citewise.index.lexical import ENGLISH, LexicalTokenizer, tokenize
from citewise.index.reader import PaperIndex
from citewise.index.versions import CURRENT_NAME, VERSIONS_DIR, current_version_dir
from citewise.ingest.chunking import chunk_paper
from citewise.ingest.listing import parse_listing
from citewise.ingest.pipeline import CACHE_DIR, ingest
from citewise.ingest.sources import bundled_listing

REBUILD_HINT = "citewise ingest --rebuild"


def open_index(index_dir: Path, settings_for, **overrides) -> PaperIndex:
    return PaperIndex.open(settings_for(index_dir, **overrides))


def run_ingest(paths, index_dir: Path, settings_for, embedder, rebuild: bool = False, **overrides):
    return ingest(list(paths), settings_for(index_dir, **overrides), rebuild=rebuild, show_progress=False, embedder=embedder)


def chunk_texts(index: PaperIndex) -> list[str]:
    return [c.text for c in index.store.iter_chunks()]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def assert_one_line_error(exc: CitewiseError, *fragments: str) -> str:
    message = str(exc)
    assert message and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


SMALL = [
    {"_id": "s1", "title": "Alpha: Small Test Paper", "text": "Alpha reduces latency with speculative decoding. It is simple."},
    {"_id": "s2", "title": "Beta: Another Paper", "text": "Beta quantizes weights to four bits. Accuracy is kept."},
    {"_id": "s3", "title": "Gamma: Third Paper", "text": "Gamma caches key-value tensors across requests."},
]


# --- building --------------------------------------------------------------------------------------------------


def test_bundled_ingest_gives_48_papers(bundled_index_dir: Path, bundled_ingest_report, settings_for, embedder) -> None:
    report = bundled_ingest_report
    assert (report.papers_read, report.added, report.updated, report.unchanged, report.papers_total) == (48, 48, 0, 0, 48)
    assert report.skipped == [] and report.version == "v000001"
    assert report.chunks_embedded == report.chunks_total  # fresh cache: everything embedded once

    index = open_index(bundled_index_dir, settings_for)
    m = index.manifest
    assert (m.papers, m.chunks, m.version) == (48, report.chunks_total, "v000001")
    assert m.encoder_id == "sentence-transformers/all-MiniLM-L6-v2@onnx-int8+r2" and m.embedding_dim == 384
    assert m.lexical == LexicalTokenizer(stemmer="english", stopwords="en") == index.lexical.tokenizer
    assert m.faiss_type == "flat" and m.sources == [str(bundled_listing())]
    assert index.store.paper_count() == 48 and index.store.chunk_count() == m.chunks
    assert index.dense.ntotal == m.chunks and index.lexical.size == m.chunks
    assert index.vectors.shape == (m.chunks, 384)
    assert np.allclose(np.linalg.norm(index.vectors, axis=1), 1.0, atol=1e-4)
    listing = parse_listing(bundled_listing().read_text(encoding="utf-8"), 2026)
    assert [p.title for p in index.store.iter_papers()] == [p.title for p in listing]

    # vectors, FAISS rows, BM25 rows and store rows line up: both searches find DistServe for its own words
    question = "disaggregating prefill and decoding onto different GPUs for goodput"
    rows, scores = search_dense(index.dense, embedder.encode_query(question), 5)
    top_chunk, paper_row = index.store.chunk_at(int(rows[0]))
    assert index.store.paper_at(paper_row).title.startswith("DistServe")
    assert scores[0] == pytest.approx(float(index.vectors[rows[0]] @ embedder.encode_query(question)), abs=1e-4)
    rows, _ = index.lexical.search("DistServe prefill decoding interference", 5)
    assert index.store.chunk_at(int(rows[0]))[0].paper_id == top_chunk.paper_id


def test_scifact_ingest_gives_5183_papers(
    scifact_index_dir: Path, scifact_ingest_report, scifact_corpus: Path, settings_for, embedder
) -> None:
    report = scifact_ingest_report
    assert (report.papers_read, report.added, report.papers_total) == (5183, 5183, 5183)
    assert report.skipped == []
    index = open_index(scifact_index_dir, settings_for)
    assert index.manifest.papers == index.store.paper_count() == 5183
    texts = chunk_texts(index)
    assert len(texts) == index.manifest.chunks == report.chunks_total == index.dense.ntotal == index.lexical.size
    assert report.chunks_embedded == len(set(texts))  # equal texts share one vector

    # the rows are right: claims find the abstracts cited for them (dense and BM25 both, top 10)
    claims_path = scifact_corpus.parent / "claims_train.jsonl"
    claims = [json.loads(line) for line in claims_path.read_text(encoding="utf-8").splitlines()[:40]]
    dense_hits = lexical_hits = 0
    for claim in claims:
        cited = {str(d) for d in claim["cited_doc_ids"]}
        rows, _ = search_dense(index.dense, embedder.encode_query(claim["claim"]), 10)
        dense_hits += bool(cited & {index.store.chunk_at(int(r))[0].paper_id for r in rows})
        rows, _ = index.lexical.search(claim["claim"], 10)
        lexical_hits += bool(cited & {index.store.chunk_at(int(r))[0].paper_id for r in rows})
    assert dense_hits >= 0.6 * len(claims), dense_hits
    assert lexical_hits >= 0.6 * len(claims), lexical_hits


# --- re-ingest -------------------------------------------------------------------------------------------------


def test_reingest_of_the_same_listing_changes_nothing(bundled_index_copy: Path, settings_for, embedder) -> None:
    before = sorted(p.name for p in (bundled_index_copy / VERSIONS_DIR).iterdir())
    current = (bundled_index_copy / CURRENT_NAME).read_text()
    report = run_ingest([bundled_listing()], bundled_index_copy, settings_for, embedder)
    assert report.version is None and report.chunks_embedded == 0
    assert (report.added, report.updated, report.unchanged, report.papers_total) == (0, 0, 48, 48)
    assert sorted(p.name for p in (bundled_index_copy / VERSIONS_DIR).iterdir()) == before
    assert (bundled_index_copy / CURRENT_NAME).read_text() == current


def test_reingest_of_scifact_changes_nothing(scifact_index_dir: Path, scifact_corpus: Path, settings_for, embedder) -> None:
    current = (scifact_index_dir / CURRENT_NAME).read_text()
    report = run_ingest([scifact_corpus], scifact_index_dir, settings_for, embedder)
    assert report.version is None and report.chunks_embedded == 0
    assert (report.added, report.updated, report.unchanged, report.papers_total) == (0, 0, 5183, 5183)
    assert (scifact_index_dir / CURRENT_NAME).read_text() == current


def test_changed_abstract_replaces_its_chunks(bundled_index_copy: Path, tmp_path: Path, settings_for, embedder) -> None:
    old_index = open_index(bundled_index_copy, settings_for)
    old_papers = list(old_index.store.iter_papers())
    old_chunks = list(old_index.store.iter_chunks())
    old_vectors = {c.chunk_id: np.array(old_index.vectors[row]) for row, c in enumerate(old_chunks)}
    # the paper with the most windows; change its last sentence only
    target = max(old_papers, key=lambda p: sum(c.paper_id == p.paper_id for c in old_chunks))
    old_target_chunks = [c for c in old_chunks if c.paper_id == target.paper_id]
    assert len(old_target_chunks) >= 3
    old_sentence = target.sentences[-1]
    new_sentence = "In a revised evaluation, the speed-up reaches 9.99x on the Zircon-7 benchmark suite."
    listing = bundled_listing().read_text(encoding="utf-8")
    assert listing.count(old_sentence) == 1
    changed = tmp_path / "daily_papers.txt"
    changed.write_text(listing.replace(old_sentence, new_sentence), encoding="utf-8")

    new_target = next(p for p in parse_listing(changed.read_text(encoding="utf-8"), 2026) if p.paper_id == target.paper_id)
    new_target_chunks = chunk_paper(new_target, embedder.count_tokens, settings_for(bundled_index_copy).chunking)
    old_texts = {c.text for c in old_chunks}
    expected_embedded = sum(c.text not in old_texts for c in new_target_chunks)
    assert 1 <= expected_embedded < len(new_target_chunks)  # only the windows holding the sentence

    report = run_ingest([changed], bundled_index_copy, settings_for, embedder)
    assert (report.added, report.updated, report.unchanged, report.papers_total) == (0, 1, 47, 48)
    assert report.version == "v000002"
    assert report.chunks_embedded == expected_embedded

    index = open_index(bundled_index_copy, settings_for)
    chunks = list(index.store.iter_chunks())
    texts = [c.text for c in chunks]
    assert not any(old_sentence in t for t in texts)
    assert sum(new_sentence in t for t in texts) >= 1
    stored = index.store.paper(target.paper_id)
    assert stored.sentences[-1] == new_sentence and old_sentence not in stored.sentences
    assert [(c.chunk_id, c.text) for c in chunks if c.paper_id == target.paper_id] == [
        (c.chunk_id, c.text) for c in new_target_chunks
    ]
    assert len(chunks) == len(old_chunks) - len(old_target_chunks) + len(new_target_chunks)
    assert index.store.paper_count() == 48
    # the other 47 papers keep their chunks and their vectors, bit for bit
    others_before = [(c.chunk_id, c.text) for c in old_chunks if c.paper_id != target.paper_id]
    others_after = [(c.chunk_id, c.text) for c in chunks if c.paper_id != target.paper_id]
    assert others_after == others_before
    for row, chunk in enumerate(chunks):
        if chunk.paper_id != target.paper_id:
            assert np.array_equal(index.vectors[row], old_vectors[chunk.chunk_id])
    # the new sentence is searchable
    rows, _ = index.lexical.search("Zircon-7 benchmark", 3)
    assert index.store.chunk_at(int(rows[0]))[0].paper_id == target.paper_id


def test_changed_jsonl_record_and_version_pruning(tmp_path: Path, settings_for, embedder) -> None:
    index_dir = tmp_path / "index"
    corpus = write_jsonl(tmp_path / "small.jsonl", SMALL)
    first = run_ingest([corpus], index_dir, settings_for, embedder)
    assert (first.added, first.chunks_total, first.chunks_embedded, first.version) == (3, 3, 3, "v000001")

    edited = [dict(r) for r in SMALL]
    edited[1]["text"] = "Beta quantizes weights to three bits. Accuracy drops slightly."
    write_jsonl(corpus, edited)
    second = run_ingest([corpus], index_dir, settings_for, embedder)
    assert (second.added, second.updated, second.unchanged, second.chunks_embedded) == (0, 1, 2, 1)
    index = open_index(index_dir, settings_for)
    texts = chunk_texts(index)
    assert len(texts) == 3
    assert not any("four bits" in t for t in texts) and any("three bits" in t for t in texts)

    edited[2]["text"] = "Gamma now also evicts tensors."
    write_jsonl(corpus, edited)
    third = run_ingest([corpus], index_dir, settings_for, embedder)
    assert third.version == "v000003" and third.chunks_embedded == 1
    # keep_versions=2: the live version and the one before it
    assert sorted(p.name for p in (index_dir / VERSIONS_DIR).iterdir()) == ["v000002", "v000003"]
    assert current_version_dir(index_dir).name == "v000003"


def test_rebuild_drops_papers_not_in_the_new_input(bundled_index_copy: Path, tmp_path: Path, settings_for, embedder) -> None:
    corpus = write_jsonl(tmp_path / "small.jsonl", SMALL)
    merged = run_ingest([corpus], bundled_index_copy, settings_for, embedder)
    assert (merged.added, merged.papers_total, merged.chunks_embedded) == (3, 51, 3)
    index = open_index(bundled_index_copy, settings_for)
    assert index.store.paper_count() == 51 and index.store.paper("s1") is not None

    rebuilt = run_ingest([corpus], bundled_index_copy, settings_for, embedder, rebuild=True)
    assert (rebuilt.papers_total, rebuilt.chunks_total) == (3, 3)
    assert rebuilt.chunks_embedded == 0  # the embedding cache survives a rebuild
    index = open_index(bundled_index_copy, settings_for)
    assert index.manifest.papers == index.store.paper_count() == 3
    assert sorted(p.paper_id for p in index.store.iter_papers()) == ["s1", "s2", "s3"]
    assert not any("DistServe" in t for t in chunk_texts(index))
    assert index.dense.ntotal == index.lexical.size == 3


# --- refusals --------------------------------------------------------------------------------------------------


def test_index_built_with_another_model_is_refused(bundled_index_dir: Path, settings_for, embedder, tmp_path: Path) -> None:
    other = {"model_name": "sentence-transformers/all-mpnet-base-v2"}
    with pytest.raises(CitewiseError) as info:
        open_index(bundled_index_dir, settings_for, embedding=other)
    assert_one_line_error(info.value, REBUILD_HINT, "all-MiniLM-L6-v2", "all-mpnet-base-v2")
    # an ingest that would mix the two models is refused too, with the same fix
    with pytest.raises(CitewiseError) as info:
        run_ingest([write_jsonl(tmp_path / "s.jsonl", SMALL)], bundled_index_dir, settings_for, embedder, embedding=other)
    assert_one_line_error(info.value, REBUILD_HINT)
    assert open_index(bundled_index_dir, settings_for).manifest.papers == 48  # untouched


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("schema_version", 999, "schema 999"),
        # the int8 encoder before its graph was fused: the same runtime name, other vectors
        ("encoder_id", "sentence-transformers/all-MiniLM-L6-v2@onnx-int8", "@onnx-int8,"),
    ],
)
def test_index_of_another_schema_or_encoder_recipe_is_refused(bundled_index_copy: Path, settings_for, field, value, shown) -> None:
    manifest = current_version_dir(bundled_index_copy) / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data[field] = value
    manifest.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CitewiseError) as info:
        open_index(bundled_index_copy, settings_for)
    assert_one_line_error(info.value, REBUILD_HINT, shown)


# --- the BM25 tokenizer --------------------------------------------------------------------------------------


def _manifest_data(index_dir: Path) -> dict:
    return json.loads((current_version_dir(index_dir) / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_records_the_encoder_and_the_tokenizer(bundled_index_dir: Path, settings_for) -> None:
    data = _manifest_data(bundled_index_dir)
    assert data["encoder_id"] == "sentence-transformers/all-MiniLM-L6-v2@onnx-int8+r2" and "embedding_model" not in data
    assert data["lexical"] == {"stemmer": "english", "stopwords": "en"}
    index = open_index(bundled_index_dir, settings_for)
    # other code tokenizes as the index does; the module-level tokenize is the default (English) one
    assert index.lexical.tokenize(["Quantizes the weights"]) == tokenize(["Quantizes the weights"]) == [["quantiz", "weight"]]


@pytest.mark.parametrize(
    ("setting", "shown"),
    [("lexical_stemmer", "CITEWISE_INDEX__LEXICAL_STEMMER=english"), ("lexical_stopwords", "CITEWISE_INDEX__LEXICAL_STOPWORDS=en")],
)
def test_index_tokenized_otherwise_is_refused(bundled_index_dir: Path, tmp_path: Path, settings_for, embedder, setting, shown) -> None:
    other = {setting: "none"}
    with pytest.raises(CitewiseError) as info:
        open_index(bundled_index_dir, settings_for, index=other)
    assert_one_line_error(info.value, REBUILD_HINT, shown, "'none'")
    # an ingest that would add to it with other terms is refused with the same line
    with pytest.raises(CitewiseError) as again:
        run_ingest([write_jsonl(tmp_path / "s.jsonl", SMALL)], bundled_index_dir, settings_for, embedder, index=other)
    assert str(again.value) == str(info.value)
    assert open_index(bundled_index_dir, settings_for).manifest.papers == 48  # untouched


def test_an_index_is_searched_with_the_tokenizer_it_was_built_with(tmp_path: Path, settings_for, embedder) -> None:
    index_dir, corpus = tmp_path / "index", write_jsonl(tmp_path / "small.jsonl", SMALL)
    plain = {"lexical_stemmer": "none", "lexical_stopwords": "none"}
    run_ingest([corpus], index_dir, settings_for, embedder, index=plain)
    index = open_index(index_dir, settings_for, index=plain)
    assert index.manifest.lexical == LexicalTokenizer(stemmer="none", stopwords="none")
    assert index.lexical.tokenize(["Quantizes the weights"]) == [["quantizes", "the", "weights"]]
    rows, _ = index.lexical.search("quantizes", 3)
    assert [index.store.chunk_at(int(r))[0].paper_id for r in rows] == ["s2"]
    assert len(index.lexical.search("quantize", 3)[0]) == 0  # unstemmed: another word
    # the default settings are refused with the setting that opens it; the other fix named works too
    with pytest.raises(CitewiseError) as info:
        open_index(index_dir, settings_for)
    assert_one_line_error(info.value, REBUILD_HINT, "CITEWISE_INDEX__LEXICAL_STEMMER=none")
    run_ingest([corpus], index_dir, settings_for, embedder, rebuild=True)
    index = open_index(index_dir, settings_for)
    assert index.manifest.lexical == ENGLISH
    rows, _ = index.lexical.search("quantize", 3)
    assert [index.store.chunk_at(int(r))[0].paper_id for r in rows] == ["s2"]


def test_an_unknown_stemmer_is_refused_before_any_work(tmp_path: Path, bundled_index_dir: Path, settings_for, embedder) -> None:
    bad = {"lexical_stemmer": "englsh"}
    with pytest.raises(CitewiseError) as info:
        open_index(bundled_index_dir, settings_for, index=bad)
    assert_one_line_error(info.value, "index.lexical_stemmer 'englsh'", "english", "none")
    with pytest.raises(CitewiseError) as again:
        run_ingest([write_jsonl(tmp_path / "s.jsonl", SMALL)], tmp_path / "index", settings_for, embedder, index=bad)
    assert str(again.value) == str(info.value)
    assert not (tmp_path / "index").exists()


def test_a_manifest_from_before_the_rename_still_opens(bundled_index_copy: Path, tmp_path: Path, settings_for, embedder) -> None:
    """Manifests on users' disks name the encoder "embedding_model" and record no tokenizer (it was English)."""
    path = current_version_dir(bundled_index_copy) / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["embedding_model"] = data.pop("encoder_id")
    del data["lexical"]
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")

    index = open_index(bundled_index_copy, settings_for)
    assert index.manifest.encoder_id == "sentence-transformers/all-MiniLM-L6-v2@onnx-int8+r2"
    assert index.manifest.lexical == ENGLISH
    rows, _ = index.lexical.search("DistServe prefill decoding interference", 5)
    assert index.store.paper_at(int(index.chunk_paper_row[rows[0]])).title.startswith("DistServe")
    with pytest.raises(CitewiseError) as info:
        open_index(bundled_index_copy, settings_for, index={"lexical_stemmer": "none"})
    assert_one_line_error(info.value, REBUILD_HINT, "CITEWISE_INDEX__LEXICAL_STEMMER=english")
    # the next version is written with the new names
    report = run_ingest([write_jsonl(tmp_path / "small.jsonl", SMALL)], bundled_index_copy, settings_for, embedder)
    assert report.version == "v000002"
    data = _manifest_data(bundled_index_copy)
    assert "embedding_model" not in data and data["encoder_id"] == index.manifest.encoder_id
    assert data["lexical"] == {"stemmer": "english", "stopwords": "en"}


def _flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00\xffnot a manifest {")


def _delete(path: Path) -> None:
    path.unlink()


@pytest.mark.parametrize(
    ("name", "damage", "expected"),
    [
        ("dense.faiss", _flip_bytes, "checksum differs"),
        ("vectors.npy", _flip_bytes, "checksum differs"),
        ("store.sqlite", _truncate, "size differs"),
        ("store.sqlite", _flip_bytes, "checksum differs"),
        ("manifest.json", _garbage, "damaged"),
        ("manifest.json", _delete, "no manifest"),
        ("vectors.npy", _delete, "missing"),
    ],
    ids=["flip-dense", "flip-vectors", "truncate-store", "flip-store", "garbage-manifest", "no-manifest", "no-vectors"],
)
def test_corrupt_index_fails_with_the_fix(bundled_index_copy: Path, tmp_path: Path, settings_for, embedder, name, damage, expected) -> None:
    live = current_version_dir(bundled_index_copy)
    damage(live / name)
    with pytest.raises(CitewiseError) as info:
        open_index(bundled_index_copy, settings_for)
    assert_one_line_error(info.value, REBUILD_HINT, expected)
    # a plain ingest refuses to build on it, with the same message
    corpus = write_jsonl(tmp_path / "small.jsonl", SMALL)
    with pytest.raises(CitewiseError) as again:
        run_ingest([corpus], bundled_index_copy, settings_for, embedder)
    assert str(again.value) == str(info.value)
    # ... and the fix it names works
    report = run_ingest([bundled_listing()], bundled_index_copy, settings_for, embedder, rebuild=True)
    assert report.chunks_embedded == 0  # the embedding cache lives outside the versions and survived
    assert open_index(bundled_index_copy, settings_for).manifest.papers == 48


def test_unreadable_file_behind_a_size_only_check_still_fails_cleanly(bundled_index_copy: Path, settings_for) -> None:
    live = current_version_dir(bundled_index_copy)
    dense = live / "dense.faiss"
    data = bytearray(dense.read_bytes())
    data[:8] = b"\xde\xad\xbe\xef" * 2  # same size, header destroyed
    dense.write_bytes(bytes(data))
    with pytest.raises(CitewiseError) as info:
        open_index(bundled_index_copy, settings_for, index={"verify_checksums_max_mb": 0})
    assert_one_line_error(info.value, REBUILD_HINT, "cannot be read")


def test_missing_or_dangling_index(tmp_path: Path, bundled_index_copy: Path, settings_for) -> None:
    with pytest.raises(CitewiseError) as info:
        open_index(tmp_path / "nowhere", settings_for)
    assert_one_line_error(info.value, "citewise ingest")
    (bundled_index_copy / CURRENT_NAME).write_text("v000099\n")
    with pytest.raises(CitewiseError) as info:
        open_index(bundled_index_copy, settings_for)
    assert_one_line_error(info.value, REBUILD_HINT, "v000099")


# --- crash leftovers and the writer lock -----------------------------------------------------------------------


def _plant_stale_build(index_dir: Path) -> Path:
    stale = index_dir / VERSIONS_DIR / ".build-0123456789ab"
    (stale / "bm25").mkdir(parents=True)
    (stale / "store.sqlite").write_bytes(b"half written")
    (stale / "bm25" / "vocab.index.json").write_text("{")
    return stale


def test_stale_build_folders_are_ignored_then_cleaned(bundled_index_copy: Path, tmp_path: Path, settings_for, embedder) -> None:
    stale = _plant_stale_build(bundled_index_copy)
    assert open_index(bundled_index_copy, settings_for).manifest.papers == 48  # never read
    report = run_ingest([write_jsonl(tmp_path / "small.jsonl", SMALL)], bundled_index_copy, settings_for, embedder)
    assert report.version == "v000002"
    assert not stale.exists()
    assert not list((bundled_index_copy / VERSIONS_DIR).glob(".build-*"))


def test_stale_build_folders_are_cleaned_by_an_up_to_date_ingest(bundled_index_copy: Path, settings_for, embedder) -> None:
    stale = _plant_stale_build(bundled_index_copy)
    report = run_ingest([bundled_listing()], bundled_index_copy, settings_for, embedder)
    assert report.version is None
    assert not stale.exists()


LOCK_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from citewise.index.durable import exclusive_lock
    with exclusive_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(120)
    """
)


def test_second_writer_gets_the_lock_error(bundled_index_copy: Path, tmp_path: Path, settings_for, embedder) -> None:
    corpus = write_jsonl(tmp_path / "small.jsonl", SMALL)
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(bundled_index_copy)], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(CitewiseError) as info:
            run_ingest([corpus], bundled_index_copy, settings_for, embedder)
        assert_one_line_error(info.value, "Another ingest is writing", str(bundled_index_copy))
        assert current_version_dir(bundled_index_copy).name == "v000001"
    finally:
        holder.kill()  # SIGKILL: the kernel drops the flock with the process
        holder.wait(timeout=30)
    report = run_ingest([corpus], bundled_index_copy, settings_for, embedder)
    assert report.version == "v000002" and report.papers_total == 51


def test_embedding_cache_lives_beside_the_versions(bundled_index_dir: Path) -> None:
    shards = list((bundled_index_dir / CACHE_DIR).rglob("shard-*.npz"))
    assert shards, "the cache is written as ingest goes"
    assert not list((bundled_index_dir / CACHE_DIR).rglob(".*.tmp"))
