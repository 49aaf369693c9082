"""Checks a generated answer against its sources before anyone sees it.

Each sentence must cite, and every cited source must exist. Then, per sentence (``verifier.checks = "strict"``):
a follow-on sentence ("It also…") is read with the cited paper as its subject; it must be close to the cited
sentence, to that sentence with its neighbour in the same abstract, or to all its cited sentences together (or
contain nearly all its content words, at a lower similarity); every number must appear in the cited text with
the same unit, a count must count what the source counts, and a figure must go with the case the source gives it;
every name (system, model, dataset, hardware) must appear in a cited paper, and one the paper uses only of others
must be in the cited passage; it may not turn the cited text's direction around (``polarity``: opposites said of
the same thing, a negation dropped or added; here: a metric moving the other way, the two sides of a relation
exchanged), nor credit the cited result to a system the cited sentence only compares against; and it may not add
details that no cited abstract nor the question contains. Copied-back prompt text and bare paper titles are never
an answer; "The sources do not answer this." is recognised as a refusal. Markers are renumbered to the final list."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from citewise.app.evidence import Evidence
from citewise.app.polarity import figure_rebound, negation_turned, opposite_of_the_same
from citewise.app.answers import Citation, Statement
from citewise.app.prompts import ECHO_FRAGMENTS
from citewise.ingest.embedding import Embedder
from citewise.index.lexical import LexicalTokenizer
from citewise.ingest.sentences import split_sentences
from citewise.records import short_name
from citewise.settings import IndexSettings, VerifierSettings

_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_NUMBER = re.compile(r"(?<![A-Z\d.,])\d+(?:[.,]\d+)*")  # not the digits of a name ("P90", "A100")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+(?:\s*,\s*\d+)*\])+")
_PARTIAL_MARKER = re.compile(r"\[[\d,\s]*")


_QUANTITY = re.compile(r"(?-i:(?<![A-Z\d.,]))(\d+(?:[.,]\d+)*)\s*(%|x\b|×|times\b|ms\b|s\b|gb\b|mb\b|tb\b|b\b|k\b|m\b)?", re.I)
_UNITS = {"×": "x", "times": "x"}
DECLINES = "says the sources do not answer"
_DECLINE = re.compile(
    r"\b(sources?|papers?|abstracts?|context|evidence)\b[^.]*\b(do|does|did|can)\s*(not|n't)\b[^.]*"
    r"\b(answer|say|state|mention|specify|provide|contain|report|give|include|address|describe)",
    re.I,
)
# the subject of a follow-on sentence, read as the cited paper
_FOLLOW_ON = re.compile(
    r"^(?:it|its|they|their|this|these|such)\b(?:\s+(?:approach|method|system|work|paper|framework|technique|design|"
    r"model|study|engine|scheme|paper's))?|^the\s+(?:approach|method|system|work|paper|framework|technique|design|authors|study)\b",
    re.I,
)
_TOKEN = re.compile(r"[A-Za-z0-9][\w.\-/']*")
# a token that names something: CamelCase, letters mixed with digits, or an acronym
_NAME = re.compile(r"(?=.*[A-Za-z])(?:.*[a-z][-/]?[A-Z].*|.*[A-Za-z].*\d.*|.*\d.*[A-Za-z].*|[A-Z]{2,}[\w-]*|[A-Z]\w*[-/][A-Z][\w/-]*)")
_QUANTITY_ONLY = re.compile(r"[\d.,]+(?:[-–/][\d.,]+)*(?:x|X|×|k|K|M|B|GB|MB|TB|ms|s|%|times)?(?:[-–/][\d.,]+(?:x|X|×)?)*")
_CAPITALISED = re.compile(r"(?<=[a-z,;:]\s)[A-Z][a-z]{2,}\b")
_NEGATION = re.compile(r"\b(not|never|no|cannot|neither|nor)\b|n't\b", re.I)
# pairs of opposite directions: a sentence that says one while its cited text says only the other turned it around
# (more / less of something is read anchored to what it is said of, in ``polarity``: here it turned unrelated words around)
_OPPOSITES = [
    ({"co-locat", "colocat", "same gpu", "together", "shar", "unif", "combin", "merg"},
     {"disaggregat", "separat", "split", "different gpu", "decoupl", "distinct", "independent"}),
    ({"preserv", "maintain", "retain", "keep", "lossless", "no loss", "without loss", "negligible", "minimal loss", "comparable", "match"},
     {"degrad", "hurt", "los", "drop", "harm", "sacrific", "compromis", "deteriorat", "worse"}),
    ({"training-free", "without training", "no training", "without retraining", "no retraining", "without fine-tuning", "plug-and-play", "no additional training"},
     {"requires training", "require training", "requires retraining", "needs training", "fine-tun", "retrain", "trained"}),
    ({"faster", "speedup", "speed-up", "accelerat", "quicker"}, {"slower", "slow down", "slowdown"}),
    ({"outperform", "better", "surpass", "exceed", "beat", "improv"}, {"underperform", "worse", "lag", "trail", "fall short", "inferior"}),
    ({"static", "fixed", "offline"}, {"dynamic", "adaptive", "online", "runtime"}),
    ({"lossy"}, {"lossless", "exact"}),
    ({"low"}, {"high"}),
    ({"qualitykept", "preserv", "maintain", "retain", "lossless"}, {"qualitylost", "degrad", "hurt", "sacrific"}),
    ({"open-source", "open source", "publicly available"}, {"closed-source", "proprietary"}),
    ({"single-objective", "single objective"}, {"multi-objective", "multiple objectives"}),
    ({"one at a time", "sequential", "serial", "in sequence"}, {"in parallel", "simultaneous", "concurrent", "at once"}),
    ({"early", "earlier", "sooner"}, {"delay", "late", "later", "postpon", "defer"}),
    ({"same", "uniform", "identical"}, {"different", "varying", "mixed-precision", "heterogeneous"}),
]


def numbers_in(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(_MARKER.sub(" ", text))}


_NUMBER_WORDS = {w: str(n) for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_COUNT_WORD = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|single|double|dual)\b", re.I)
_WORD_COUNTS = {"single": "1", "double": "2", "dual": "2"}


def _spelled_out(text: str) -> str:
    """Counts written as words read as digits ("three components" -> "3 components"; "a single" -> "1")."""
    return _COUNT_WORD.sub(lambda m: _WORD_COUNTS.get(m[1].lower(), _NUMBER_WORDS.get(m[1].lower(), m[1])), text)


def quantities(text: str, words: bool = True) -> set[tuple[str, str]]:
    """(number, unit) pairs: "2.7x" -> ("2.7", "x"), "51%" -> ("51", "%"), "three GPUs" -> ("3", "") unless
    ``words`` is off."""
    found = set()
    text = _MARKER.sub(" ", text).replace("\\%", "%")
    for number, unit in _QUANTITY.findall(_spelled_out(text) if words else text):
        unit = (unit or "").lower()
        found.add((number.replace(",", ""), _UNITS.get(unit, unit)))
    return found


def declines(text: str) -> bool:
    """A model saying its sources do not answer ("The sources do not answer this.")."""
    return bool(_DECLINE.search(text))


def split_statements(text: str) -> list[str]:
    """Sentences of generated text; a marker written after the full stop ("... GPUs. [2] Next") stays with the
    sentence it closes instead of moving to the next one."""
    statements: list[str] = []
    for sentence in split_sentences(text):
        lead = _LEADING_MARKERS.match(sentence)
        if lead and statements:
            statements[-1] += lead.group(0)
            sentence = sentence[lead.end() :].strip()
        if sentence:
            statements.append(sentence)
    return statements


def finished_statements(text: str) -> list[str]:
    """While an answer streams in: the statements already complete. The last one may still grow, and so may the
    one before it while a marker that may close it is half written."""
    statements = split_statements(text)
    keep = 2 if len(statements) > 1 and _PARTIAL_MARKER.fullmatch(statements[-1]) else 1
    return statements[:-keep]


def _without_titles(claim: str, sources: list[Evidence]) -> str:
    """Drops titles copied in the prompt's source layout, "(Title)" or "Title:", which are no claim at all."""
    for title in {e.paper.title for e in sources}:
        claim = claim.replace(f"({title})", " ").replace(f"{title}:", " ")
    return " ".join(claim.split())


NUMBER = "a number is not in the cited source"
REBOUND = "gives a figure for another case than the cited source does"
NAME = "names something the cited paper does not mention"
OFF_PASSAGE = "credits the cited passage to a system it does not name"
BASELINE = "credits the result to a system the cited sentence only compares against"
DIRECTION = "says the opposite of the cited source"
NOVEL = "adds details no cited source gives"
UNSUPPORTED = "not supported by the cited source"


@dataclass
class Check:
    score: float
    reason: str = ""
    detail: str = ""


@dataclass
class VerifiedAnswer:
    text: str
    citations: list[Citation]
    statements: list[Statement]
    dropped: int


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9%.-]+", " ", text.lower()) + " "


def _has_any(text: str, stems: set[str]) -> bool:
    return any(f" {stem}" in text for stem in stems)


def is_name(token: str) -> bool:
    """One token that names something: CamelCase (DistServe, vLLM), letters with digits (A100, GPT-4, WMT14,
    gpt-oss-120B) or an acronym (MMLU); not a bare quantity ("2.7x", "3-6x")."""
    return (
        bool(_TOKEN.fullmatch(token)) and token == token.strip(".-/")
        and bool(_NAME.fullmatch(token)) and not _QUANTITY_ONLY.fullmatch(token)
    )


def names_in(claim: str) -> set[str]:
    """Proper names a sentence uses (``is_name``), and capitalised words inside the sentence (Jetson, NVIDIA)."""
    text = _MARKER.sub(" ", claim)
    return {t for t in (t.strip(".-/") for t in _TOKEN.findall(text)) if is_name(t)} | set(_CAPITALISED.findall(text))


def mentions(text: str, name: str) -> bool:
    """A name found in text, ignoring case, hyphens and a plural or possessive ("GPUs", "DistServe's"); long
    names also inside a longer token ("H100" in "8xH100")."""
    folded = re.sub(r"[^a-z0-9]+", "", text.lower())
    key = re.sub(r"[^a-z0-9]+", "", name.lower())
    key = re.sub(r"(?:'s|s)$", "", key) if len(key) > 4 else key
    if len(key) >= 4 and key in folded:
        return True
    if re.search(r"\d", name) and "-" in name:  # "Qwen3-0.6B" where the abstract writes "Qwen3-1.7B/0.6B"
        parts = [p for p in name.lower().split("-") if p]
        return len(parts) > 1 and all(p in text.lower() for p in parts)
    if len(key) >= 4:
        return False
    pattern = rf"(?<![a-z0-9]){re.escape(key)}(?:s|es)?(?![a-z0-9])"  # short: "I/O", "End" (of "End-to-End")
    return any(re.search(pattern, re.sub(r"[^a-z0-9\s]+", glue, text.lower())) for glue in ("", " "))


class CitationVerifier:
    def __init__(
        self,
        embedder: Embedder,
        support_threshold: float,
        unsupported: str = "drop",
        settings: VerifierSettings | None = None,
        tokenize: Callable[[list[str]], list[list[str]]] | None = None,
        paper_titles: Iterable[str] = (),
    ) -> None:
        self.embedder = embedder
        self.support_threshold = support_threshold
        self.unsupported = unsupported
        self.settings = settings or VerifierSettings()
        self.tokenize = tokenize or LexicalTokenizer.from_settings(IndexSettings()).tokenize
        self.paper_titles = set(paper_titles)
        self.paper_names = {short_name(t) for t in self.paper_titles if " " not in short_name(t)}

    def check(self, sentence: str, sources: list[Evidence], question: str = "") -> Statement:
        """Verdict on one sentence; ``sources`` are numbered from 1 as the model saw them."""
        markers = sorted({int(n) for group in _MARKER.findall(sentence) for n in group.split(",")})
        claim = _without_titles(_MARKER.sub("", sentence), sources).strip()
        valid = [m for m in markers if 1 <= m <= len(sources)]
        if not claim.strip(".!?:;,- "):
            return Statement(text=sentence, markers=[], supported=False, score=0.0, reason="empty")
        if any(fragment in claim for fragment in ECHO_FRAGMENTS):
            return Statement(text=claim, markers=[], supported=False, score=0.0, reason="repeats the prompt")
        if declines(claim):
            return Statement(text=claim, markers=[], supported=False, score=0.0, reason=DECLINES)
        if not valid:  # no markers kept: in flag mode a dangling [42] must not index the sources
            reason = "cites no source" if not markers else "cites a source that does not exist"
            return Statement(text=claim, markers=[], supported=False, score=0.0, reason=reason, detail=str(markers))
        cited = [sources[m - 1] for m in valid]
        check = self._similarity_only(claim, cited) if self.settings.checks == "similarity" else self._strict(claim, cited, question)
        return Statement(text=claim, markers=valid, supported=not check.reason, score=check.score, reason=check.reason, detail=check.detail)

    def _similarity_only(self, claim: str, cited: list[Evidence]) -> Check:
        """The first release's check: cosine to the best cited sentence, and every number present."""
        vectors = self.embedder.encode([claim] + [f"{e.paper.title}: {e.sentence}" for e in cited])
        score = float(np.max(vectors[1:] @ vectors[0]))
        cited_numbers = set().union(*(numbers_in(e.sentence + " " + e.paper.title) for e in cited))
        missing = sorted(numbers_in(claim) - cited_numbers)
        if missing:
            return Check(score, NUMBER, missing[0])
        if score < self.support_threshold:
            return Check(score, UNSUPPORTED)
        return Check(score)

    def _strict(self, claim: str, cited: list[Evidence], question: str) -> Check:
        subject = short_name(cited[0].paper.title)
        resolved = _FOLLOW_ON.sub(subject, claim, count=1)
        direct, spans = _support_texts(cited)
        vectors = self.embedder.encode([resolved] + direct + spans)
        similarities = vectors[1:] @ vectors[0]
        on_cited = float(np.max(similarities[: len(direct)]))
        score = float(np.max(similarities))
        cited_text = " ".join(e.sentence for e in cited)
        span_text = " ".join(direct + spans)
        papers_text = " ".join(dict.fromkeys(f"{e.paper.title}. {e.paper.abstract}" for e in cited))
        if detail := _number_problem(claim, span_text, cited_text, papers_text):
            return Check(score, NUMBER, detail)
        if detail := figure_rebound(claim, cited_text):
            return Check(score, REBOUND, detail)
        missing = sorted(n for n in self.names_in(claim) if n != subject and not mentions(papers_text, n))
        if missing:
            return Check(score, NAME, ", ".join(missing))
        if baseline := self._baseline_as_achiever(claim, cited, cited_text):
            return Check(score, BASELINE, baseline)
        if detail := self._attributed_elsewhere(claim, cited, cited_text):
            return Check(score, NAME, detail)
        if detail := self._named_off_passage(claim, cited, span_text):
            return Check(score, OFF_PASSAGE, detail)
        about = _about_subject(claim, cited)
        if detail := _direction_problem(resolved, cited_text, papers_text) or (about and _direction_problem(resolved, about, papers_text)):
            return Check(score, DIRECTION, detail)
        if novel := self._novel_terms(resolved, f"{papers_text} {question}"):
            return Check(score, NOVEL, ", ".join(novel))
        claim_terms = set(self.tokenize([resolved])[0]) or {""}
        coverage = len(claim_terms & set(self.tokenize([span_text])[0])) / len(claim_terms)
        sentence_terms = set(self.tokenize([cited_text])[0])
        title_terms = set(self.tokenize([" ".join(e.paper.title for e in cited)])[0]) - sentence_terms
        on_point = len(claim_terms & sentence_terms) / max(1, len(claim_terms - title_terms))  # naming the paper is no evidence
        detail = f"cited {on_cited:.2f}, span {score:.2f}, coverage {coverage:.2f}, on point {on_point:.2f}"
        # however well a neighbour fits, the cited sentence itself must be on point: a true claim cited to the
        # wrong source fails
        if on_cited < self.settings.span_floor or on_point < self.settings.cited_coverage:
            return Check(score, UNSUPPORTED, detail)
        if score >= self.support_threshold:
            return Check(score, detail=detail)
        if coverage >= self.settings.coverage_threshold and score >= self.settings.coverage_floor:
            return Check(score, detail=detail)
        return Check(score, UNSUPPORTED, detail)

    def names_in(self, claim: str) -> set[str]:
        """Names in a sentence, plus any word that is an indexed paper's name ("Galaxy", "Splitwise") even where
        it opens the sentence."""
        words = set(re.findall(r"[\w/-]+", _MARKER.sub(" ", claim)))
        return names_in(claim) | {w for w in words if self._is_paper_or_uncommon_name(w)}

    def _is_paper_or_uncommon_name(self, word: str) -> bool:
        """An indexed paper's name, or a capitalised word that is no common English ("Splitwise")."""
        return word in self.paper_names or (re.fullmatch(r"[A-Z][a-z]{3,}", word) is not None and not self._common(word.lower()))

    def _attributed_elsewhere(self, claim: str, cited: list[Evidence], cited_text: str) -> str:
        """Another paper's title in the sentence, or a sentence whose subject is a system other than the cited
        paper's that the cited sentence never names ("Galaxy cuts memory by 90%" citing TPI-LLM's result)."""
        own_titles = {e.paper.title for e in cited}
        for title in self.paper_titles - own_titles:
            if len(title) > 20 and title.lower() in claim.lower():
                return title
            name = short_name(title)  # a multi-word paper name opening the sentence ("Beyond Inference reframes…")
            if ":" in title and 1 < len(name.split()) <= 4 and claim.startswith(name) and not mentions(cited_text, name):
                return name
        opening = re.match(r"(?:the\s+)?([\w./-]+)", claim, re.I)
        first = opening[1] if opening else ""
        own_names = set().union(*(_own_names(e.paper.title, e.paper.abstract) for e in cited))
        # the paper's own system however written ("IIR-SNN" for "IIR-SNNs"), or named in its title ("The 6G-enabled…")
        own = any(mentions(name, first) for name in own_names) or any(mentions(e.paper.title, first) for e in cited)
        named = is_name(first) or ("." not in first and self._is_paper_or_uncommon_name(first))
        if first and not own and named and not mentions(cited_text, first):
            return first
        return ""

    def _named_off_passage(self, claim: str, cited: list[Evidence], span_text: str) -> str:
        """A name the cited paper uses elsewhere, not of itself, that the cited passage does not: the sentence
        tells the passage of another system ("Galaxy introduces a sliding window…" citing TPI-LLM's sentence)."""
        own_names = set().union(*(_own_names(e.paper.title, e.paper.abstract) for e in cited))
        for name in sorted(self.names_in(claim)):
            own = any(mentions(n, name) for n in own_names) or any(mentions(e.paper.title, name) for e in cited)
            if not own and not mentions(span_text, name):
                return name
        return ""

    def _baseline_as_achiever(self, claim: str, cited: list[Evidence], cited_text: str) -> str:
        """The sentence's subject, or who it says introduced something ("by vLLM"), is a system the cited sentence
        names only as what it is compared with ("90% compared to Transformers and Galaxy")."""
        opening = re.match(r"(?:the\s+)?([\w/-]+)", claim, re.I)
        candidates = {opening[1] if opening else "", *re.findall(r"\bby\s+([\w/-]+(?:\.[\w/-]+)*)", claim)}
        for name in sorted(candidates - {"", *(short_name(e.paper.title) for e in cited)}):
            capitalised_inside = name[:1].isupper() and re.search(rf"\w[\s,]+{re.escape(name)}\b", cited_text) is not None
            if (is_name(name) or capitalised_inside) and mentions(cited_text, name) and _only_as_baseline(cited_text, name):
                return name
        return ""

    @cached_property
    def common_words(self) -> set[str]:
        """Whole lower-case words of the encoder's vocabulary: common English (read on the first check, not at
        start-up)."""
        return {w for w in self.embedder.tokenizer.get_vocab() if w.isalpha() and w.islower()}

    def _common(self, word: str) -> bool:
        """A word of everyday English: a whole word of the encoder's vocabulary, or one with a suffix dropped."""
        return word in self.common_words or any(
            word.endswith(suffix) and word[: -len(suffix)] + back in self.common_words
            for suffix, back in (("s", ""), ("es", ""), ("ies", "y"), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("ly", ""), ("ally", ""))
        )

    def _novel_terms(self, claim: str, known_text: str) -> list[str]:
        """Specific words (not whole words of the encoder's vocabulary, which holds common English) that neither
        a cited abstract nor the question contains: details the model added."""
        known = set(self.tokenize([known_text])[0])
        novel = []
        for word in sorted({w for w in re.findall(r"(?<![\w-])[a-z]{4,}(?:-[a-z]+)*(?![\w-])", _MARKER.sub(" ", claim))}):
            if all(self._common(part) for part in word.split("-")):
                continue
            terms = self.tokenize([word])[0]
            if terms and not set(terms) <= known:
                novel.append(word)
        return novel if len(novel) > self.settings.novel_terms_max else []

    def verify(self, answer: str, sources: list[Evidence], question: str = "") -> VerifiedAnswer:
        statements = [self.check(s, sources, question) for s in split_statements(answer)]
        return self.assemble(statements, sources)

    def assemble(self, statements: list[Statement], sources: list[Evidence]) -> VerifiedAnswer:
        """Keep supported statements (or flag the rest), renumbering markers 1..n in order of use."""
        renumber: dict[int, int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        dropped = 0
        shown: set[str] = set()
        for statement in statements:
            if not statement.supported and (self.unsupported == "drop" or not statement.markers):
                dropped += statement.reason not in ("empty", DECLINES)
                continue
            if statement.text in shown:  # small models repeat themselves
                continue
            shown.add(statement.text)
            new_markers = []
            for m in statement.markers:
                if m not in renumber:
                    renumber[m] = len(renumber) + 1
                    source = sources[m - 1]
                    citations.append(
                        Citation.of_sentence(renumber[m], source.paper, source.sentence_index, source.sentence, statement.score)
                    )
                new_markers.append(renumber[m])
            marks = "".join(f" [{n}]" for n in new_markers)
            flag = "" if statement.supported else " ⚠️ *(unverified)*"
            body = statement.text.rstrip()
            end = body[-1] if body and body[-1] in ".!?" else "."
            parts.append(f"{body.rstrip('.!?')}{marks}{end}{flag}")
        return VerifiedAnswer(text=" ".join(parts), citations=citations, statements=statements, dropped=dropped)


def _support_texts(cited: list[Evidence]) -> tuple[list[str], list[str]]:
    """What a sentence may rest on: each cited sentence; and spans: each with its neighbour in the same abstract
    (a claim that joins two sentences, or a follow-on), and all cited sentences together (a claim citing several)."""
    direct = [f"{e.paper.title}: {e.sentence}" for e in cited]
    spans = []
    for e in cited:
        sentences, i = e.paper.sentences, e.sentence_index
        if i + 1 < len(sentences):
            spans.append(f"{e.paper.title}: {e.sentence} {sentences[i + 1]}")
        if i > 0:
            spans.append(f"{e.paper.title}: {sentences[i - 1]} {e.sentence}")
    if len(cited) > 1:
        spans.append(" ".join(direct))
    return direct, spans


def _about_subject(claim: str, cited: list[Evidence]) -> str:
    """The cited sentences that name the sentence's subject, when only some do: what they say of it is what the
    sentence must not turn around ("DistServe colocates…" citing DistServe's own sentence and one on other systems)."""
    opening = re.match(r"([\w./-]+)", claim)
    first = opening[1] if opening else ""
    subject = first if is_name(first) or first == short_name(cited[0].paper.title) else ""
    about = [e.sentence for e in cited if subject and mentions(e.sentence, subject)]
    return " ".join(about) if 0 < len(about) < len(cited) else ""


# words after which a name is what a result is measured against, not who achieved it
_BASELINE_CUE = re.compile(r"\b(compared\s+(to|with)|than|over|against|versus|vs\.?|like|such\s+as|outperform\w*|beat\w*|surpass\w*)\b", re.I)


def _only_as_baseline(cited_text: str, name: str) -> bool:
    """Every mention of the name in the cited text follows a comparison cue in its clause ("90% compared to
    Transformers and Galaxy"): the cited result is not that system's."""
    clauses = [c for c in re.split(r"[;:()]|,\s+(?:while|whereas|and|but)\b|\.\s", cited_text) if mentions(c, name)]
    return bool(clauses) and all(
        (cue := _BASELINE_CUE.search(c)) is not None and cue.start() < c.lower().find(name.lower()) for c in clauses
    )


def _number_problem(claim: str, span_text: str, cited_text: str, papers_text: str) -> str:
    """The first number of the claim that its cited span lacks, or has only with another unit. A count the claim
    writes as a word must count the same thing in the cited abstract ("a single timestep": "with just 1 timestep";
    not "two GPU servers" for "a GPU server" beside "dual backends"). Then a count of something the cited sentence
    counts otherwise ("three categories" for "two categories"), or an ordinal it does not give ("the second
    benchmark" for "the first")."""
    source = quantities(span_text)
    source_numbers = {n for n, _ in source}
    in_words = {n for n, _ in quantities(claim) - quantities(claim, words=False)}
    counts = _counted(claim)
    counted_in_paper = _counted(f"{span_text} {papers_text}", articles=True)
    for number, unit in sorted(quantities(claim)):
        what = {noun for n, noun in counts if n == number}
        if number in in_words and what:
            if not any((number, noun) in counted_in_paper for noun in what):
                return f"{number} {min(what)}"
            continue
        if number not in source_numbers:
            return number
        units = {u for n, u in source if n == number}
        if unit and "" not in units and unit not in units:
            return f"{number}{unit} (source: {number}{sorted(units)[0]})"
    return _count_problem(claim, cited_text) or _ordinal_problem(claim, cited_text)


_COUNTED = re.compile(r"\b(\d+)\s+([a-z]{3,}s)\b")
_COUNT_OF = re.compile(r"\b(\d+)[\s-]+([a-z]{3,})")


def _counted(text: str, articles: bool = False) -> set[tuple[str, str]]:
    """(count, what it counts) pairs, the noun cut to five letters: "a single timestep" -> ("1", "times"); with
    ``articles``, "a"/"an"/"one" count one ("a GPU-equipped server")."""
    text = _spelled_out(text).lower()
    if articles:
        text = re.sub(r"\b(?:an?|one)\s+(?=[a-z])", "1 ", text)
    return {(n, noun[:5]) for n, noun in _COUNT_OF.findall(text)}
_ORDINALS = {w: n for n, w in enumerate("second third fourth fifth sixth seventh eighth ninth tenth".split(), 2)}
_ORDINAL = re.compile(rf"(?<!per )(?<!\d )\b({'|'.join(_ORDINALS)})\b", re.I)


def _count_problem(claim: str, cited_text: str) -> str:
    said, given = _COUNTED.findall(_spelled_out(claim)), _COUNTED.findall(_spelled_out(cited_text))
    for number, noun in said:
        counts = {n for n, counted in given if counted == noun}
        if counts and number not in counts:
            return f"{number} {noun} (source: {min(counts)} {noun})"
    return ""


def _ordinal_problem(claim: str, cited_text: str) -> str:
    """"Second" and later ("first" is also "the first system to…") must be in the cited sentence: as the word,
    an enumeration mark "(2)", or "2nd"."""
    for word in _ORDINAL.findall(claim):
        n = _ORDINALS[word.lower()]
        if not re.search(rf"\b{word}\b|\(?\b{n}\)|\b{n}(?:st|nd|rd|th)\b", cited_text, re.I):
            return word
    return ""


# phrases about quality read as one token first, so "without hurting quality" never counts as "hurting"
_QUALITY_KEPT = re.compile(
    r"\b(without|no|not)\s+(any\s+|a\s+|significant(ly)?\s+|noticeabl[ey]\s+)?(hurting|affecting|sacrificing|compromising|degrading|"
    r"harming|loss|losing|drop|decrease|degradation|reduction in (accuracy|quality))\b",
    re.I,
)
_QUALITY_LOST = re.compile(
    r"\b(at\s+(some|the|a)\s+(slight\s+)?cost|cost\s+(to|in|of)|slight\s+(drop|decrease|loss)|(drop|decrease|degradation|loss)\s+in)\b", re.I
)
_PREFIXES = ("non-", "non", "dis", "un", "in", "im", "ir", "closed-", "single-", "multi-", "open-")
_SHORT_PREFIXES = ("in", "im", "ir")  # the rest of "interval", "improve" is no word: these need a base of six letters
_SWAPPED_PREFIXES = {"closed-": "open-", "open-": "closed-", "single-": "multi-", "multi-": "single-"}


def _with_or_without(text: str) -> dict[str, str]:
    return {m[2].lower(): m[1].lower() for m in re.finditer(r"\b(with|without)\s+(?:any\s+|the\s+)?([a-z][a-z-]{3,})", text, re.I)}


def _prefix_flip(claim: str, source: str) -> bool:
    """"non-customizable" against "customizable", "aggregated" against "disaggregated", "closed-source" against
    "open-source", "precise" against "imprecise": one side carries a prefix that turns the other's word around."""
    said = set(re.findall(r"[a-z][a-z-]+", claim.lower()))
    given = set(re.findall(r"[a-z][a-z-]+", source.lower()))
    for mine, theirs in ((said, given), (given, said)):
        for word in mine - theirs:
            for prefix in _PREFIXES:
                if not word.startswith(prefix) or len(word) - len(prefix) < (6 if prefix in _SHORT_PREFIXES else 5):
                    continue
                base = word[len(prefix) :]
                other = _SWAPPED_PREFIXES.get(prefix, "") + base
                if other in theirs and other not in mine:
                    return True
    return False


def _direction_problem(claim: str, cited_text: str, papers_text: str) -> str:
    """How the sentence turns its cited text around, if it does; ``papers_text`` (the cited abstracts) tells
    whether a word the sentence uses is one the paper uses elsewhere."""
    if _prefix_flip(claim, cited_text):
        return "prefix turned around"
    claimed, cited = _with_or_without(claim), _with_or_without(cited_text)
    if any(cited.get(word) not in (None, how) for word, how in claimed.items()):
        return "with / without swapped"

    def canonical(text: str) -> str:
        return _words(_QUALITY_LOST.sub(" qualitylost ", _QUALITY_KEPT.sub(" qualitykept ", text)))

    asserted = re.sub(r"\b(rather than|instead of|as opposed to)\b[^,;.]*", " ", claim, flags=re.I)  # "X rather than Y" asserts X only
    if detail := _metric_direction(asserted, cited_text) or _relation_swapped(claim, cited_text):
        return detail
    said, source = canonical(asserted), canonical(cited_text)
    for one, other in _OPPOSITES:
        for mine, theirs in ((one, other), (other, one)):
            if _has_any(said, mine) and not _has_any(said, theirs) and _has_any(source, theirs) and not _has_any(source, mine):
                return "opposite direction"
    if _NEGATION.search(claim) and not _NEGATION.search(cited_text):
        return "negation added"
    return opposite_of_the_same(asserted, cited_text, papers_text) or negation_turned(claim, cited_text, papers_text)


_SIDE_WORDS = re.compile(r"[a-z0-9][a-z0-9.%/-]*")
_SIDE_STOP = {"the", "a", "an", "of", "and", "to", "back"}
_FROM_TO = re.compile(r"\bfrom\s+((?:[^,;.()]|\.(?=\d)){1,60}?)\s+(?:back\s+)?(?:to|into|towards?)\s+([^,;()]{1,60}?)(?=[,;()]|\.\s|\.?$|\s+(?:on|in|with|while|for|at|by|and|which|meanwhile)\b)", re.I)
_MOVE = re.compile(r"\b(?:to|into|onto)\b")
_SIDE_AUX = {"can", "be", "is", "are", "was", "were", "much", "far", "significantly", "considerably", "on", "in", "for", "that"}
_TWO_SIDED = {
    "from / to": _FROM_TO,
    "than": re.compile(r"((?:[\w.%/-]+\s+){1,4}?)(?:more|less|fewer|\w{3,}er)\s+(?:[\w-]+\s+){0,2}?than\s+((?:[\w.%/-]+\s*){1,3})", re.I),
    "of / on": re.compile(r"\b(?:impacts?|effects?|influences?)\s+of\s+([^,;.()]{1,60}?)\s+on\s+([^,;.()]{1,60})", re.I),
}
_CONTRAST = re.compile(r"\b(?:rather than|instead of|as opposed to)\s+([^,;.]+)", re.I)
# comparatives: the same word after one of a pair says the opposite ("larger models" against "smaller models")
_COMPARATIVES = [("larger", "smaller"), ("bigger", "smaller"), ("higher", "lower"), ("more", "fewer"), ("more", "less"),
                 ("longer", "shorter"), ("faster", "slower"), ("better", "worse"), ("earlier", "later"), ("stronger", "weaker")]


def _side(text: str) -> set[str]:
    return {w.strip(".") for w in _SIDE_WORDS.findall(text.lower().replace('"', " "))} - _SIDE_STOP


def _overlap(one: set[str], other: set[str]) -> float:
    return len(one & other) / max(1, min(len(one), len(other)))


def _moves(text: str) -> set[tuple[str, str]]:
    """(what, where) word pairs around "to"/"into": up to four words before, two after ("offline HE computation
    to the online phase" gives ("offline", "online") among others)."""
    pairs = set()
    for clause in re.split(r"[,;:()]|\.\s", text.lower()):
        words = re.findall(r"[a-z][\w-]+", clause)
        for i, word in enumerate(words):
            if _MOVE.fullmatch(word):
                before = [w for w in words[max(0, i - 4) : i] if w not in _SIDE_STOP]
                after = [w for w in words[i + 1 : i + 4] if w not in _SIDE_STOP][:2]
                pairs |= {(a, b) for a in before for b in after if a != b}
    return pairs


def _two_sides(pattern: re.Pattern[str], text: str) -> list[tuple[set[str], set[str]]]:
    """The words on each side of every relation the pattern finds, less the words both sides share ("tensor
    parallelism … than pipeline parallelism" gives {tensor} and {pipeline})."""
    found = []
    for m in pattern.finditer(text):
        a, b = _side(m[1]) - _SIDE_AUX, _side(m[2]) - _SIDE_AUX
        found.append((a - b, b - a))
    return found


def _exchanged(a: set[str], b: set[str], c: set[str], d: set[str]) -> bool:
    """A relation (a, b) that matches (c, d) better the other way round."""
    crossed, straight = (_overlap(a, d), _overlap(b, c)), (_overlap(a, c), _overlap(b, d))
    return bool(a and b and c and d) and min(crossed) >= 0.5 and sum(crossed) > sum(straight)


def _relation_swapped(claim: str, cited_text: str) -> str:
    """The two sides of a relation exchanged: a shift "from A to B" told as from B to A (also "WER from 3.1% to
    4.4%" where it fell), "A more effective than B" where the source has B more effective than A, "the impact
    of A on B" for the impact of B on A, something moved "X … into the Y" told the other way, "larger models" for "smaller models",
    or "A rather than B" where the source says B rather than A."""
    for kind, pattern in _TWO_SIDED.items():
        for a, b in _two_sides(pattern, claim):
            if any(_exchanged(a, b, c, d) for c, d in _two_sides(pattern, cited_text)):
                return f"{kind} swapped"
    said, given = _moves(claim), _moves(cited_text)
    if any((b, a) in given and (a, b) not in given for a, b in said):
        return "moved the other way"
    said_words, given_words = _words(claim), _words(cited_text)
    for one, other in _COMPARATIVES:
        for mine, theirs in ((one, other), (other, one)):
            for noun in re.findall(rf" {mine} ([a-z]{{4,}})", said_words):
                if f" {theirs} {noun} " in given_words and f" {mine} {noun} " not in given_words:
                    return f"{mine} {noun} (source: {theirs} {noun})"
    asserted_source = _side(_CONTRAST.sub(" ", cited_text))
    for rejected_here in _CONTRAST.findall(claim):
        asserted_here = _side(_CONTRAST.sub(" ", claim))
        for rejected_there in _CONTRAST.findall(cited_text):
            rh, rt = _side(rejected_here), _side(rejected_there)
            if _overlap(rh, asserted_source) >= 0.6 and _overlap(rh, rt) < 0.5 and len(rt & asserted_here) / max(1, len(rt)) >= 0.6:
                return "rather than swapped"
    return ""


_METRIC = re.compile(r"latency|latencies|throughput|accuracy|error|wer|memory|footprint|cost|energy|bandwidth|overhead|speed|quality|perplexity")
_UP = re.compile(r"^(higher|high|increas\w*|ris\w*|grow\w*|more|larger|rais\w*|inflat\w*)$")
_DOWN = re.compile(r"^(lower|low|reduc\w*|decreas\w*|cut\w*|fewer|less|smaller|drop\w*|shrink\w*|sav\w*|relax\w*)$")
# "better" moves a metric down where lower is better (latency, WER, perplexity), up where higher is (accuracy)
_BETTER = re.compile(r"^(improv\w*|better|faster|quicker|accelerat\w*|speedups?)$")
_WORSE = re.compile(r"^(worse\w*|degrad\w*|slower|hurt\w*)$")
_LOWER_IS_BETTER = {"latency", "error", "wer", "memory", "footprint", "cost", "energy", "overhead", "perplexity"}
_HIGHER_IS_BETTER = {"throughput", "accuracy", "speed", "quality"}


def _directions(text: str) -> dict[str, set[str]]:
    """For each metric a text names, the directions said of it within three words ("1.9x lower latency", "2x
    faster latency" is lower)."""
    found: dict[str, set[str]] = {}
    text = re.sub(r",\s*(?:however|moreover|in turn|in contrast|though|therefore|thus)\s*,", " ", text.lower())  # asides
    text = re.sub(r"\b([a-z]+)-(to|of|and)-([a-z]+)\b", r"\1\2\3", text)  # "end-to-end" is one word
    for clause in re.split(r"[,;:()]|\band\b|\bwhile\b|\bbut\b", text):
        words = re.findall(r"[a-z]+", clause)
        for i, word in enumerate(words):
            metric = _METRIC.fullmatch(word)
            if not metric:
                continue
            name = metric[0].rstrip("s").replace("latencie", "latency")
            better = "down" if name in _LOWER_IS_BETTER else "up" if name in _HIGHER_IS_BETTER else ""
            worse = {"down": "up", "up": "down"}.get(better, "")
            near = words[max(0, i - 3) : i] + words[i + 1 : i + 4]
            said = {"up" for w in near if _UP.match(w)} | {"down" for w in near if _DOWN.match(w)}
            said |= {better for w in near if better and _BETTER.match(w)} | {worse for w in near if worse and _WORSE.match(w)}
            found.setdefault(name, set()).update(said)
    return found


def _metric_direction(claim: str, cited_text: str) -> str:
    said, source = _directions(claim), _directions(cited_text)
    for metric, directions in said.items():
        if len(directions) == 1 and len(source.get(metric, set())) == 1 and directions != source[metric]:
            return f"{metric} goes the other way"
    return ""


@lru_cache(maxsize=4096)  # the same cited papers come back for every sentence of an answer
def _own_names(title: str, abstract: str) -> set[str]:
    """What a paper calls its own system: its title's name, the name its abstract uses most ("LLMCompiler" in
    "An LLM Compiler for Parallel Function Calling"), and a name it introduces ("the proposed IIR-SNNs", "we
    present JITServe")."""
    counts: dict[str, int] = {}
    for name in re.findall(r"[\w./-]+", abstract):
        if is_name(name):
            counts[name.strip(".")] = counts.get(name.strip("."), 0) + 1
    top = max(counts.values(), default=0)
    introduced = {m.strip(".") for m in _INTRODUCED.findall(abstract) if is_name(m.strip("."))}
    return {short_name(title)} | {n for n, c in counts.items() if c == top and c > 1} | introduced


_INTRODUCED = re.compile(r"\b(?:proposed|our|named|called|dubbed|introduce|introduces|present|presents)\s+(?:(?:a|an|the)\s+)?([\w./-]+)")
