"""`citewise tune`: the configured encoder, fine-tuned on the indexed papers' own text (no labels), on CPU.

Pairs come from ``training_pairs``; the loss is sentence-transformers' MultipleNegativesRankingLoss (every other
pair of a batch is a negative), run in a plain torch loop, which needs neither ``datasets`` nor ``accelerate``.
The model is saved under ``tuning.output_dir`` as ``tuned-<hash of its weights>`` and named after that hash, so
an index built with it records an encoder id no other model has, and its ONNX export is cached apart."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from statistics import fmean

from pydantic import BaseModel, Field

from citewise.cache import models_cache_dir
from citewise.errors import CitewiseError
from citewise.index.durable import file_sha256
from citewise.index.manifest import Manifest
from citewise.index.store import STORE_NAME, Store
from citewise.index.versions import current_version_dir
from citewise.ingest.embedding import Embedder
from citewise.ingest.training_pairs import TrainingPair, corpus_pairs, distinct_paper_batches
from citewise.records import Paper
from citewise.settings import Settings

REPORT_NAME = "citewise_tuning.json"
WARMUP_SHARE = 0.1
LOSS_WINDOW = 10  # steps averaged for the first and last loss reported


class TuneReport(BaseModel):
    """What was tuned, on what, and how it went; saved beside the model as ``citewise_tuning.json``."""

    model_path: Path
    model_name: str
    base_model: str
    papers: int
    pairs: int
    steps: int
    epochs: int
    first_loss: float = Field(description="Mean loss of the first steps (in-batch negatives: lower is better).")
    last_loss: float = Field(description="Mean loss of the last steps.")
    seconds: float


def tuned_model_name(base_name: str, digest: str) -> str:
    """``all-MiniLM-L6-v2-tuned-<digest>``: a tuned model's own name, whatever it was tuned from."""
    return f"{base_name.rsplit('/', 1)[-1].split('-tuned-')[0]}-tuned-{digest}"


class IndexedCorpus(BaseModel):
    papers: list[Paper]
    sources: list[str] = Field(description="The files the index was ingested from (to re-ingest them).")


def indexed_corpus(index_dir: Path) -> IndexedCorpus:
    """The live version's papers and sources, whichever encoder built it (only their text is read)."""
    folder = current_version_dir(index_dir)
    if folder is None:
        raise CitewiseError(f"No index at {index_dir}. Run `citewise ingest PATH...` first (or pass --index-dir).")
    manifest = Manifest.read(folder)
    try:
        store = Store(folder / STORE_NAME)
        try:
            papers = store.all_papers()
        finally:
            store.close()
    except sqlite3.Error:
        raise CitewiseError(f"Index at {index_dir} cannot be read. Run `citewise ingest --rebuild`.") from None
    return IndexedCorpus(papers=papers, sources=manifest.sources)


def _train(model, epochs: list[list[list[TrainingPair]]], settings: Settings, show_progress: bool) -> list[float]:  # noqa: ANN001
    """Per-step losses of MultipleNegativesRankingLoss, with AdamW and a linear warm-up and decay."""
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    tuning = settings.tuning
    torch.manual_seed(tuning.seed)
    loss_fn = MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=tuning.learning_rate)
    total = sum(len(batches) for batches in epochs)
    schedule = get_linear_schedule_with_warmup(optimizer, int(WARMUP_SHARE * total), total)
    losses: list[float] = []
    model.train()
    with tqdm(total=total, desc="Tuning", unit="step", disable=not show_progress) as bar:
        for epoch, batches in enumerate(epochs, 1):
            for batch in batches:
                features = [model.preprocess([p.anchor for p in batch]), model.preprocess([p.positive for p in batch])]
                loss = loss_fn(features, None)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                losses.append(float(loss.item()))
                bar.set_postfix(epoch=epoch, loss=f"{losses[-1]:.3f}")
                bar.update()
    model.eval()
    return losses


def _publish(model, report: TuneReport, parent: Path) -> TuneReport:  # noqa: ANN001
    """Saved aside, named by the hash of its weights, then renamed into place: never half a model folder."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=".tuning-"))
    except OSError as exc:
        raise CitewiseError(f"Cannot write the tuned model under {parent} ({exc.strerror}); set tuning.output_dir to a writable folder.") from None
    try:
        model.save(str(staging), create_model_card=False)
        digest = file_sha256(staging / "model.safetensors")[:12]
        target = parent / f"tuned-{digest}"
        report = report.model_copy(update={"model_path": target.resolve(), "model_name": tuned_model_name(report.base_model, digest)})
        (staging / REPORT_NAME).write_text(report.model_dump_json(indent=2), encoding="utf-8")
        if not target.exists():  # the same weights again: the folder is already there
            os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def tune_encoder(papers: list[Paper], settings: Settings, show_progress: bool = True) -> TuneReport:
    """Fine-tune ``settings.embedding``'s model on ``papers`` (those of an index: ``indexed_corpus``)."""
    tuning = settings.tuning
    rng = random.Random(tuning.seed)
    pairs = corpus_pairs(papers, tuning.sentences_per_paper, tuning.max_pairs, rng)
    if len(pairs) < 2:
        raise CitewiseError(f"{len(papers)} paper(s) give too little text to tune on ({len(pairs)} pair); ingest more papers first.")
    embedder = Embedder(settings.embedding)
    started = time.perf_counter()
    model = embedder.model
    window = model.max_seq_length
    model.max_seq_length = min(tuning.max_seq_length, window)
    epochs = [distinct_paper_batches(pairs, tuning.batch_size, rng) for _ in range(tuning.epochs)]
    losses = _train(model, epochs, settings, show_progress)
    model.max_seq_length = window  # the saved model keeps the window chunks are sized for
    report = TuneReport(
        model_path=embedder.model_path, model_name=settings.embedding.model_name, base_model=settings.embedding.model_name,
        papers=len(papers), pairs=len(pairs), steps=len(losses), epochs=tuning.epochs,
        first_loss=round(fmean(losses[:LOSS_WINDOW]), 4), last_loss=round(fmean(losses[-LOSS_WINDOW:]), 4),
        seconds=round(time.perf_counter() - started, 1),
    )
    return _publish(model, report, tuning.output_dir or models_cache_dir())
