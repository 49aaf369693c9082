"""Whether the retrieved evidence answers a question, or the papers are silent on it (then Citewise refuses).

One sentence close to the question is the usual proof. Short topic questions ("Which papers reduce KV cache
memory?") rarely come that close to any single sentence with a small embedding model, so for them a second proof
counts: one retrieved paper mentions every content word of the question, and its evidence clears a lower floor.
A question that names something no retrieved paper mentions ("GANs", "vLLM") fails that test and is refused."""

from __future__ import annotations

from citewise.app.evidence import Evidence
from citewise.index.lexical import tokenize
from citewise.settings import AnswerSettings

# Stems of words that frame a question rather than name its topic.
_FRAMING = {
    "paper", "work", "studi", "propos", "discuss", "describ", "present", "introduc", "research",
    "articl", "publish", "find", "list", "show", "report", "method", "approach", "use", "about", "relat",
    "which", "what", "who", "how", "why", "when", "where", "doe", "do", "up", "ani", "some", "paper'",
}


def content_terms(question: str) -> set[str]:
    return {t for t in tokenize([question])[0] if t not in _FRAMING and not t.isdigit()}


def covered_by_one_paper(question: str, ranked: list[Evidence]) -> bool:
    terms = content_terms(question)
    if not terms:
        return False
    papers = {e.paper.paper_id: e.paper for e in ranked}
    for paper in papers.values():
        words = set(tokenize([f"{paper.title} {paper.abstract}"])[0])
        if all(any(word.startswith(term) for word in words) for term in terms):  # "speed" covers "speedup"
            return True
    return False


def is_answerable(question: str, ranked: list[Evidence], settings: AnswerSettings) -> bool:
    if not ranked:
        return False
    if any(e.named for e in ranked[:3]):  # the question names an indexed paper
        return True
    best = max(e.similarity for e in ranked)
    if best >= settings.min_evidence_score:
        return True
    return best >= settings.min_topic_score and covered_by_one_paper(question, ranked)
