"""Whether a sentence turns around what its source says of the same thing.

The verifier's whole-text rules ask whether a sentence uses one side of an opposite pair that its source never
uses; these ask it word by word, anchored: "higher" said of the latency where the source says "lower" of it, or
"training" said plainly where the source says "no training". Anchoring on the word the direction is said of lets
a broad lexicon of opposites be used without turning every sentence that mentions both "more" and "less" away."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

# one word each side: a word matches a token that is it or its inflection ("rise", "rises", "rising"); a "*" word
# also matches a token it begins ("reduc*": "reduces", "reduction")
OPPOSITE_WORDS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("increas*", "rais*", "grow*", "grew", "rise", "rising", "rose", "boost", "inflat*", "expand*", "amplif*", "higher", "high",
      "highest", "more", "most", "larger", "large", "largest", "bigger", "big", "biggest"),
     ("decreas*", "reduc*", "lower", "low", "lowest", "cut", "shrink*", "shrank", "drop", "diminish*", "declin*", "fall", "fell",
      "sav*", "relax*", "less", "fewer", "least", "fewest", "smaller", "small", "smallest", "tiny")),
    (("longer", "long", "longest"), ("shorter", "short", "shortest")),
    (("faster", "fast", "fastest", "quicker", "speedup", "accelerat*"), ("slower", "slow", "slowest", "slowdown", "decelerat*")),
    (("earlier", "early", "before"), ("later", "late", "after", "delay", "postpon*", "defer")),
    (("better", "best", "improv*", "outperform*", "surpass*", "exceed", "beat", "stronger", "strong", "gain"),
     ("worse", "worst", "degrad*", "worsen", "underperform*", "trail", "lag", "weaker", "weak", "hurt", "harm", "loss", "lose")),
    (("maximiz*", "maximum", "max", "upper"), ("minimiz*", "minimum", "min", "lower")),
    (("enabl*", "allow", "permit"), ("prevent", "disabl*", "forbid*", "prohibit", "block")),
    (("includ*", "add", "insert"), ("exclud*", "remov*", "omit", "delet*", "eliminat*")),
    (("static*", "fixed", "offline", "predetermin*", "preset"), ("dynamic*", "adaptiv*", "online", "runtime", "on-the-fly")),
    (("synchronous*", "sync", "blocking"), ("asynchronous*", "async", "non-blocking")),
    (("sequential*", "serial*", "one-by-one"), ("parallel*", "concurren*", "simultaneous*")),
    (("centraliz*", "centralis*"), ("decentraliz*", "decentralis*", "distributed", "peer-to-peer")),
    (("homogeneous", "uniform", "same", "identical", "single"), ("heterogeneous", "non-uniform", "different", "varying", "mixed", "multiple", "multi")),
    (("explicit*",), ("implicit*",)),
    (("manual*", "hand-craft*", "handcraft*", "hand-tun*", "heuristic*", "rule-based"), ("automat*", "learned")),
    (("supervised",), ("unsupervised", "self-supervised")),
    (("stateful",), ("stateless",)),
    (("lossy", "approximat*"), ("lossless", "exact*")),
    (("dense", "full"), ("sparse", "partial*")),
    (("coarse*",), ("fine-grained", "fine")),
    (("local*",), ("global*", "remote*")),
    (("co-locat*", "colocat*", "unifi*", "unified", "aggregat*", "share", "shared", "sharing", "combin*", "merg*", "fuse", "fusion", "together"),
     ("disaggregat*", "separat*", "split*", "decoupl*", "isolat*", "partition*", "distinct")),
    (("preserv*", "maintain*", "retain*", "keep", "kept", "stabiliz*", "similar", "comparable", "match*"),
     ("degrad*", "sacrific*", "compromis*", "destabiliz*", "deteriorat*", "lose", "lost", "loss", "drop", "hurt", "harm", "discard")),
    (("tight*", "strict*", "stringent"), ("loose*", "relax*", "lenient")),
    (("meet*", "met", "satisf*", "adher*", "within", "inside"), ("miss*", "violat*", "outside", "beyond")),
    (("agnostic", "independent", "generic", "general-purpose", "universal"), ("specific", "dependent", "tailored")),
    (("similar", "comparable", "same", "match*"), ("lower", "higher", "worse", "better", "less", "more", "reduc*", "increas*")),
    (("zero-shot", "plug-and-play", "drop-in"), ("train", "trained", "fine-tun*", "retrain*")),
    (("overestimat*",), ("underestimat*",)),
    (("underutiliz*", "idle"), ("overload*", "saturat*", "busy")),
    (("memory-bound", "bandwidth-bound"), ("compute-bound",)),
    (("cheap", "cheaper", "inexpensive", "affordabl*"), ("expensive", "costly", "costlier")),
    (("simple", "simpler", "simplif*", "easy", "easier", "lightweight"), ("complex", "complicat*", "hard", "harder", "difficult*", "heavyweight")),
    (("robust*", "stable"), ("fragil*", "brittle", "unstable", "sensitiv*")),
    (("accurate*",), ("inaccurat*",)),
    (("efficient*",), ("inefficien*", "wasteful")),
    (("success*", "succeed"), ("fail*",)),
    (("open-source*", "public*"), ("closed-source", "proprietary", "private")),
    (("upload*", "uplink"), ("download*", "downlink")),
    (("always", "every", "all"), ("never", "sometimes", "some", "rarely", "occasionally")),
    (("positive*",), ("negative*",)),
    (("above",), ("below",)),
]
_NEGATORS = {
    "not", "no", "never", "without", "cannot", "nor", "neither", "lack", "lacks", "lacking", "unable", "avoid", "avoids",
    "avoiding", "eliminates", "eliminating",
}
# phrases read as one word first: "without hurting quality" is no "hurting", "at some cost to quality" is a loss
_PHRASES = {
    r"\b(?:without|no|not)\s+(?:any\s+|a\s+|significant(?:ly)?\s+|noticeabl[ey]\s+)?(?:hurting|affecting|sacrificing|"
    r"compromising|degrading|harming|losing|loss|drop|decrease|degradation)\b": "preserving",
    r"\bat\s+(?:the|a|some)\s+(?:\w+\s+)?(?:cost|expense)\s+(?:of|to|in)\b": "sacrificing",
    r"\bone at a time\b": "sequentially",
    r"\bon par\b": "comparable",
    r"\bfree of\b": "no",
    r"\bnot only\b": " ",
}
# words between a negator and what it negates ("does not necessarily require", "no additional training")
_PASS_OVER = {
    "a", "an", "the", "any", "be", "been", "being", "is", "are", "was", "were", "do", "does", "did", "to", "have", "has",
    "need", "needs", "necessarily", "always", "longer", "additional", "extra", "further", "significant", "significantly",
    "much", "noticeable", "noticeably", "explicit", "separate", "costly", "expensive", "major", "of", "its", "their", "for",
}
_FUNCTION_WORDS = {
    "a", "an", "the", "and", "or", "of", "in", "on", "at", "by", "for", "to", "with", "as", "is", "are", "was", "were", "be",
    "been", "it", "its", "this", "that", "these", "those", "they", "their", "than", "up", "over", "compared", "which",
    "while", "from", "into", "such", "can", "also", "both", "each", "per", "x", "s", "times", "relative",
}
_CLAUSES = re.compile(r"[,;:()]|\.\s|\b(?:while|whereas|but|though|although|however)\b")
_BOUNDARIES = {"with", "without", "whereas", "while", "or"}
_STEM = Stemmer.Stemmer("english")
_REACH = 2


def _tokens(clause: str, split: bool = True) -> list[str]:
    """Lower-case words, some phrases as one (``_PHRASES``); a "-free" compound reads as its negation
    ("training-free" -> "no training"), and (with ``split``) a compound with a lexicon word as its parts
    ("low-latency", "model-specific")."""
    clause = re.sub(r"\b([a-z]+)-free\b", r"no \1", clause.replace("n't", " not"))
    for phrase, word in _PHRASES.items():
        clause = re.sub(phrase, word, clause)
    tokens = []
    for token in re.findall(r"[a-z0-9][a-z0-9.%]*(?:-[a-z0-9]+)*", clause):
        token = token.rstrip(".")
        apart = split and "-" in token and not _sides(token) and any(_sides(part) for part in token.split("-"))
        tokens += token.split("-") if apart else [token]
    return tokens


_INFLECTIONS = ("", "s", "es", "d", "ed", "ing")


def _matches(token: str, words: tuple[str, ...]) -> bool:
    return any(token.startswith(w[:-1]) if w.endswith("*") else token in {w + end for end in _INFLECTIONS} for w in words)


@lru_cache(maxsize=65536)
def _anchor(token: str) -> str:
    """What a direction can be said of: a content word, stemmed; empty for function words and the pair words."""
    if token in _FUNCTION_WORDS or token in _NEGATORS or _sides(token):
        return ""
    return _STEM.stemWord(token.rstrip(".%"))


@lru_cache(maxsize=4096)  # a cited text is read once for every sentence that cites it
def _clauses(text: str, split: bool = True) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(_tokens(c, split)) for c in _CLAUSES.split(text.lower()) if c and c.strip())


@lru_cache(maxsize=65536)
def _sides(token: str) -> frozenset[tuple[int, int]]:
    """(pair, side) of every lexicon side a token matches."""
    return frozenset((p, k) for p, pair in enumerate(OPPOSITE_WORDS) for k, side in enumerate(pair) if _matches(token, side))


def _near(words: tuple[str, ...], i: int) -> set[str]:
    """The anchors a word at i is said of: up to two content words each side, not past a word that starts
    another phrase ("similar accuracy with lower latency": "similar" is not said of latency)."""
    found: set[str] = set()
    for step in (-1, 1):
        taken, j = 0, i + step
        while 0 <= j < len(words) and taken < _REACH and words[j] not in _BOUNDARIES:
            if anchor := _anchor(words[j]):
                found.add(anchor)
                taken += 1
            j += step
    return found


@lru_cache(maxsize=4096)
def _said_of(text: str) -> dict[tuple[int, int], set[str]]:
    """For each (pair, side), the anchors it is said of."""
    said: dict[tuple[int, int], set[str]] = {}
    for words in _clauses(text):
        for i, word in enumerate(words):
            for side in _sides(word):
                said.setdefault(side, set()).update(_near(words, i))
    return said


def opposite_of_the_same(claim: str, source: str, paper: str) -> str:
    """A word of one side said of something the cited source says the other side of, and its paper never this
    side ("higher latency" where the source has "lower latency"; but not "the fast path" where the source names
    the slow one and the abstract the fast one); the anchor and the two words as detail."""
    said, given, anywhere = _said_of(claim), _said_of(source), _said_of(paper)
    for (p, k), anchors in sorted(said.items()):
        other = (p, 1 - k)
        turned = anchors & given.get(other, set()) - anywhere.get((p, k), set()) - said.get(other, set())
        if turned:
            return f"{OPPOSITE_WORDS[p][k][0].rstrip('*')}… {min(turned)} (source: {OPPOSITE_WORDS[p][1 - k][0].rstrip('*')}…)"
    return ""


def _negated_and_plain(text: str) -> tuple[set[str], set[str]]:
    """Stems said under a negation ("no training", "does not require") and stems said plainly (a compound is one
    word here: "post-training" says nothing plainly of training)."""
    negated: set[str] = set()
    plain: set[str] = set()
    for words in _clauses(text, split=False):
        negating = False
        for word in words:
            if word in _NEGATORS:
                negating = True
            elif negating and word not in _PASS_OVER:
                negated.add(_STEM.stemWord(word))
                negating = False
            elif not negating and word not in _FUNCTION_WORDS:
                plain.add(_STEM.stemWord(word))
    return negated, plain


def negation_turned(claim: str, source: str, paper: str) -> str:
    """A word the cited source says under a negation, and its paper never plainly, that the sentence says plainly
    ("requires training" where the source says "requires no training"), or the other way round."""
    claim_negated, claim_plain = _negated_and_plain(claim)
    source_negated, source_plain = _negated_and_plain(source)
    paper_negated, paper_plain = _negated_and_plain(paper)
    if dropped := sorted((source_negated - paper_plain) & (claim_plain - claim_negated)):
        return f"negation dropped: {dropped[0]}"
    if added := sorted((claim_negated - claim_plain) & (source_plain - paper_negated)):
        return f"negation added: {added[0]}"
    return ""


_FIGURE = re.compile(r"[+~]?\d[\d.,]*(?:[x×%]|ms|s)?(?:/\d[\d.,]*(?:[x×%]|ms|s)?)*", re.I)
_FIGURE_STOP = {
    "the", "a", "an", "of", "to", "and", "or", "by", "up", "for", "in", "on", "at", "with", "over", "than", "compared",
    "is", "are", "its", "it", "this", "that", "which", "as", "from", "per", "only", "about", "around", "nearly",
    "roughly", "approximately", "respectively", "while", "but", "also", "more", "less", "times", "x",
}


def _figures(text: str) -> tuple[dict[str, set[str]], set[str]]:
    """Each figure of a text with the words that follow it up to the next figure in its clause ("7.3x": {"over",
    "state-of-the-art", "latency-oriented", "scenarios"}), and the words that follow no figure."""
    bound: dict[str, set[str]] = {}
    free: set[str] = set()
    for clause in re.split(r"[;:()]|,\s", text.lower()):
        current: list[str] = []
        for token in re.findall(r"[+~]?[a-z0-9][\w.%/+×-]*", clause):
            token = token.rstrip(".")
            if _FIGURE.fullmatch(token):
                current = [f.rstrip("x×") for f in token.split("/")]
                for figure in current:
                    bound.setdefault(figure, set())
            elif token not in _FIGURE_STOP:
                for figure in current:
                    bound[figure].add(token)
                if not current:
                    free.add(token)
    return bound, free


def figure_rebound(claim: str, source: str) -> str:
    """A figure told with what the source tells of another figure, and without what it tells of this one
    ("7.3x … for throughput-oriented scenarios" where the source gives 7.3x for latency-oriented ones and 1.5x
    for throughput-oriented ones; not "3.7x compared to ReAct" where "compared to ReAct" closes a list of
    figures). Sources that pair figures with cases by position ("respectively") are not read."""
    if "respectively" in source.lower():
        return ""
    said, _ = _figures(claim)
    given, free = _figures(source)
    for figure, words in said.items():
        if figure not in given:
            continue
        others = set().union(*(w for f, w in given.items() if f != figure)) - free
        wrong, left_out = sorted(words & others - given[figure]), given[figure] - others - free - words
        if wrong and left_out:
            return f"{figure} with {wrong[0]} (source: {min(left_out)})"
    return ""
