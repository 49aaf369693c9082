"""`citewise eval …`: seed-set evaluation, retrieval benchmarks, run comparison and refusal calibration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from citewise.app.models import check_backend
from citewise.errors import CitewiseError
from citewise.settings import Settings, load_settings

eval_app = typer.Typer(help="Evaluate answers and retrieval; compare runs.", no_args_is_help=True)

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="TOML settings file (default: ./citewise.toml).")]
PresetOpt = Annotated[Optional[str], typer.Option("--preset", help="Named preset: fast, thorough.")]
IndexDirOpt = Annotated[Optional[Path], typer.Option("--index-dir", help="Index folder (default: ~/.local/share/citewise/index).")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Runs folder (default: evals.runs_dir, ./runs).")]
DatasetOpt = Annotated[Optional[Path], typer.Option("--dataset", help="Seed question set (default: the bundled seed_qa.jsonl).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]


def _fail(exc: CitewiseError) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _settings(config: Path | None, preset: str | None, index_dir: Path | None) -> Settings:
    return load_settings(config=config, preset=preset, index_dir=index_dir)


def _config(settings: Settings, **extra: Any) -> dict[str, Any]:
    """What a run's config hash covers: the settings that change results, and the run's own options."""
    groups = ("chunking", "embedding", "retrieval", "answer")
    return {**{g: getattr(settings, g).model_dump(mode="json") for g in groups}, **{k: str(v) if isinstance(v, Path) else v for k, v in extra.items()}}


def _ensure_index(settings: Settings, quiet: bool) -> None:
    """Build the bundled index when the index folder holds none (the seed set is written for those papers)."""
    from citewise.index.versions import current_version_dir

    if current_version_dir(settings.index_dir) is not None:
        return
    from citewise.ingest.pipeline import ingest
    from citewise.ingest.sources import bundled_listing

    typer.secho(f"No index at {settings.index_dir}; ingesting the bundled papers first (about a minute).", fg=typer.colors.YELLOW, err=True)
    report = ingest([bundled_listing()], settings, show_progress=not quiet)
    typer.echo(f"Indexed {report.papers_total} papers ({report.chunks_total} chunks) at {settings.index_dir}.", err=True)


def _questions(settings: Settings, dataset: Path | None, limit: int | None):  # noqa: ANN202
    from citewise.evals.datasets import load_seed

    questions = load_seed(dataset or settings.evals.dataset)
    return questions[:limit] if limit else questions


@eval_app.command("seed")
def seed(
    backend: Annotated[Optional[str], typer.Option(help="extractive (default), local or openai.")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Only the first N questions.")] = None,
    dataset: DatasetOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
    index_dir: IndexDirOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
) -> None:
    """Run the seed question set; write runs/<time>-<hash>/ with report.json, report.md and plots."""
    from citewise.evals import report as R
    from citewise.evals.seed_run import run_seed, summary_rows, write_seed_run

    try:
        backend = check_backend(backend)
        settings = _settings(config, preset, index_dir)
        questions = _questions(settings, dataset, limit)
        _ensure_index(settings, quiet)
        from citewise.app.assistant import Assistant

        assistant = Assistant(settings=settings)

        def progress(i: int, n: int, row: dict) -> None:
            if not quiet:
                mark = "ok" if row["refusal_correct"] and row.get("answer_correct", True) else "FAIL"
                typer.echo(f"[{i}/{n}] {mark:4} {row['id']} ({row['kind']})", err=True)

        result = run_seed(assistant, questions, backend, progress)
        run_config = _config(settings, kind="seed", backend=result["backend"], dataset=dataset or settings.evals.dataset, limit=limit)
        folder = write_seed_run(result, out or settings.evals.runs_dir, run_config)
    except CitewiseError as exc:
        _fail(exc)
    headers, rows = summary_rows(result)
    typer.echo(R.text_table(headers, rows))
    lat = result["latency_ms"]["total"]
    typer.echo(f"\nlatency p50 {R.fmt(lat['p50'], 0)} ms, p95 {R.fmt(lat['p95'], 0)} ms; {len(result['failures'])} question(s) with problems")
    typer.echo(f"Report: {folder / R.REPORT_MD}")


@eval_app.command("beir")
def beir(
    data: Annotated[Path, typer.Option("--data", help="Folder in SciFact (corpus.jsonl, claims_<split>.jsonl) or BEIR layout.")],
    split: Annotated[str, typer.Option("--split", help="Split name: claims_<split>.jsonl or qrels/<split>.tsv.")] = "test",
    out: OutOpt = None,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="Where corpus indexes are cached (default: ~/.cache/citewise/beir).")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Only the first N queries.")] = None,
    candidates: Annotated[int, typer.Option(help="Chunks drawn from each of the dense and BM25 lists.")] = 300,
    evidence: Annotated[bool, typer.Option("--evidence/--no-evidence", help="Also check extractive answers against SciFact rationales.")] = True,
    quiet: QuietOpt = False,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
) -> None:
    """bm25, dense and hybrid retrieval side by side (nDCG@10, Recall@100, MAP) on a benchmark corpus."""
    from citewise.evals import report as R
    from citewise.evals.beir_run import DEPTH, run_beir, summary_rows, write_beir_run
    from citewise.evals.datasets import load_benchmark

    try:
        settings = _settings(config, preset, None)
        bench = load_benchmark(data, split)
        echo = (lambda s: None) if quiet else (lambda s: typer.echo(s, err=True))
        result = run_beir(bench, settings, cache_dir, DEPTH, candidates, evidence, limit, show_progress=not quiet, echo=echo)
        run_config = _config(settings, kind="beir", data=data.resolve(), split=split, limit=limit, candidates=candidates, depth=DEPTH)
        folder = write_beir_run(result, out or settings.evals.runs_dir, run_config)
    except CitewiseError as exc:
        _fail(exc)
    headers, rows = summary_rows(result)
    typer.echo(f"{result['dataset']} / {result['split']}: {result['queries']} queries")
    typer.echo(R.text_table(headers, rows))
    if "evidence" in result:
        e = result["evidence"]
        typer.echo(
            f"\nextractive answers to {e['claims']} claims: quote a gold evidence sentence {R.fmt(e['quotes_gold_evidence'])}, "
            f"cite a gold paper {R.fmt(e['cites_gold_doc'])}, refused {R.fmt(e['refused'])}"
        )
    typer.echo(f"Report: {folder / R.REPORT_MD}")


@eval_app.command("compare")
def compare(
    run_a: Annotated[Path, typer.Argument(help="Baseline run folder (or its report.json).")],
    run_b: Annotated[Path, typer.Argument(help="New run folder (or its report.json).")],
    tolerance: Annotated[float, typer.Option(help="Largest acceptable drop of a score (absolute).")] = 0.02,
    latency_tolerance: Annotated[float, typer.Option(help="Largest acceptable latency growth (relative, 0.5 = +50%).")] = 0.5,
    changed: Annotated[bool, typer.Option("--changed", help="Only metrics that changed.")] = False,
) -> None:
    """Metric deltas from RUN_A to RUN_B; exits 1 when something regressed beyond the tolerance."""
    from citewise.evals.compare import compare_reports, render
    from citewise.evals.report import load_report

    try:
        a, b = load_report(run_a), load_report(run_b)
    except CitewiseError as exc:
        _fail(exc)
    if a.get("kind") != b.get("kind"):
        typer.secho(f"note: comparing a {a.get('kind')} run with a {b.get('kind')} run; only shared metrics line up.", fg=typer.colors.YELLOW, err=True)
    deltas = compare_reports(a, b, tolerance, latency_tolerance)
    typer.echo(render(deltas, Path(run_a).name or "A", Path(run_b).name or "B", only_changed=changed))
    regressions = [d for d in deltas if d.regression]
    if regressions:
        typer.secho(f"\n{len(regressions)} regression(s): " + ", ".join(d.metric for d in regressions), fg=typer.colors.RED)
        raise typer.Exit(1)
    typer.echo("\nNo regressions.")


@eval_app.command("calibrate")
def calibrate(
    dataset: DatasetOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
    index_dir: IndexDirOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
) -> None:
    """Sweep answer.min_evidence_score on the seed set (extractive); report the best threshold, honestly estimated."""
    from citewise.evals import report as R
    from citewise.evals.calibrate import run_calibration, write_calibration_run
    from citewise.evals.datasets import resolve_gold, titles_in_index

    try:
        settings = _settings(config, preset, index_dir)
        questions = _questions(settings, dataset, None)
        _ensure_index(settings, quiet)
        from citewise.app.assistant import Assistant

        assistant = Assistant(settings=settings)
        resolve_gold(questions, titles_in_index(assistant.index))
        result = run_calibration(assistant, questions)
        folder = write_calibration_run(result, out or settings.evals.runs_dir, _config(settings, kind="calibrate", dataset=dataset))
    except CitewiseError as exc:
        _fail(exc)
    loo = result["leave_one_out"]
    typer.echo(
        R.text_table(
            ["threshold", "value", "refusal accuracy"],
            [
                ["configured", result["configured_threshold"], result["configured_accuracy"]],
                ["best (in-sample)", result["best_threshold"], result["best_accuracy_in_sample"]],
                ["leave-one-out", f"{loo['threshold_min']:.2f}-{loo['threshold_max']:.2f}", loo["accuracy"]],
            ],
        )
    )
    if result["engine_mismatches"]:
        typer.secho(f"warning: mirrored refusal rule disagrees with the assistant on {result['engine_mismatches']}", fg=typer.colors.YELLOW, err=True)
    typer.echo(f"Report: {folder / R.REPORT_MD}")
