"""Citewise's retrieved chunks as llama-index nodes, and any llama-index node back as a chunk Citewise can rank
and check (a node from another index becomes a one-chunk paper of its own)."""

from __future__ import annotations

from llama_index.core.schema import BaseNode, NodeRelationship, NodeWithScore, RelatedNodeInfo, TextNode

from citewise.app.retrieval import Hit
from citewise.index.store import Store
from citewise.ingest.llamaindex_documents import paper_metadata
from citewise.ingest.sentences import split_sentences
from citewise.records import Chunk, Paper, sha256_hex

NOT_AN_INDEX_ROW = -1  # a hit rebuilt from a node: ranking its sentences reads only its chunk and paper


def hit_node(hit: Hit) -> NodeWithScore:
    """One retrieved chunk: its text (title first), the paper's id, title and date, and which sentences it spans."""
    metadata = {
        **paper_metadata(hit.paper),
        "first_sentence": hit.chunk.first_sentence,
        "last_sentence": hit.chunk.last_sentence,
        "named_in_question": hit.named_in_question,
    }
    node = TextNode(
        id_=hit.chunk.chunk_id,
        text=hit.chunk.text,
        metadata=metadata,
        excluded_embed_metadata_keys=list(metadata),  # the text already starts with the title
        excluded_llm_metadata_keys=list(metadata),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=hit.paper.paper_id)},
    )
    return NodeWithScore(node=node, score=hit.score)


def node_hit(scored: NodeWithScore, store: Store, rank: int) -> Hit:
    """The chunk a node stands for: a Citewise node's own paper and sentences, else the node's text as a paper."""
    node: BaseNode = scored.node
    meta = node.metadata
    paper = store.paper(meta["paper_id"]) if "first_sentence" in meta and "paper_id" in meta else None
    if paper is not None and meta["last_sentence"] < len(paper.sentences):
        first, last = meta["first_sentence"], meta["last_sentence"]
    else:
        text = node.get_content()
        paper = Paper(
            paper_id=f"{node.ref_doc_id or node.node_id}#{sha256_hex(text)[:8]}",  # sentence vectors are cached by id
            title=meta.get("title") or meta.get("file_name") or f"Source {rank + 1}",
            sentences=split_sentences(text) or [text],
        )
        first, last = 0, len(paper.sentences) - 1
    chunk = Chunk(
        chunk_id=node.node_id, paper_id=paper.paper_id, first_sentence=first, last_sentence=last,
        text=node.get_content(),
    )
    return Hit(
        row=NOT_AN_INDEX_ROW, chunk=chunk, paper=paper, score=scored.score or 0.0,
        named_in_question=bool(meta.get("named_in_question")),
    )
