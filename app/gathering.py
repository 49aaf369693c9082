"""Stage 2, gathering evidence: retrieve chunks, rank their sentences against the question, and measure the
signals the answer-or-refuse decision reads, so that decision is a pure function of what was gathered."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from pydantic import BaseModel, Field

from citewise.app.catalog import select_papers
from citewise.app.evidence import Evidence
from citewise.app.focus import mentions, name_pattern
from citewise.app.retrieval import Hit
from citewise.app.understanding import Kind, Part, Question, topic_words
from citewise.records import Paper, short_name
from citewise.settings import AnswerSettings

Tokenize = Callable[[list[str]], list[list[str]]]
_LINKED_THINGS = {"benchmark", "benchmarks", "data", "dataset", "datasets", "model", "models", "weights", "implementation"}
_MENTION = re.compile(
    r"\b(mention\w*|cite\w*|name\w*|refer\w*|integrat\w*|compatible|built on|compare\w* (with|against|to)|use|uses|using|"
    r"(run|ran|runs|experiment\w*|evaluat\w*|test\w*|benchmark\w*)( \w+)? (with|on))\b", re.I
)

# Stems of words that frame a question rather than name its topic.
_FRAMING = {
    "paper", "work", "studi", "propos", "discuss", "describ", "present", "introduc", "research",
    "articl", "publish", "find", "list", "show", "report", "method", "approach", "use", "about", "relat",
    "which", "what", "who", "how", "why", "when", "where", "doe", "do", "up", "ani", "some", "paper'",
    "gain", "benefit", "improv", "result", "claim", "collect", "index", "mani", "much",
    # chat: "has anyone here looked at…", "anything on…, specifically…", "I want something that covers…"
    "anyon", "anyth", "someth", "everyth", "els", "here", "there", "look", "want", "cover", "say", "exact", "specif",
    "explicit", "let", "thing", "itself", "peopl", "think", "did", "were", "has", "have", "got", "came", "onto", "way",
    "target", "deal", "kind", "still", "while", "take",
}
# "Is there a paper on…", "anything on…", "has anyone looked at…": the question asks whether the collection holds a topic
_EXISTENCE = re.compile(
    r"\b(is there|are there|any(one|thing|body)|any (papers?|work|study|studies)|does any|did any|has any|looking for|"
    r"something (on|about|that))\b", re.I
)


class PartSignals(BaseModel):
    """What the evidence says about one part of the question."""

    text: str
    kind: Kind
    paper_ids: list[str] = Field(description="The papers this part is answered from, best first (a listing: in its order).")
    from_listing: bool = Field(False, description="Answered from the papers' listing entries (dates, upvotes, bylines).")
    counts_papers: bool = Field(False, description="A listing part asking how many papers match: none is an answer too.")
    from_mentions: bool = Field(False, description="The papers are those whose text mentions the part's names.")
    focus: str | None = Field(None, description="What the part asks for, when the evidence must state it.")
    focus_stated: bool | None = Field(None, description="Whether one of its papers states the focus (None: no focus).")
    missing_names: list[str] = Field(default_factory=list, description="Names the part uses that none of its papers mention.")
    names_its_papers: bool = Field(False, description="The question names the papers this part is about.")
    names_mentioned: bool = Field(False, description="The part uses names, and its leading paper mentions every one.")
    refers_to_earlier_answer: bool = Field(False, description="Its 'it' is the paper an earlier listing part answered with.")


class Signals(BaseModel):
    """What the evidence says about whether the papers answer the question."""

    best_similarity: float | None = Field(description="Highest question-to-sentence cosine; None when nothing was retrieved.")
    names_top_paper: bool = Field(description="One of the three best sentences comes from a paper the question names.")
    topic_coverage: float = Field(
        description="The largest share of the question's content words that one retrieved paper mentions (title and abstract)."
    )
    parts: list[PartSignals] = Field(default_factory=list)


class Gathered(BaseModel):
    """Everything the later stages read: the question, the retrieved chunks, the ranked sentences, the signals."""

    question: Question
    hits: list[Hit]
    ranked: list[Evidence] = Field(description="Sentences of the hits, best first.")
    part_ranked: list[list[Evidence]] = Field(
        default_factory=list, description="For a compound question: the sentences ranked against each part."
    )
    papers: dict[str, Paper] = Field(default_factory=dict, description="Every paper the part signals name, by id.")
    signals: Signals


def content_terms(question: str, tokenize: Tokenize) -> set[str]:
    return {t for t in tokenize([question])[0] if t not in _FRAMING and not t.isdigit()}


def topic_coverage(question: str, ranked: list[Evidence], tokenize: Tokenize) -> float:
    """How much of the question's topic the best-covering retrieved paper mentions (0 for a question without one)."""
    terms = content_terms(question, tokenize)
    papers = {e.paper.paper_id: e.paper for e in ranked}
    return max((len(covered(paper, terms, tokenize)) / len(terms) for paper in papers.values()), default=0.0) if terms else 0.0


def measure_signals(
    question: Question,
    ranked: list[Evidence],
    tokenize: Tokenize,
    parts: list[PartSignals] | None = None,
) -> Signals:
    return Signals(
        best_similarity=max((e.similarity for e in ranked), default=None),
        names_top_paper=any(e.named_in_question for e in ranked[:3]),
        topic_coverage=topic_coverage(question.search_query, ranked, tokenize),
        parts=parts or [],
    )


def best_similarity_by_paper(ranked: list[Evidence]) -> dict[str, float]:
    best: dict[str, float] = {}
    for e in ranked:
        best[e.paper.paper_id] = max(best.get(e.paper.paper_id, -1.0), e.similarity)
    return best


def covered(paper: Paper, terms: set[str], tokenize: Tokenize) -> set[str]:
    """The terms the paper's title and abstract hold ("speed" is held by "speedup")."""
    words = set(tokenize([f"{paper.title} {paper.abstract}"])[0])
    return {term for term in terms if any(word.startswith(term) for word in words)}


def absent_words(text: str, tokenize: Tokenize, vocabulary: tuple[str, ...]) -> list[str]:
    """The question's topic words that no indexed paper uses ("silicon photonics" in a collection on ML systems).
    ``vocabulary`` is sorted, so the first term not below a word's term tells whether any term starts with it."""
    def known(term: str) -> bool:
        at = bisect.bisect_left(vocabulary, term)
        return at < len(vocabulary) and vocabulary[at].startswith(term)

    absent = []
    for word in re.findall(r"[A-Za-z][\w-]*", text):
        terms = [t for t in tokenize([word])[0] if t not in _FRAMING and not t.isdigit()]
        if terms and not any(known(t) for t in terms):
            absent.append(word)
    return absent


def on_topic_papers(
    topic: str, ranked: list[Evidence], tokenize: Tokenize, min_similarity: float, min_coverage: float
) -> list[Paper]:
    """Retrieved papers a listing question's topic is about: they mention (nearly) every topic word, or a sentence of
    theirs is close to the question."""
    terms = content_terms(topic, tokenize)
    best = best_similarity_by_paper(ranked)
    papers = {e.paper.paper_id: e.paper for e in ranked}
    return [
        p for pid, p in papers.items()
        if (terms and len(covered(p, terms, tokenize)) >= min_coverage * len(terms)) or best[pid] >= min_similarity
    ]


def part_signals(
    part: Part,
    question: Question,
    ranked: list[Evidence],
    named: list[Paper],
    corpus: Callable[[], list[Paper]],
    tokenize: Tokenize,
    settings: AnswerSettings,
    vocabulary: tuple[str, ...] = (),
) -> tuple[PartSignals, list[Paper]]:
    """Which papers answer ``part``, and whether they state what it asks for."""
    if part.catalog is not None:
        catalog = part.catalog
        if catalog.fields:  # "When was DistServe posted?"
            papers = named
        else:
            text = part.text.replace(catalog.organization, " ") if catalog.organization else part.text
            words = topic_words(text)
            if catalog.has_code:  # "a GitHub link for their code or benchmark": what is linked, not a topic
                words = [w for w in words if w.lower() not in _LINKED_THINGS]
            topic = " ".join(words)
            pool = on_topic_papers(topic, ranked, tokenize, settings.topic_similarity, settings.min_topic_coverage) if topic.strip() else corpus()
            papers = select_papers(pool, catalog, question.filters.since, question.filters.until)
        signals = PartSignals(
            text=part.text, kind=part.kind, paper_ids=[p.paper_id for p in papers], from_listing=True, counts_papers=catalog.count
        )
        return signals, papers
    retrieved = list({e.paper.paper_id: e.paper for e in ranked}.values())
    by_mention = not named and bool(part.names) and part.kind == "which_papers" and bool(_MENTION.search(part.text))
    if named:
        papers = list(named)
        if part.kind == "comparison":  # the other side may be named without being indexed under that name ("S2-Attention")
            unused = [n for n in part.names if not any(mentions(q, n) for q in named)]
            papers += [p for p in retrieved if p not in named and any(mentions(p, n) for n in unused)][:2]
    elif by_mention:  # "which papers mention SGLang?"
        papers = [p for p in corpus() if all(mentions(p, n) for n in part.names)]
    else:
        naming = [p for p in retrieved if part.names and all(mentions(p, n) for n in part.names)]
        leading = naming + [p for p in retrieved if p not in naming]  # a paper that uses the question's names first
        papers = leading[:5] if part.kind == "which_papers" else leading[:1]
    pool = papers if named else retrieved  # a name no retrieved paper mentions is not in the papers
    missing = [n for n in part.names if not any(mentions(p, n) for p in pool)]
    if not named and not missing and asks_for_topic(part):
        absent = absent_words(part.text, tokenize, vocabulary)
        if len(absent) >= MIN_ABSENT_WORDS:  # one unknown word is a paraphrase; several are a topic the papers lack
            missing = [", ".join(absent)]
    focus = part.focus.label if part.focus else None
    stated = None if part.focus is None else any(part.focus.stated_by(p) for p in papers)
    if unstated := head_to_head_unstated(part.text, named):
        papers = in_question_order(named, part.text) + [p for p in papers if p not in named]
        focus, stated = unstated, False
    signals = PartSignals(
        text=part.text, kind=part.kind, paper_ids=[p.paper_id for p in papers],
        focus=focus, focus_stated=stated, missing_names=missing, from_mentions=by_mention,
        names_its_papers=bool(named),
        names_mentioned=bool(part.names) and bool(papers) and all(mentions(papers[0], n) for n in part.names),
    )
    return signals, papers


# "Does semi-PD beat DistServe?": a head-to-head result, which only a paper that names the other one can state
_HEAD_TO_HEAD = re.compile(r"\b(beat|beats|outperform\w*|better than|worse than|faster than|slower than)\b", re.I)


def head_to_head_unstated(text: str, named: list[Paper]) -> str | None:
    """What is missing when the question pits two named papers against each other and neither names the other."""
    if len(named) < 2:
        return None
    subject, other = in_question_order(named, text)[:2]
    between = text[_position(subject, text) : _position(other, text)]  # "semi-PD beat DistServe", not "faster than Y are A and B"
    if not _HEAD_TO_HEAD.search(between) or mentions(subject, short_name(other.title)) or mentions(other, short_name(subject.title)):
        return None
    return f"a comparison with {short_name(other.title)}"


def _position(paper: Paper, text: str) -> int:
    found = name_pattern(short_name(paper.title)).search(text)
    return found.start() if found else len(text)


def in_question_order(papers: list[Paper], text: str) -> list[Paper]:
    """Papers in the order the question names them (the subject first)."""
    return sorted(papers, key=lambda paper: _position(paper, text))


MIN_ABSENT_WORDS = 2


def asks_for_topic(part: Part) -> bool:
    """Whether the part asks which papers, if any, are about something (rather than a detail of a described paper)."""
    return part.kind in ("which_papers", "which_paper") or bool(_EXISTENCE.search(part.text))
