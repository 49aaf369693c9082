"""Citewise inside llama-index apps (``pip install 'citewise[llamaindex]'``): its retrieval as a retriever, its
citation check as a response synthesizer, and its readers as a llama-index reader."""

from citewise.ingest.llamaindex_documents import require_llama_index

require_llama_index()  # without the extra: one line naming the install command, not a bare ModuleNotFoundError

from citewise.integrations.llamaindex.citation_check import CitationCheckSynthesizer  # noqa: E402
from citewise.integrations.llamaindex.reader import CitewiseReader, paper_document  # noqa: E402
from citewise.integrations.llamaindex.retriever import CitewiseRetriever  # noqa: E402

__all__ = ["CitationCheckSynthesizer", "CitewiseReader", "CitewiseRetriever", "paper_document"]
