"""The web UI's layout and server: the Ask, Corpus and Evaluation tabs and the /ask API, on safe defaults
(loopback, optional login, never shared, a bounded queue, uploads checked and kept in their own folder)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no telemetry, no update check

import gradio as gr  # noqa: E402

from citewise.app.assistant import Assistant  # noqa: E402
from citewise.app.web.api import ask_endpoint  # noqa: E402
from citewise.app.web.chat import Chat  # noqa: E402
from citewise.app.web.corpus import TABLE_HEADERS, TABLE_TYPES, example_questions, paper_rows, stats_markdown  # noqa: E402
from citewise.app.web.evaluation import latest_report  # noqa: E402
from citewise.app.web.render import EMPTY_SOURCES, escape_markdown  # noqa: E402
from citewise.app.web.theme import CSS, THEME  # noqa: E402
from citewise.app.web.uploads import ingest_uploads, report_markdown, upload_folder  # noqa: E402
from citewise.errors import CitewiseError  # noqa: E402
from citewise.index.reader import PaperIndex  # noqa: E402
from citewise.ingest.sources import SUPPORTED_SUFFIXES  # noqa: E402
from citewise.settings import Settings  # noqa: E402

ANSWERS = "answers"  # one concurrency group: the chat and the API share server.concurrency_limit
BACKENDS = [
    ("Quotes from the abstracts (no model)", "extractive"),
    ("Local model (bundled Gemma 3 270M)", "local"),
    ("OpenAI-compatible endpoint", "openai"),
]


def header_html(index: PaperIndex) -> str:
    return (
        '<div class="cw-header"><h1>Citewise</h1>'
        f"<p>Cited answers from {index.manifest.papers:,} research-paper abstracts. Every statement carries a marker "
        "[n]; every marker points to the exact sentence that supports it.</p></div>"
    )


def build_app(settings: Settings, assistant: Assistant | None = None) -> gr.Blocks:
    """The whole UI over one Assistant (loaded here unless given); call ``launch`` to serve it."""
    assistant = assistant or Assistant(settings=settings)
    upload_dir = upload_folder(settings)
    chat = Chat(assistant, settings.llm, Path(tempfile.gettempdir()) / "citewise-exports", upload_dir)
    max_mb = settings.server.upload_max_mb
    key_set = "set" if settings.llm.has_api_key() else "not set"

    with gr.Blocks(title="Citewise", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        header = gr.HTML(header_html(assistant.index))
        turns = gr.State([])
        with gr.Tabs():
            with gr.Tab("Ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        chatbot = gr.Chatbot(
                            show_label=False, height=580, elem_id="cw-chat", buttons=["copy", "copy_all"],
                            feedback_options=None, layout="bubble",
                            placeholder="**Ask about the papers.** Answers quote the abstracts and cite them; "
                            "ask follow-ups in the same chat.",
                            examples=[{"text": q} for q in example_questions(assistant.index)],
                        )
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(
                                show_label=False, placeholder="Ask a question about the papers…", scale=8,
                                lines=1, max_lines=6, autofocus=True, elem_id="cw-question", container=False,
                            )
                            ask = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="cw-ask")
                        with gr.Row():
                            new_chat = gr.Button("New chat", size="sm", variant="secondary")
                            download = gr.DownloadButton("Download as Markdown", size="sm", interactive=False, elem_id="cw-download")
                    with gr.Column(scale=2, min_width=340):
                        with gr.Accordion("Answer settings", open=False, elem_id="cw-settings"):
                            backend = gr.Radio(BACKENDS, value=settings.answer.backend, label="Who writes the answer")
                            with gr.Column(visible=settings.answer.backend == "openai") as endpoint:
                                base_url = gr.Textbox(label="Endpoint base URL", value=settings.llm.base_url)
                                model = gr.Textbox(label="Model name", value=settings.llm.model)
                                gr.Markdown(
                                    f"API key: from the environment variable `{settings.llm.api_key_env}` ({key_set}), "
                                    "sent only to the configured endpoint; never shown or stored.",
                                    elem_classes="cw-footer-note",
                                )
                            top_k = gr.Slider(1, 20, step=1, value=settings.retrieval.top_k, label="Passages retrieved (top-k)")
                            since = gr.DateTime(label="Papers since", include_time=False, type="string", elem_id="cw-since")
                            until = gr.DateTime(label="Papers until", include_time=False, type="string", elem_id="cw-until")
                        sources = gr.HTML(EMPTY_SOURCES, elem_id="cw-sources")
            with gr.Tab("Corpus"):
                stats = gr.Markdown(stats_markdown(assistant.index))
                with gr.Accordion("Add papers", open=True):
                    files = gr.File(
                        file_count="multiple", file_types=sorted(SUPPORTED_SUFFIXES), elem_id="cw-upload", height=150,
                        label=f"Files: {' '.join(sorted(SUPPORTED_SUFFIXES))}, up to {max_mb:g} MB each",
                    )
                    add = gr.Button("Add to the index", variant="primary", elem_id="cw-ingest")
                    ingest_status = gr.Markdown(elem_id="cw-ingest-status")
                table = gr.Dataframe(
                    paper_rows(assistant.index), headers=TABLE_HEADERS, datatype=TABLE_TYPES, interactive=False,
                    show_search="search", wrap=True, max_height=620, elem_id="cw-papers",
                    column_widths=["38%", "9%", "20%", "7%", "18%", "8%"],
                )
            with gr.Tab("Evaluation"):
                with gr.Row():
                    reload_report = gr.Button("Show the newest run", size="sm", scale=0, min_width=180)
                report = gr.Markdown()
                plots = gr.Gallery(
                    show_label=False, columns=2, fit_columns=False, object_fit="contain", format="png", interactive=False,
                    visible=False,
                )

        answer_io = {
            "fn": chat.respond, "inputs": [question, turns, backend, base_url, model, top_k, since, until],
            "outputs": [chatbot, turns, sources, question, download], "api_visibility": "private",
            "concurrency_id": ANSWERS,
        }
        question.submit(**answer_io)
        ask.click(**answer_io)
        chatbot.example_select(_example_text, None, question, api_visibility="private").then(**answer_io)
        chatbot.select(chat.show_sources, [turns], [sources], api_visibility="private")
        new_chat.click(chat.new_chat, None, [chatbot, turns, sources, question, download], api_visibility="private")
        backend.change(lambda b: gr.Column(visible=b == "openai"), backend, endpoint, api_visibility="private")

        def add_papers(paths: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
            """Store and ingest the uploads with a progress bar, then show the grown corpus."""
            progress(0, desc="Reading the files")
            try:
                result = ingest_uploads(
                    [Path(p) for p in paths or []], assistant, upload_dir, max_mb,
                    on_progress=lambda done, total: progress((done, total), desc="Embedding", unit="chunks"),
                )
            except CitewiseError as exc:
                return f"**Not added.** {escape_markdown(str(exc).replace(f'{upload_dir}/', ''))}", gr.skip(), gr.skip(), gr.skip(), gr.skip()
            index = assistant.index
            return report_markdown(result, upload_dir), header_html(index), stats_markdown(index), paper_rows(index), None

        add.click(add_papers, files, [ingest_status, header, stats, table, files], api_visibility="private", concurrency_limit=1)
        for trigger in (demo.load, reload_report.click):
            trigger(lambda: _report_view(settings.evals.runs_dir), None, [report, plots], api_visibility="private")
        demo.load(  # another session may have added papers since the page was built
            lambda: (header_html(assistant.index), stats_markdown(assistant.index), paper_rows(assistant.index)),
            None, [header, stats, table], api_visibility="private",
        )
        gr.api(ask_endpoint(assistant), api_name="ask", concurrency_id=ANSWERS)

    demo.queue(default_concurrency_limit=settings.server.concurrency_limit, max_size=settings.server.max_queue)
    return demo


def _report_view(runs_dir: Path) -> tuple[str, gr.Gallery]:
    text, plots = latest_report(runs_dir)
    return text, gr.Gallery(value=plots, visible=bool(plots))


def _example_text(selected: gr.SelectData) -> str:
    return selected.value["text"]


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not (sep and user and password):
        raise CitewiseError("server.auth must be 'user:password' (both non-empty).")
    return user, password


def launch_options(settings: Settings) -> dict[str, Any]:
    """Everything ``Blocks.launch`` gets: bind address, login, limits, files it may serve, and the look."""
    server = settings.server
    return {
        "server_name": server.host,
        "server_port": server.port,
        "share": False,
        "auth": parse_auth(server.auth),
        "auth_message": "Citewise: log in with the user and password the server was started with.",
        "max_file_size": int(server.upload_max_mb * 1_000_000),
        "allowed_paths": [str(upload_folder(settings))],
        "footer_links": ["api"],
        "quiet": True,
        "ssr_mode": False,
        "mcp_server": False,
        "pwa": False,
        "theme": THEME,
        "css": CSS,
    }


def launch(settings: Settings, assistant: Assistant | None = None, block: bool = True) -> gr.Blocks:
    """Serve the UI (``citewise serve``); ``block=False`` returns once it is up (tests, notebooks)."""
    options = launch_options(settings)  # a bad setting fails before the models load
    demo = build_app(settings, assistant)
    try:
        demo.launch(**options, prevent_thread_lock=True)
    except OSError as exc:
        raise CitewiseError(f"Cannot serve on {settings.server.host}:{settings.server.port} ({exc}); pick another --port.") from None
    login = " (login required)" if options["auth"] else ""
    print(f"Citewise is serving on {demo.local_url}{login}", flush=True)
    if block:
        demo.block_thread()
    return demo
