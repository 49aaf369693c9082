"""Names a paper goes by ("DistServe", "PARO", "TokenSelect"), so a question naming one finds it first."""

from __future__ import annotations

import re

from citewise.records import Paper

# Words that look like names but name a field, not a paper.
_GENERIC = {
    "llm", "llms", "gpu", "gpus", "cpu", "dnn", "dnns", "nas", "asr", "kv", "ai", "rag", "moe", "vla", "slo",
    "mllm", "slm", "slms", "nlp", "api", "fp8", "int8", "int4", "dit", "gqa", "nsa", "ptq", "sota", "the", "a",
    "an", "for", "and", "via", "with", "towards", "toward", "of", "on", "in", "to", "efficient", "fast",
    "true", "wer", "cnn", "cnns", "snn", "snns", "slos", "mllms", "vlm", "vlms", "qoe", "jit", "e2e", "p2p",
    "d2d", "eos", "tpot", "ttft", "rtc", "fim", "cps", "kvs", "mii",
}
_PAREN_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9-]*[A-Z0-9][A-Za-z0-9-]*)\)")
# "We present LLMCompiler, ..." / "we propose a new system, FlexGen": names an abstract introduces.
_INTRODUCED = re.compile(r"\b(?:introduce|present|propose|develop|design|build)s?\s+((?:[\w-]+[\s,]+){0,3}?[\w-]+)", re.I)


def _is_name_like(word: str) -> bool:
    """CamelCase inside a part (DistServe, FiRST), ALL CAPS (HELP, TPI-LLM) or letters with digits (S2S)."""
    letters = word.replace("-", "")
    if len(letters) < 3 or not letters.isalnum():
        return False
    if letters.isupper() or (any(c.isdigit() for c in letters) and any(c.isalpha() for c in letters)):
        return True
    return any(any(c.isupper() for c in part[1:]) for part in word.split("-"))


def normalize_alias(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def paper_aliases(paper: Paper) -> set[str]:
    """The title's name before a colon, name-like title words (CamelCase, ALLCAPS), (ACRONYMS) of the abstract and
    the names it introduces ("we present LLMCompiler")."""
    names: set[str] = set()
    if ":" in paper.title:
        head = paper.title.split(":", 1)[0].strip()
        if len(head.split()) <= 3:
            names.add(head)
    for word in re.split(r"[\s:,;()]+", paper.title):
        if _is_name_like(word):
            names.add(word)
    for sentence in paper.sentences:
        names.update(_PAREN_ACRONYM.findall(sentence))
        for phrase in _INTRODUCED.findall(sentence):
            names.update(w for w in re.split(r"[\s,]+", phrase) if _is_name_like(w))
    normalized = {normalize_alias(n) for n in names}
    return {n for n in normalized if len(n) >= 3 and n not in _GENERIC}
