"""Citewise's retrieval as a llama-index retriever, for pipelines that stay in llama-index."""

from __future__ import annotations

from datetime import date

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import NodeWithScore, QueryBundle

from citewise.app.assistant import Assistant
from citewise.integrations.llamaindex.nodes import hit_node


class CitewiseRetriever(BaseRetriever):
    """The engine's own understand and retrieve stages: papers ranked by dense + BM25 fused, the papers a question
    names first, spread across papers when the question asks for several, filtered by date and upvotes (from these
    arguments or from the question's words). Each node is a chunk of an abstract; its metadata names the paper, its
    date and the sentences it spans; its score is its paper's fused score. Nodes come in the engine's order (for a
    "which papers" question an MMR pick), so a node's score may exceed an earlier node's."""

    def __init__(
        self,
        assistant: Assistant,
        top_k: int | None = None,
        since: date | None = None,
        until: date | None = None,
        min_upvotes: int | None = None,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        super().__init__(callback_manager=callback_manager)
        self.assistant = assistant
        self.top_k = top_k
        self.since, self.until, self.min_upvotes = since, until, min_upvotes

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        question = self.assistant.understand(
            query_bundle.query_str, since=self.since, until=self.until, min_upvotes=self.min_upvotes
        )
        return [hit_node(hit) for hit in self.assistant.retrieve(question, self.top_k)]
