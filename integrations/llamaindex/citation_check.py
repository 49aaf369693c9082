"""The citation check as a llama-index response synthesizer: a synthesizer is the step that sees both the
response and its source nodes (a node postprocessor runs before there is a response to check)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage as LlamaChatMessage
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.llms import LLM
from llama_index.core.llms.mock import MockLLM
from llama_index.core.prompts.mixin import PromptDictType
from llama_index.core.response_synthesizers import BaseSynthesizer
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from pydantic import BaseModel, Field

from citewise.app.answers import Backend, Citation, Statement
from citewise.app.assistant import Assistant
from citewise.app.evidence import Evidence
from citewise.app.prompts import answer_messages
from citewise.app.verifier import DECLINES, split_statements
from citewise.integrations.llamaindex.nodes import node_hit

DECLINED = "The sources do not answer this."
UNVERIFIED = "No sentence of the answer could be verified against the sources."


class CheckedAnswer(BaseModel):
    """A written answer after the citation check."""

    text: str = Field(description="The supported sentences, markers renumbered; DECLINED or UNVERIFIED when none is.")
    citations: list[Citation] = Field(default_factory=list)
    statements: list[Statement] = Field(default_factory=list, description="One verdict per sentence written.")
    dropped: int = Field(0, description="Unsupported sentences removed.")

    def response_metadata(self) -> dict[str, Any]:
        """What ``Response.metadata`` carries: every verdict, but never a dropped sentence's text."""
        return {
            "citations": [c.model_dump(mode="json") for c in self.citations],
            "statements": [s.verdict() for s in self.statements],
            "dropped": self.dropped,
        }


class CitationCheckSynthesizer(BaseSynthesizer):
    """Writes with Citewise's prompt, the source nodes' best sentences numbered [1].. as sources, then checks
    every sentence with Citewise's verifier: unsupported ones are dropped (or flagged, ``answer.unsupported``)
    and the markers renumbered. ``Response.metadata`` holds ``citations`` (paper, quoted sentence),
    ``statements`` (every verdict; a dropped sentence's text is never kept) and ``dropped``.

    ``llm``: any llama-index LLM; without one, the assistant's own ``backend`` ('openai' or 'local') writes."""

    def __init__(
        self,
        assistant: Assistant,
        llm: LLM | None = None,
        backend: Backend = "openai",
        callback_manager: CallbackManager | None = None,
    ) -> None:
        if llm is None and backend == "extractive":
            raise ValueError("The extractive backend writes no text to check; use 'openai' or 'local', or pass an llm.")
        # llama-index needs an LLM for its prompt helper even when Citewise's backend writes
        super().__init__(llm=llm or MockLLM(), callback_manager=callback_manager)
        self._assistant = assistant
        self._writer = llm
        self._backend = backend

    def _get_prompts(self) -> PromptDictType:
        return {}  # the prompt is Citewise's, the one the verifier is calibrated on

    def _update_prompts(self, prompts_dict: PromptDictType) -> None:
        return None

    def sources(self, query: str, nodes: Sequence[NodeWithScore]) -> list[Evidence]:
        """The sentences numbered in the prompt: the nodes' sentences, ranked as the engine ranks its evidence."""
        hits = [node_hit(node, self._assistant.index.store, rank) for rank, node in enumerate(nodes)]
        ranked = self._assistant.scorer.rank(query, self._assistant.embedder.encode_query(query), hits)
        return ranked[: self._assistant.settings.answer.model_sources]

    def write(self, query: str, sources: list[Evidence]) -> str:
        messages = answer_messages(query, [(e.paper.title, e.sentence) for e in sources], [])
        if self._writer is None:
            return "".join(self._assistant.backend(self._backend).stream(messages))
        reply = self._writer.chat([LlamaChatMessage(role=m.role, content=m.content) for m in messages])
        return reply.message.content or ""

    def check(self, query: str, sources: list[Evidence], text: str) -> CheckedAnswer:
        """The verified answer, assembled as the engine assembles a model's."""
        verifier = self._assistant.verifier
        statements = [verifier.check(sentence, sources, query) for sentence in split_statements(text)]
        verified = verifier.assemble(statements, sources)
        shown = verified.text
        if not verified.citations:
            shown = DECLINED if any(s.reason == DECLINES for s in statements) else UNVERIFIED
        return CheckedAnswer(text=shown, citations=verified.citations, statements=statements, dropped=verified.dropped)

    def synthesize(
        self,
        query: str | QueryBundle,
        nodes: list[NodeWithScore],
        additional_source_nodes: Sequence[NodeWithScore] | None = None,
        **response_kwargs: Any,
    ) -> Response:
        query_str = query.query_str if isinstance(query, QueryBundle) else query
        source_nodes = list(nodes) + list(additional_source_nodes or [])
        if not nodes:
            return Response(DECLINED, source_nodes=source_nodes, metadata=CheckedAnswer(text=DECLINED).response_metadata())
        sources = self.sources(query_str, nodes)
        checked = self.check(query_str, sources, self.write(query_str, sources))
        return Response(checked.text, source_nodes=source_nodes, metadata=checked.response_metadata())

    async def asynthesize(
        self,
        query: str | QueryBundle,
        nodes: list[NodeWithScore],
        additional_source_nodes: Sequence[NodeWithScore] | None = None,
        **response_kwargs: Any,
    ) -> Response:
        return await asyncio.to_thread(self.synthesize, query, nodes, additional_source_nodes)

    def get_response(self, query_str: str, text_chunks: Sequence[str], **response_kwargs: Any) -> str:
        """For callers that hand over bare text: each chunk is a source of its own."""
        response = self.synthesize(query_str, [NodeWithScore(node=TextNode(text=chunk)) for chunk in text_chunks])
        return response.response or ""

    async def aget_response(self, query_str: str, text_chunks: Sequence[str], **response_kwargs: Any) -> str:
        return await asyncio.to_thread(self.get_response, query_str, text_chunks)
