"""The app's commands: ingest, tune, ask, serve and index info (mounted by ``citewise.cli``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from citewise.app.answers import check_backend
from citewise.app.understanding import parse_date
from citewise.errors import CitewiseError
from citewise.cli_options import ConfigOpt, IndexDirOpt, PresetOpt, command_settings, fail

commands = typer.Typer(no_args_is_help=True)
index_commands = typer.Typer(help="Inspect the index.", no_args_is_help=True)
commands.add_typer(index_commands, name="index")


def _human_size(num: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if num < 1024 or unit == "GB":
            return f"{num:.1f} {unit}" if unit != "B" else f"{int(num)} B"
        num /= 1024
    return f"{num:.1f} GB"


@commands.command()
def ingest(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders (.txt listing, .md, .jsonl, .csv, .pdf, a llama-index docstore.json or persist folder). Default: the bundled papers.")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Start over: the index holds only these inputs.")] = False,
    listing_year: Annotated[Optional[int], typer.Option(help="Year for listing dates without one.")] = None,
    reader: Annotated[Optional[str], typer.Option("--reader", help="citewise (default) or llamaindex: llama-index's SimpleDirectoryReader, one paper per file (PDF, DOCX…; needs the 'llamaindex' extra).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    engine: Annotated[str, typer.Option("--engine", help="Where to embed: local (this process) or ray (a Ray cluster; needs the 'ray' extra).")] = "local",
    ray_address: Annotated[Optional[str], typer.Option("--ray-address", help="Ray cluster to embed on (HOST:6379); default: start one on this machine.")] = None,
    index_dir: IndexDirOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
) -> None:
    """Read papers, chunk and embed them, and publish a new index version (crash-safe)."""
    from citewise.ingest.engine import select_engine
    from citewise.ingest.pipeline import ingest as run_ingest
    from citewise.ingest.sources import bundled_listing

    try:
        settings = command_settings(config, preset, index_dir, parsing={"listing_year": listing_year, "reader": reader})
        embedding_engine = select_engine(engine, settings.embedding, ray_address)
        report = run_ingest(paths or [bundled_listing()], settings, rebuild=rebuild, show_progress=not quiet, engine=embedding_engine)
    except CitewiseError as exc:
        fail(exc)
    for skipped in report.skipped:
        typer.secho(f"skipped: {skipped.path}: {skipped.reason}", fg=typer.colors.YELLOW, err=True)
    if report.version is None:
        typer.echo(f"Index is up to date: {report.unchanged} papers unchanged ({report.papers_total} papers, {report.chunks_total} chunks).")
        return
    rate = report.chunks_embedded / report.seconds_embedding if report.seconds_embedding else 0.0
    typer.echo(
        f"Ingested {report.papers_read} papers: {report.added} added, {report.updated} updated, {report.unchanged} unchanged. "
        f"Index {report.version}: {report.papers_total} papers, {report.chunks_total} chunks "
        f"({report.chunks_embedded} embedded at {rate:.1f} chunks/s) in {report.seconds:.1f} s."
    )


@commands.command()
def tune(
    max_pairs: Annotated[Optional[int], typer.Option("--max-pairs", help="Most training pairs per epoch (tuning.max_pairs).")] = None,
    epochs: Annotated[Optional[int], typer.Option(help="Passes over the pairs (tuning.epochs).")] = None,
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", help="Pairs per step (tuning.batch_size).")] = None,
    max_seq_length: Annotated[Optional[int], typer.Option("--max-seq-length", help="Word pieces per text while training.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder to save the model under (default: ~/.cache/citewise/models).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    index_dir: IndexDirOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
) -> None:
    """Adapt the encoder to the indexed papers (their titles and sentences; no labels) and print how to use it."""
    import shlex

    from citewise.ingest.tuning import indexed_corpus, tune_encoder

    tuning = {"max_pairs": max_pairs, "epochs": epochs, "batch_size": batch_size, "max_seq_length": max_seq_length, "output_dir": out}
    try:
        settings = command_settings(config, preset, index_dir, tuning=tuning)
        corpus = indexed_corpus(settings.index_dir)
        report = tune_encoder(corpus.papers, settings, show_progress=not quiet)
    except CitewiseError as exc:
        fail(exc)
    sources = " ".join(shlex.quote(s) for s in corpus.sources) or "PATH..."
    typer.echo(
        f"Tuned {report.base_model} on {report.papers} papers: {report.pairs} pairs, {report.epochs} epoch(s), "
        f"{report.steps} steps in {report.seconds:.0f} s (loss {report.first_loss:.3f} -> {report.last_loss:.3f}).\n"
        f"Saved {report.model_path}\n\n"
        "To use it, put in citewise.toml:\n"
        f'  [embedding]\n  model_name = "{report.model_name}"\n  model_path = "{report.model_path}"\n'
        "or set:\n"
        f"  export CITEWISE_EMBEDDING__MODEL_NAME={shlex.quote(report.model_name)}\n"
        f"  export CITEWISE_EMBEDDING__MODEL_PATH={shlex.quote(str(report.model_path))}\n"
        "then re-embed the index with it (an index keeps one encoder):\n"
        f"  citewise ingest {sources} --rebuild --index-dir {shlex.quote(str(settings.index_dir))}"
    )


@index_commands.command("info")
def index_info(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    index_dir: IndexDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Papers, chunks, model, index type, size on disk and last ingest time."""
    from citewise.index.reader import PaperIndex

    try:
        index = PaperIndex.open(command_settings(config, None, index_dir))
    except CitewiseError as exc:
        fail(exc)
    m = index.manifest
    info = {
        "index_dir": str(index.folder.parent.parent),
        "version": m.version,
        "papers": m.papers,
        "chunks": m.chunks,
        "encoder_id": m.encoder_id,
        "embedding_dim": m.embedding_dim,
        "index_type": m.faiss_type,
        "size_on_disk_bytes": index.size_on_disk(),
        "last_ingest": m.created_at.isoformat(timespec="seconds"),
        "sources": m.sources,
    }
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    rows = [
        ("Index", info["index_dir"]), ("Version", m.version), ("Papers", f"{m.papers:,}"), ("Chunks", f"{m.chunks:,}"),
        ("Model", f"{m.encoder_id} ({m.embedding_dim}-d)"), ("Index type", f"FAISS {m.faiss_type} + BM25"),
        ("Size on disk", _human_size(index.size_on_disk())),
        ("Last ingest", m.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")),
        ("Sources", ", ".join(m.sources) or "-"),
    ]
    for label, value in rows:
        typer.echo(f"{label:<13} {value}")


@commands.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    backend: Annotated[Optional[str], typer.Option(help="extractive (default), local or openai.")] = None,
    top_k: Annotated[Optional[int], typer.Option("--top-k", help="Chunks retrieved.")] = None,
    since: Annotated[Optional[str], typer.Option(help="Only papers from this date (YYYY or YYYY-MM-DD).")] = None,
    until: Annotated[Optional[str], typer.Option(help="Only papers up to this date (YYYY or YYYY-MM-DD).")] = None,
    min_upvotes: Annotated[Optional[int], typer.Option(help="Only papers with at least this many upvotes.")] = None,
    base_url: Annotated[Optional[str], typer.Option(help="OpenAI-compatible endpoint (openai backend).")] = None,
    model: Annotated[Optional[str], typer.Option(help="Model name at the endpoint (openai backend).")] = None,
    index_dir: IndexDirOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
) -> None:
    """Answer a question with citations to the papers and the sentences that support it."""
    from citewise.app.assistant import Assistant

    try:
        backend = check_backend(backend)
        settings = command_settings(config, preset, index_dir, llm={"base_url": base_url, "model": model})
        assistant = Assistant(settings=settings)
        answer = assistant.ask(
            question, backend=backend, top_k=top_k, since=parse_date(since), until=parse_date(until, end=True),
            min_upvotes=min_upvotes,
        )
    except CitewiseError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(answer.public_payload(), ensure_ascii=False, indent=2))
        return
    typer.echo(answer.answer)
    for note in answer.notes:
        typer.secho(f"note: {note}", fg=typer.colors.YELLOW)
    if answer.citations:
        typer.echo("\nReferences")
        for c in answer.citations:
            when = c.date.isoformat() if c.date else "undated"
            where = f", p. {c.page}, {c.section}" if c.page else ""
            typer.echo(f"[{c.marker}] {c.title} ({when}{where}) — support {c.score:.2f}\n    “{c.quote}”")


@commands.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default 7860).")] = None,
    auth: Annotated[Optional[str], typer.Option(help="user:password to require a login.")] = None,
    index_dir: IndexDirOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
) -> None:
    """Start the web UI."""
    try:
        settings = command_settings(config, preset, index_dir, server={"host": host, "port": port, "auth": auth})
        from citewise.app.web.server import launch

        launch(settings)
    except CitewiseError as exc:
        fail(exc)

