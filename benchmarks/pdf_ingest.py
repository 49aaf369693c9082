"""Ingesting full papers from PDF: pages/s and papers/s, the time split between text extraction and embedding,
and what 1,000 ten-page papers would take on this machine.

    nice -n 10 .venv/bin/python benchmarks/pdf_ingest.py [--papers 100] [--sentences-per-section 40]

Generates the papers first (tests/pdf_papers.py: two columns, running headers, hyphenation, references; not
timed), then runs one `ingest` of the folder into a fresh index with a fresh embedding cache. Reading the PDFs
(pypdfium2 + layout + sentences) is timed by wrapping the pipeline's read step; embedding is the pipeline's own
figure; the rest (chunking, token counting, writing FAISS/BM25/SQLite) is what remains. Results:
benchmarks/out/pdf_ingest.json and the table in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from _common import OUT_DIR, ROOT

sys.path.insert(0, str(ROOT))
from tests.pdf_papers import make_paper  # noqa: E402

OUT = OUT_DIR / "pdf_ingest.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100)
    parser.add_argument("--sentences-per-section", type=int, default=40)
    args = parser.parse_args()

    from citewise.ingest import pipeline
    from citewise.ingest.embedding import Embedder
    from citewise.settings import load_settings

    with tempfile.TemporaryDirectory() as folder:
        papers_dir = Path(folder) / "papers"
        papers_dir.mkdir()
        generated = [make_paper(papers_dir / f"paper-{i:03d}.pdf", seed=i, sentences_per_section=args.sentences_per_section) for i in range(args.papers)]
        pages = sum(g.pages for g in generated)
        settings = load_settings(index_dir=Path(folder) / "index")
        embedder = Embedder(settings.embedding)
        embedder.count_tokens(["warm up"])
        embedder.encode_query("warm up")  # the model loads before the clock starts, as in a long-running ingest
        read_seconds = 0.0
        read_papers = pipeline.read_papers

        def timed_read(*a, **k):
            nonlocal read_seconds
            started = time.perf_counter()
            try:
                return read_papers(*a, **k)
            finally:
                read_seconds += time.perf_counter() - started

        pipeline.read_papers = timed_read
        try:
            report = pipeline.ingest([papers_dir], settings, show_progress=True, embedder=embedder)
        finally:
            pipeline.read_papers = read_papers
    assert report.papers_total == args.papers and not report.skipped, report.skipped
    other = report.seconds - read_seconds - report.seconds_embedding
    chunks_per_page = report.chunks_total / pages
    ten_page_papers = 1000
    estimate = ten_page_papers * 10 * (read_seconds / pages + chunks_per_page * report.seconds_embedding / report.chunks_total + other / pages)
    result = {
        "papers": args.papers,
        "pages": pages,
        "chunks": report.chunks_total,
        "seconds_total": round(report.seconds, 1),
        "seconds_extraction": round(read_seconds, 1),
        "seconds_embedding": round(report.seconds_embedding, 1),
        "seconds_other": round(other, 1),
        "pages_per_s": round(pages / report.seconds, 2),
        "papers_per_s": round(args.papers / report.seconds, 3),
        "extraction_pages_per_s": round(pages / read_seconds, 1),
        "embedding_chunks_per_s": round(report.chunks_total / report.seconds_embedding, 1),
        "estimate_1000_ten_page_papers_min": round(estimate / 60, 1),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
