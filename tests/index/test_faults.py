"""Faults during ingest and damage at rest: nothing a user already had is lost.

* ``kill -9`` of a real ``citewise ingest`` process at four exact points of its write path. Each child carries an
  audit hook (``sys.addaudithook``, instrumentation only) that SIGSTOPs it when it opens, creates or renames the
  file that marks the point; the test sees the stopped state in /proc and sends SIGKILL, so no kill lands by
  timing luck. test_crash_safety.py covers a kill after the first cache shard and a kill once the build folder
  appears; these are the points in between and after.
* A full disk (a real tmpfs) while the version is written and while an embedding-cache shard is saved.
* Damage at rest not covered by test_index.py: the CURRENT pointer, a truncated FAISS file and manifest, BM25
  and chunk-metadata files; each is refused in one line that names the fix, and the fix works.

After every fault the previous version opens, searches, and a long-running Assistant reloads it and answers as
before; the next ingest completes.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citewise.app.assistant import Assistant
from citewise.cli import cli as cli_app
from citewise.errors import CitewiseError
from citewise.index.reader import PaperIndex
from citewise.index.versions import CURRENT_NAME, VERSIONS_DIR, current_version_dir
from citewise.ingest.pipeline import CACHE_DIR, ingest
from citewise.ingest.sources import bundled_listing
from tests.figures import record
from tests.index.test_crash_safety import assert_index_answers, build_dirs, kill_9

pytestmark = pytest.mark.slow

REBUILD_HINT = "citewise ingest --rebuild"
BUNDLED_PAPERS = 48
NEW_PAPERS = [
    {"_id": "f1", "title": "Alpha: Speculative Decoding Revisited", "text": "Alpha reduces latency with speculative decoding. It drafts with a small model."},
    {"_id": "f2", "title": "Beta: Four-Bit Weights", "text": "Beta quantizes weights to four bits. Accuracy is kept."},
    {"_id": "f3", "title": "Gamma: Cross-Request KV Reuse", "text": "Gamma caches key-value tensors across requests."},
]
STOP_TIMEOUT_S = 420  # start-up of four torch processes at once on two shared cores

# The child: stop itself (SIGSTOP) at the first audit event matching the pattern, then run the real CLI.
STOPPER = textwrap.dedent(
    """
    import os, re, signal, sys
    event, pattern = sys.argv.pop(1), re.compile(sys.argv.pop(1))
    def stop_at_point(name, args):
        if name == event and pattern.search(" ".join(map(str, args[:2]))):
            os.kill(os.getpid(), signal.SIGSTOP)
    sys.addaudithook(stop_at_point)
    from citewise.cli import main
    main()
    """
)
# point -> (audit event, pattern over its first two arguments); in the order ingest reaches them
KILL_POINTS = {
    "embedding: a cache shard saved, not yet renamed": ("os.rename", r"/\.shard-\w+\.npz\.tmp "),
    "writing: store done, vectors next": ("open", r"/\.build-\w+/vectors\.npy w"),
    "publishing: complete build, before its rename": ("os.rename", r"/\.build-\w+ \S+/v\d{6}$"),
    "publishing: renamed, CURRENT not yet flipped": ("os.rename", r"\.CURRENT\.tmp-\d+ \S+/CURRENT$"),
}


def one_line(exc: CitewiseError, *fragments: str) -> str:
    message = str(exc)
    assert message and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.fixture(scope="module")
def new_papers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("new-papers") / "new.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in NEW_PAPERS), encoding="utf-8")
    return path


class Reloading:
    """One long-running Assistant, as a server keeps; ``look_at`` points it at an index and reloads it."""

    def __init__(self, link: Path, assistant: Assistant) -> None:
        self.link, self.assistant = link, assistant

    def look_at(self, index_dir: Path) -> Assistant:
        self.link.unlink()
        self.link.symlink_to(index_dir)
        self.assistant.reload()
        return self.assistant


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, bundled_index_dir: Path, settings_for) -> Reloading:
    link = tmp_path_factory.mktemp("served") / "index"
    link.symlink_to(bundled_index_dir)
    return Reloading(link, Assistant(settings=settings_for(link)))


@pytest.fixture(scope="module")
def reference_quotes(server: Reloading, bundled_index_dir: Path) -> list[str]:
    return [c.quote for c in server.look_at(bundled_index_dir).ask("How does DistServe work?").citations]


def assert_previous_version_serves(index_dir: Path, server: Reloading, reference_quotes: list[str], settings_for, embedder) -> None:
    assert current_version_dir(index_dir).name == "v000001"
    assert_index_answers(index_dir, settings_for, embedder, papers=BUNDLED_PAPERS, version="v000001")
    answer = server.look_at(index_dir).ask("How does DistServe work?")
    assert [c.quote for c in answer.citations] == reference_quotes


def assert_rerun_completes(index_dir: Path, new_papers: Path, server: Reloading, settings_for, embedder) -> dict:
    report = ingest([new_papers], settings_for(index_dir), show_progress=False, embedder=embedder)
    assert report.papers_total == BUNDLED_PAPERS + len(NEW_PAPERS) and report.added == len(NEW_PAPERS)
    assert not build_dirs(index_dir)
    assert_index_answers(index_dir, settings_for, embedder, papers=report.papers_total, version=report.version)
    answer = server.look_at(index_dir).ask("What does Alpha reduce?")
    assert any(c.title.startswith("Alpha") for c in answer.citations), answer.answer
    return {"re-run": f"{report.version} live, {report.papers_total} papers", "re-run embedded chunks": report.chunks_embedded}


# --- kill -9 at exact points ------------------------------------------------------------------------------------


def process_state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@pytest.fixture(scope="module")
def stopped_ingests(tmp_path_factory: pytest.TempPathFactory, bundled_index_dir: Path, new_papers: Path):
    """One `citewise ingest` per kill point, all started at once (their start-up overlaps), each stopped at its point."""
    runs: dict[str, tuple[subprocess.Popen, Path, Path]] = {}
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "CITEWISE_EMBEDDING__THREADS": "1"}
    try:
        for i, (point, (event, pattern)) in enumerate(KILL_POINTS.items()):
            base = tmp_path_factory.mktemp(f"kill-{i}")
            index_dir = base / "index"
            shutil.copytree(bundled_index_dir, index_dir)  # v000001 and its embedding cache
            log = base / "ingest.log"
            command = [sys.executable, "-c", STOPPER, event, pattern, "ingest", str(new_papers), "--index-dir", str(index_dir), "--quiet"]
            with log.open("w") as handle:
                runs[point] = (subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=base), index_dir, log)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for point, (proc, _, log) in runs.items():
            while proc.poll() is None and process_state(proc.pid) != "T":
                assert time.monotonic() < deadline, f"{point}: not reached in {STOP_TIMEOUT_S} s"
                time.sleep(0.05)
            assert proc.poll() is None, f"{point}: ingest finished ({proc.returncode}) without reaching it:\n{log.read_text()[-2000:]}"
        yield runs
    finally:
        for proc, _, _ in runs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_kill_9_at_each_point_loses_nothing(
    point: str, stopped_ingests, new_papers: Path, server: Reloading, reference_quotes, settings_for, embedder
) -> None:
    proc, index_dir, _ = stopped_ingests[point]
    kill_9(proc)  # SIGKILL reaches a stopped process too
    versions = index_dir / VERSIONS_DIR
    leftovers = sorted(p.name for p in versions.iterdir() if p.name != "v000001")
    leftovers += sorted(p.name for p in (index_dir / CACHE_DIR).rglob(".shard-*.tmp"))
    if point.startswith("embedding"):
        assert not build_dirs(index_dir) and any(name.endswith(".npz.tmp") for name in leftovers)
    elif point.startswith("publishing: renamed"):
        assert leftovers == ["v000002"]  # complete, but never made live
    else:
        assert len(build_dirs(index_dir)) == 1
    assert_previous_version_serves(index_dir, server, reference_quotes, settings_for, embedder)
    outcome = assert_rerun_completes(index_dir, new_papers, server, settings_for, embedder)
    if point.startswith("embedding"):  # the shard being saved was never published: its chunks are embedded again
        assert outcome["re-run embedded chunks"] > 0
    else:
        assert outcome["re-run embedded chunks"] == 0  # the killed run's shards were kept
    record("faults", {f"kill -9 ({point})": {"left behind": leftovers, "previous version served": True, **outcome}})


# --- a full disk -------------------------------------------------------------------------------------------------


def _mount(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True)


@pytest.fixture
def small_disk(tmp_path: Path, bundled_index_dir: Path):
    """A real tmpfs holding a copy of the bundled index; shrink it with ``.resize(free_bytes)``."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = _mount(["-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)])
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({mounted.stderr.strip()}); the full-disk test needs one")

    class Disk:
        index_dir = mount_point / "index"

        def free(self) -> int:
            stats = os.statvfs(mount_point)
            return stats.f_bavail * stats.f_frsize

        def resize(self, free_bytes: int) -> None:
            stats = os.statvfs(mount_point)
            used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
            result = _mount(["-o", f"remount,size={(used + free_bytes) // 4096 * 4096}", str(mount_point)])
            assert result.returncode == 0, result.stderr

    shutil.copytree(bundled_index_dir, Disk.index_dir)
    try:
        yield Disk()
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=True)  # the module's Assistant still maps its files


def test_full_disk_while_writing_the_version(small_disk, new_papers: Path, server: Reloading, reference_quotes, settings_for, embedder) -> None:
    version_bytes = sum(f.stat().st_size for f in current_version_dir(small_disk.index_dir).rglob("*") if f.is_file())
    small_disk.resize(256 * 1024)  # room for the new papers' cache shard, not for a new version
    assert small_disk.free() < version_bytes
    with pytest.raises(CitewiseError) as info:
        ingest([bundled_listing(), new_papers], settings_for(small_disk.index_dir), show_progress=False, embedder=embedder)
    message = one_line(info.value, "disk space", str(small_disk.index_dir), "previous index version is unchanged")
    assert not build_dirs(small_disk.index_dir)  # the half-written version gave its space back
    assert_previous_version_serves(small_disk.index_dir, server, reference_quotes, settings_for, embedder)
    small_disk.resize(16 * 1024 * 1024)  # the user frees space
    outcome = assert_rerun_completes(small_disk.index_dir, new_papers, server, settings_for, embedder)
    assert outcome["re-run embedded chunks"] == 0  # the vectors computed before the disk filled were kept
    record("faults", {"disk full while writing the version": {"message": message, "previous version served": True, **outcome}})


def test_full_disk_while_saving_embeddings(small_disk, new_papers: Path, server: Reloading, reference_quotes, settings_for, embedder) -> None:
    small_disk.resize(2 * 1024 * 1024)
    filler = small_disk.index_dir.parent / "filler"
    with filler.open("wb", buffering=0) as handle, pytest.raises(OSError) as full:  # another program takes the rest
        while True:
            handle.write(b"\0" * 4096)
    assert full.value.errno == errno.ENOSPC
    with pytest.raises(CitewiseError) as info:
        ingest([new_papers], settings_for(small_disk.index_dir), show_progress=False, embedder=embedder)
    message = one_line(info.value, "disk space")
    assert not list((small_disk.index_dir / CACHE_DIR).rglob(".shard-*.tmp"))  # no half shard kept
    assert_previous_version_serves(small_disk.index_dir, server, reference_quotes, settings_for, embedder)
    filler.unlink()  # the user frees space
    outcome = assert_rerun_completes(small_disk.index_dir, new_papers, server, settings_for, embedder)
    record("faults", {"disk full while saving embeddings": {"message": message, "previous version served": True, **outcome}})


# --- damage at rest ----------------------------------------------------------------------------------------------


def _truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _scramble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[: len(data) // 2] = bytes(b ^ 0x5A for b in data[: len(data) // 2])
    path.write_bytes(bytes(data))


DAMAGE = {
    "CURRENT: binary garbage": (CURRENT_NAME, lambda p: p.write_bytes(b"\xff\xfe\x00\x9cgarbage"), "damaged CURRENT pointer"),
    "CURRENT: empty": (CURRENT_NAME, lambda p: p.write_bytes(b""), "damaged CURRENT pointer"),
    "CURRENT: points outside versions/": (CURRENT_NAME, lambda p: p.write_text("../../..\n"), "damaged CURRENT pointer"),
    "dense.faiss: truncated": ("dense.faiss", _truncate, "size differs"),
    "manifest.json: truncated": ("manifest.json", _truncate, "damaged"),
    "bm25 vocabulary: scrambled": ("bm25/vocab.index.json", _scramble, "checksum differs"),
    "chunk_meta.npz: truncated": ("chunk_meta.npz", _truncate, "size differs"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_index_is_refused_in_one_line_and_the_fix_works(damage: str, bundled_index_copy: Path, settings_for, embedder) -> None:
    name, spoil, expected = DAMAGE[damage]
    spoil(bundled_index_copy / name if name == CURRENT_NAME else current_version_dir(bundled_index_copy) / name)
    with pytest.raises(CitewiseError) as info:
        PaperIndex.open(settings_for(bundled_index_copy))
    message = one_line(info.value, REBUILD_HINT, expected)
    shown = CliRunner().invoke(cli_app, ["index", "info", "--index-dir", str(bundled_index_copy)])
    assert shown.exit_code == 2 and shown.output.strip().splitlines() == [f"error: {message}"]
    report = ingest([bundled_listing()], settings_for(bundled_index_copy), rebuild=True, show_progress=False, embedder=embedder)
    assert report.chunks_embedded == 0  # the embedding cache is outside the versions and survived
    assert_index_answers(bundled_index_copy, settings_for, embedder, papers=BUNDLED_PAPERS, version=report.version)
    record("faults", {f"damaged {damage}": {"message": message.replace(str(bundled_index_copy), "<index>"), "fixed by": REBUILD_HINT}})
