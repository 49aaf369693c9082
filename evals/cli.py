"""`citewise eval …`: seed-set evaluation, retrieval benchmarks, run comparison and refusal calibration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from citewise.app.answers import check_backend
from citewise.errors import CitewiseError
from citewise.cli_options import ConfigOpt, IndexDirOpt, PresetOpt, command_settings, fail
from citewise.settings import Settings

eval_commands = typer.Typer(help="Evaluate answers and retrieval; compare runs.", no_args_is_help=True)

OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Runs folder (default: evals.runs_dir, ./runs).")]
DatasetOpt = Annotated[
    Optional[str], typer.Option("--dataset", help="Question set: 'seed' (default), 'heldout', or a JSONL file of questions.")
]
SplitOpt = Annotated[Optional[str], typer.Option("--split", help="Only this split of the set: dev or test (default: all).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]


def _config(settings: Settings, **extra: Any) -> dict[str, Any]:
    """What a run's config hash covers: the settings that change results, and the run's own options."""
    return {**settings.results_config(), **{k: str(v) if isinstance(v, Path) else v for k, v in extra.items()}}


def _ensure_index(settings: Settings, quiet: bool) -> None:
    """Build the bundled index when the index folder holds none (the seed set is written for those papers)."""
    from citewise.index.versions import current_version_dir

    if current_version_dir(settings.index_dir) is not None:
        return
    from citewise.ingest.pipeline import ingest
    from citewise.ingest.sources import bundled_listing

    typer.secho(f"No index at {settings.index_dir}; ingesting the bundled papers first (about a minute).", fg=typer.colors.YELLOW, err=True)
    ingested = ingest([bundled_listing()], settings, show_progress=not quiet)
    typer.echo(f"Indexed {ingested.papers_total} papers ({ingested.chunks_total} chunks) at {settings.index_dir}.", err=True)


def _check_split(split: str | None) -> None:
    if split not in (None, "dev", "test"):
        raise CitewiseError(f"Unknown split '{split}'; use dev or test.")


def _questions(settings: Settings, dataset: str | None, limit: int | None, split: str | None = None):  # noqa: ANN202
    from citewise.evals.datasets import load_seed

    _check_split(split)
    questions = load_seed(dataset or settings.evals.dataset, split)  # type: ignore[arg-type]
    return questions[:limit] if limit else questions


@eval_commands.command("seed")
def seed(
    backend: Annotated[Optional[str], typer.Option(help="extractive (default), local or openai.")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Only the first N questions.")] = None,
    dataset: DatasetOpt = None,
    split: SplitOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
    index_dir: IndexDirOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
) -> None:
    """Run a question set (the seed set by default); write runs/<time>-<hash>/ with report.json, report.md and plots."""
    from citewise.evals import report
    from citewise.evals.seed_run import run_seed, summary_rows, write_seed_run

    try:
        backend = check_backend(backend)
        settings = command_settings(config, preset, index_dir)
        questions = _questions(settings, dataset, limit, split)
        _ensure_index(settings, quiet)
        from citewise.app.assistant import Assistant

        assistant = Assistant(settings=settings)

        def progress(i: int, n: int, row: dict) -> None:
            if not quiet:
                mark = "ok" if row["refusal_correct"] and row.get("answer_correct", True) else "FAIL"
                typer.echo(f"[{i}/{n}] {mark:4} {row['id']} ({row['kind']})", err=True)

        result = run_seed(assistant, questions, backend, progress)
        result["dataset"] = {"name": str(dataset or settings.evals.dataset or "seed"), "split": split or "all"}
        run_config = _config(
            settings, kind="seed", backend=result["backend"], dataset=dataset or settings.evals.dataset, split=split, limit=limit
        )
        folder = write_seed_run(result, out or settings.evals.runs_dir, run_config)
    except CitewiseError as exc:
        fail(exc)
    headers, rows = summary_rows(result)
    typer.echo(report.text_table(headers, rows))
    lat = result["latency_ms"]["total"]
    typer.echo(f"\nlatency p50 {report.fmt(lat['p50'], 0)} ms, p95 {report.fmt(lat['p95'], 0)} ms; {len(result['failures'])} question(s) with problems")
    typer.echo(f"Report: {folder / report.REPORT_MD}")


@eval_commands.command("beir")
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
    from citewise.evals import report
    from citewise.evals.beir_run import DEPTH, run_beir, summary_rows, write_beir_run
    from citewise.evals.datasets import load_benchmark

    try:
        settings = command_settings(config, preset, None)
        bench = load_benchmark(data, split)
        echo = (lambda s: None) if quiet else (lambda s: typer.echo(s, err=True))
        result = run_beir(bench, settings, cache_dir, DEPTH, candidates, evidence, limit, show_progress=not quiet, echo=echo)
        run_config = _config(settings, kind="beir", data=data.resolve(), split=split, limit=limit, candidates=candidates, depth=DEPTH)
        folder = write_beir_run(result, out or settings.evals.runs_dir, run_config)
    except CitewiseError as exc:
        fail(exc)
    headers, rows = summary_rows(result)
    typer.echo(f"{result['dataset']} / {result['split']}: {result['queries']} queries")
    typer.echo(report.text_table(headers, rows))
    if "evidence" in result:
        e = result["evidence"]
        typer.echo(
            f"\nextractive answers to {e['claims']} claims: quote a gold evidence sentence {report.fmt(e['quotes_gold_evidence'])}, "
            f"cite a gold paper {report.fmt(e['cites_gold_doc'])}, refused {report.fmt(e['refused'])}"
        )
    typer.echo(f"Report: {folder / report.REPORT_MD}")


@eval_commands.command("compare")
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
        fail(exc)
    if a.get("kind") != b.get("kind"):
        typer.secho(f"note: comparing a {a.get('kind')} run with a {b.get('kind')} run; only shared metrics line up.", fg=typer.colors.YELLOW, err=True)
    deltas = compare_reports(a, b, tolerance, latency_tolerance)
    typer.echo(render(deltas, Path(run_a).name or "A", Path(run_b).name or "B", only_changed=changed))
    regressions = [d for d in deltas if d.regression]
    if regressions:
        typer.secho(f"\n{len(regressions)} regression(s): " + ", ".join(d.metric for d in regressions), fg=typer.colors.RED)
        raise typer.Exit(1)
    typer.echo("\nNo regressions.")


@eval_commands.command("calibrate")
def calibrate(
    dataset: DatasetOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
    index_dir: IndexDirOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
) -> None:
    """Sweep answer.min_evidence_score on the seed set (extractive); report the best threshold, honestly estimated."""
    from citewise.evals import report
    from citewise.evals.calibrate import run_calibration, write_calibration_run
    from citewise.evals.datasets import resolve_gold, titles_in_index

    try:
        settings = command_settings(config, preset, index_dir)
        questions = _questions(settings, dataset, None)
        _ensure_index(settings, quiet)
        from citewise.app.assistant import Assistant

        assistant = Assistant(settings=settings)
        resolve_gold(questions, titles_in_index(assistant.index))
        result = run_calibration(assistant, questions)
        folder = write_calibration_run(result, out or settings.evals.runs_dir, _config(settings, kind="calibrate", dataset=dataset))
    except CitewiseError as exc:
        fail(exc)
    loo = result["leave_one_out"]
    typer.echo(
        report.text_table(
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
    typer.echo(f"Report: {folder / report.REPORT_MD}")


@eval_commands.command("capture-prompts")
def capture_prompts_command(
    out: Annotated[Path, typer.Option("--out", help="JSONL file of captured prompts to write.")],
    dataset: DatasetOpt = None,
    split: SplitOpt = None,
    quiet: QuietOpt = False,
    index_dir: IndexDirOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
) -> None:
    """Record the exact prompts the openai backend would send for a question set (for recorded-answer runs)."""
    from citewise.evals.recorded import capture_prompts, write_jsonl

    try:
        settings = command_settings(config, preset, index_dir)
        questions = _questions(settings, dataset, None, split)
        _ensure_index(settings, quiet)
        from citewise.app.assistant import Assistant

        progress = None if quiet else (lambda i, n: typer.echo(f"[{i}/{n}]", err=True) if i % 20 == 0 or i == n else None)
        captured = capture_prompts(Assistant(settings=settings), questions, progress)
        write_jsonl(out, captured)
    except CitewiseError as exc:
        fail(exc)
    typer.echo(f"{len(captured)} prompts from {len(questions)} questions (refused and listing questions send none) -> {out}")


@eval_commands.command("verifier")
def verifier(
    split: SplitOpt = None,
    prompts: Annotated[Optional[Path], typer.Option("--prompts", help="Captured prompts (default: the bundled set).")] = None,
    answers: Annotated[Optional[Path], typer.Option("--answers", help="Recorded answers (default: the bundled set).")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Only the first N prompts.")] = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
    index_dir: IndexDirOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
) -> None:
    """Replay recorded answers through the citation check: faithful sentences kept, wrong ones caught per type."""
    from citewise.evals import report
    from citewise.evals.recorded import load_answers, load_prompts
    from citewise.evals.verifier_run import METHODS, run_verifier, summary_rows, write_verifier_run

    try:
        _check_split(split)
        settings = command_settings(config, preset, index_dir)
        captured = [p for p in load_prompts(prompts) if split is None or p.split == split][:limit]
        recorded = load_answers(answers)
        _ensure_index(settings, quiet)
        from citewise.app.assistant import Assistant

        assistants = {
            method: Assistant(settings=settings.model_copy(update={"verifier": settings.verifier.model_copy(update={"checks": method})}))
            for method in (settings.verifier.checks, *(m for m in METHODS if m != settings.verifier.checks))
        }
        progress = None if quiet else (lambda i, n: typer.echo(f"[{i}/{n}]", err=True) if i % 10 == 0 or i == n else None)
        result = run_verifier(assistants, captured, recorded, progress=progress)
        folder = write_verifier_run(result, out or settings.evals.runs_dir, _config(settings, kind="verifier", split=split, limit=limit), split)
    except CitewiseError as exc:
        fail(exc)
    headers, rows = summary_rows(result)
    typer.echo("Recorded answers (written for Citewise's prompts, replayed from a loopback server), not a live model.")
    typer.echo(report.text_table(headers, rows))
    if result["stale_prompts"]:
        typer.secho(f"warning: {len(result['stale_prompts'])} prompt(s) no longer match this index; recapture them.", fg=typer.colors.YELLOW, err=True)
    typer.echo(f"Report: {folder / report.REPORT_MD}")
