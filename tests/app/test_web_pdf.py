"""PDFs in the web UI: uploads that never overwrite each other, quotes with their page, and the PDF page served
from the upload folder only."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from citewise.app.assistant import Assistant
from citewise.app.web.render import sources_html
from citewise.app.web.server import launch
from citewise.app.web.uploads import ingest_uploads, keep_upload
from citewise.settings import Settings
from tests.app.test_web import web_settings
from tests.pdf_papers import GeneratedPaper, make_paper


@pytest.fixture(scope="module")
def pdf_web(tmp_path_factory: pytest.TempPathFactory, bundled_index_dir: Path) -> Iterator[tuple[str, Settings, Assistant, dict[str, GeneratedPaper]]]:
    folder = tmp_path_factory.mktemp("pdf-web")
    shutil.copytree(bundled_index_dir, folder / "index")
    settings = web_settings(folder / "index", folder, upload_max_mb=5.0)
    (folder / "a").mkdir(), (folder / "b").mkdir()
    generated = {  # two different papers that arrive under one file name
        "first": make_paper(folder / "a" / "paper.pdf", seed=21),
        "second": make_paper(folder / "b" / "paper.pdf", seed=22),
    }
    assistant = Assistant(settings=settings)
    demo = launch(settings, assistant, block=False)
    try:
        yield demo.local_url, settings, assistant, generated
    finally:
        demo.close()


def test_same_name_uploads_are_kept_side_by_side_and_a_repeat_is_not_copied_again(tmp_path: Path) -> None:
    one, two = tmp_path / "one.pdf", tmp_path / "two.pdf"
    one.write_bytes(b"%PDF first")
    two.write_bytes(b"%PDF second")
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    assert keep_upload(one, uploads / "paper.pdf").name == "paper.pdf"
    assert keep_upload(two, uploads / "paper.pdf").name == "paper-2.pdf"
    assert keep_upload(one, uploads / "paper.pdf").name == "paper.pdf"  # the same file again: its earlier copy
    assert sorted(p.read_bytes() for p in uploads.iterdir()) == [b"%PDF first", b"%PDF second"]


def test_uploaded_pdfs_are_indexed_and_cited_with_a_link_to_their_page(pdf_web) -> None:
    url, settings, assistant, generated = pdf_web
    upload_dir = settings.server.upload_dir
    before = assistant.index.manifest.papers
    for paper in generated.values():
        report = ingest_uploads([paper.path], assistant, upload_dir, settings.server.upload_max_mb)
        assert report.added == 1
    assert assistant.index.manifest.papers == before + 2
    assert sorted(p.name for p in upload_dir.iterdir()) == ["paper-2.pdf", "paper.pdf"]

    answer = assistant.ask(f"What does {generated['first'].title} report about latency?")
    cited = [c for c in answer.citations if c.page is not None]
    assert cited
    papers = {c.paper_id: assistant.index.store.paper(c.paper_id) for c in cited}
    html = sources_html(answer, papers, upload_dir)
    first = cited[0]
    assert f"p. {first.page} · {first.section}" in html
    link = html.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert link.endswith(f"#page={first.page}") and str(upload_dir) in link
    response = httpx.get(url.rstrip("/") + link.split("#")[0])
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert 'href="' not in sources_html(answer, papers, None)  # no folder the server serves: page shown, no link


def test_pdfs_outside_the_upload_folder_are_not_served(pdf_web) -> None:
    url, _, _, generated = pdf_web
    outside = generated["first"].path.resolve()
    response = httpx.get(f"{url.rstrip('/')}/gradio_api/file={outside}")
    assert response.status_code in (403, 404)
