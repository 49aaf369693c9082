"""Stage 3, the decision: do the gathered papers answer the question, or are they silent on it (then Citewise
refuses)? One pure function of the evidence's signals and the settings, used by every interface and by
calibration alike.

One sentence close to the question is the usual proof. Short topic questions ("Which papers reduce KV cache
memory?") rarely come that close to any single sentence with a small embedding model, so for them a second proof
counts: one retrieved paper mentions most content words of the question (a paraphrase rarely has them all), and
its evidence clears a lower floor.
A question that names something no retrieved paper mentions ("GANs", "vLLM") fails that test and is refused."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from citewise.app.gathering import PartSignals, Signals
from citewise.settings import AnswerSettings


class PartDecision(BaseModel):
    text: str
    answerable: bool
    reason: str
    missing: str | None = Field(None, description="What the papers do not state: 'a license', 'LongBench'.")
    paper_ids: list[str] = Field(default_factory=list, description="The papers the part is answered (or refused) about.")


class Decision(BaseModel):
    answerable: bool = Field(description="At least one part of the question is answered.")
    reason: str = Field(description="Which proof held, or why none did.")
    signals: Signals
    parts: list[PartDecision] = Field(default_factory=list)


def _evidence_answers(signals: Signals, settings: AnswerSettings) -> tuple[bool, str]:
    if signals.best_similarity is None:
        return False, "nothing retrieved"
    if signals.names_top_paper:
        return True, "the question names a retrieved paper"
    if signals.best_similarity >= settings.min_evidence_score:
        return True, "a sentence is close to the question"
    # "which papers…" asks for the papers nearest a topic, usually in words of its own: half the words is the proof
    lists_papers = any(part.kind == "which_papers" for part in signals.parts)
    coverage = settings.min_list_coverage if lists_papers else settings.min_topic_coverage
    if signals.best_similarity >= settings.min_topic_score and signals.topic_coverage >= coverage:
        return True, "one paper covers the question's content words"
    return False, "no sentence is close enough and no paper covers the question's topic"


def decide_part(part: PartSignals, evidence_answers: bool, evidence_reason: str) -> PartDecision:
    def verdict(answerable: bool, reason: str, missing: str | None = None) -> PartDecision:
        return PartDecision(text=part.text, answerable=answerable, reason=reason, missing=missing, paper_ids=part.paper_ids)

    if part.from_listing:
        found = len(part.paper_ids)
        return verdict(found > 0 or part.counts_papers, f"{found} paper(s) in the listing match" if found else "no paper in the listing matches")
    if part.from_mentions:
        return verdict(bool(part.paper_ids), "papers whose text mentions the names" if part.paper_ids else "no paper mentions them",
                       None if part.paper_ids else ", ".join(part.missing_names))
    if part.missing_names:
        reason = "its papers never mention a name the question uses"
        if not part.names_its_papers:  # nothing indexed mentions it: no paper to name in the refusal
            return PartDecision(text=part.text, answerable=False, reason=reason, missing=part.missing_names[0])
        return verdict(False, reason, part.missing_names[0])
    if not evidence_answers and not part.names_mentioned and not part.refers_to_earlier_answer:  # those are proof too
        return verdict(False, evidence_reason)
    if part.focus_stated is False:
        return verdict(False, f"its papers do not state {part.focus}", part.focus)
    return verdict(True, evidence_reason if evidence_answers else "its leading paper mentions every name the question uses")


# A part that only asks the size or the meaning of what the part before it asked ("…, and by how much?", "how does
# that compare numerically…"): when the papers do not state the one, they do not state the other.
_CONTINUES = re.compile(
    r"^(and\s+)?(by how (much|far)\b|(how|what) (does|do|did|would) (that|this|those|these)\b|(is|was|are|were) (that|this)\b)"
    r"|\b(that|this)\s+(\w+ly\s+)?(compares?|means?|translates?|stacks? up|holds?|differs?)\b",
    re.I,
)


def with_continuations(parts: list[PartDecision]) -> list[PartDecision]:
    """Each part that continues an unstated one is unstated too, and says so once (through the part it continues)."""
    for i, part in enumerate(parts[1:], 1):
        before = parts[i - 1]
        if not before.answerable and before.missing and part.answerable and _CONTINUES.search(part.text):
            parts[i] = part.model_copy(update={"answerable": False, "reason": f"it continues a part whose papers do not state {before.missing}"})
    return parts


def decide(signals: Signals, settings: AnswerSettings) -> Decision:
    evidence_answers, reason = _evidence_answers(signals, settings)
    parts = with_continuations([decide_part(part, evidence_answers, reason) for part in signals.parts])
    if parts:
        answered = [p for p in parts if p.answerable]
        reason = answered[0].reason if answered else parts[0].reason
        return Decision(answerable=bool(answered), reason=reason, signals=signals, parts=parts)
    return Decision(answerable=evidence_answers, reason=reason, signals=signals)
