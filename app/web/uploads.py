"""Papers users upload: accepted types only, within the size limit, kept under a safe name inside the upload
folder, then ingested into the live index (the Assistant reopens it)."""

from __future__ import annotations

import filecmp
import re
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

from citewise.app.assistant import Assistant
from citewise.app.web.render import escape_markdown
from citewise.errors import CitewiseError
from citewise.ingest.pipeline import IngestReport, ingest
from citewise.ingest.sources import SUPPORTED_SUFFIXES
from citewise.settings import Settings

MAX_NAME_CHARS = 120


def upload_folder(settings: Settings) -> Path:
    return (settings.server.upload_dir or settings.index_dir.parent / "uploads").expanduser().resolve()


def safe_filename(name: str) -> str:
    """The last part of ``name`` in letters, digits, '.', '-' and '_': '../../x.txt' and 'C:\\x.txt' become 'x.txt'."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name))[-1]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._-")
    suffix = Path(base).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CitewiseError(f"{name}: {suffix or 'this'} files are not accepted; upload {', '.join(sorted(SUPPORTED_SUFFIXES))}.")
    stem = Path(base).stem[: MAX_NAME_CHARS - len(suffix)] or "upload"
    return stem + suffix


def upload_target(source: Path, name: str, upload_dir: Path, max_mb: float) -> Path:
    """Where an uploaded file will be kept; refuses other types and files over ``max_mb``."""
    size_mb = source.stat().st_size / 1e6
    if size_mb > max_mb:
        raise CitewiseError(f"{name} is {size_mb:.1f} MB; uploads are limited to {max_mb:g} MB (server.upload_max_mb).")
    target = upload_dir / safe_filename(name)
    if target.resolve().parent != upload_dir.resolve():  # cannot happen after safe_filename; checked all the same
        raise CitewiseError(f"{name}: not a plain file name.")
    return target


def keep_upload(source: Path, target: Path) -> Path:
    """Copy ``source`` to ``target``, or beside it as name-2.pdf, name-3.pdf… when another file took the name;
    the same file uploaded again lands on its earlier copy."""
    candidate, number = target, 1
    while candidate.exists():
        if filecmp.cmp(source, candidate, shallow=False):
            return candidate
        number += 1
        candidate = target.with_name(f"{target.stem}-{number}{target.suffix}")
    shutil.copyfile(source, candidate)
    return candidate


def ingest_uploads(
    files: Sequence[Path],
    assistant: Assistant,
    upload_dir: Path,
    max_mb: float,
    on_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Check every file first (one refused file stores none), keep them, ingest them and reopen the index."""
    targets = [(Path(f), upload_target(Path(f), Path(f).name, upload_dir, max_mb)) for f in files]
    if not targets:
        raise CitewiseError("Choose one or more files to upload first.")
    upload_dir.mkdir(parents=True, exist_ok=True)
    kept = [keep_upload(source, target) for source, target in targets]
    report = ingest(kept, assistant.settings, show_progress=False, embedder=assistant.embedder, on_progress=on_progress)
    if report.version is not None:
        assistant.reload()
    return report


def report_markdown(report: IngestReport, upload_dir: Path) -> str:
    """What the ingest did, in words; file names only (the server's folders are not shown)."""
    if report.version is None:
        lines = [f"Nothing new: the {report.unchanged} paper(s) in these files are already indexed."]
    else:
        lines = [
            f"**Done.** Ingested {report.papers_read} paper(s): {report.added} added, {report.updated} updated, "
            f"{report.unchanged} unchanged. The index now holds {report.papers_total} papers ({report.chunks_total} chunks); "
            "new questions use it."
        ]
    for skipped in report.skipped:
        reason = skipped.reason.replace(f"{upload_dir}/", "")
        lines.append(f"- skipped {escape_markdown(Path(skipped.path).name)}: {escape_markdown(reason)}")
    return "\n".join(lines)
