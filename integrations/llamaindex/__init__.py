"""Citewise inside llama-index apps (``pip install 'citewise[llamaindex]'``): its retrieval as a retriever, its
citation check as a response synthesizer, and its readers as a llama-index reader."""

from citewise.integrations.llamaindex.citation_check import CitationCheckSynthesizer
from citewise.integrations.llamaindex.reader import CitewiseReader, paper_document
from citewise.integrations.llamaindex.retriever import CitewiseRetriever

__all__ = ["CitationCheckSynthesizer", "CitewiseReader", "CitewiseRetriever", "paper_document"]
