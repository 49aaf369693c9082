"""What a question asks for — a license, a GPU model, a device count, a parameter count, a price, bit widths, a
score on a named benchmark — and whether a paper's text states it.

A paper can be on topic and still silent on the one thing asked ("What license is FlashInfer released under?"):
then quoting its nearest sentences would read as an answer. The focus names what the evidence must contain."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from citewise.records import Paper, short_name

_HARDWARE = (
    r"\b(?:[AHLTV]\d{1,3}[A-Z]?|H800|H20|GH200|B200|RTX[\s-]?\d{3,4}\w*|GTX[\s-]?\d{3,4}|Jetson[\s-]?\w*|Orin|Xavier|"
    r"TPU[\s-]?v?\d*\w*|Ascend[\s-]?\d*\w*|MI\d{3}\w*|Raspberry[\s-]?Pi[\s-]?\d*|Snapdragon[\s-]?\d*|Pixel[\s-]?\d+|"
    r"iPhone[\s-]?\d*|Apple[\s-]M\d\w*|Xeon|EPYC|Gaudi[\s-]?\d*|Graviton\d*|\d+\s*[x×]\s*[AHLTV]\d{1,3})\b"
)
_DEVICES = r"(?:gpus?|npus?|tpus?|devices|nodes|machines|servers|workers|chips|accelerators|cards|phones)"
# kinds of device a testbed is made of ("edge devices" names none)
_DEVICE_KINDS = r"(?:[Ll]aptops?|[Rr]aspberry[\s-]?[Pp]is?|(?:[Ss]mart)?[Pp]hones?|[Dd]esktops?|[Tt]ablets?|MacBooks?)\b"
_QUALITY = r"quality|accuracy|FID|PSNR|SSIM|LPIPS|perplexity|CLIP[- ]score|BLEU|ROUGE"
# "how many GPU hours": a figure in a unit, not a count of devices
_NOT_DEVICE_COUNT = r"(?:hours?|days?|memory|time|seconds?|minutes?|utili[sz]ation)\b"
_MODEL_FAMILIES = (
    r"\b(?:Llama|LLaMA|Mistral|Mixtral|GPT-?\w*|Qwen\w*|OPT|Falcon|Vicuna|Gemma|Phi-?\d\w*|BERT|T5|BLOOM|DeepSeek\w*|Yi|"
    r"ChatGLM|Pythia|Claude|Gemini|ResNet\w*|ViT\w*|Whisper|CodeLlama|StarCoder\w*)[\w.-]*"
)


class Focus(BaseModel):
    """The thing asked for, and how to tell that a text states it."""

    label: str = Field(description="As the refusal names it: 'a license', 'the GPU model'.")
    pattern: str = Field(description="Regular expression that finds it in a paper's text.")
    ignore_case: bool = True
    figure: bool = Field(False, description="A number is asked for, so the benchmark it is given on matters.")
    on: str | None = Field(None, description="The benchmark or test set the figure must be given on: 'Voice Search'.")

    def stated_in(self, text: str) -> bool:
        found = re.search(self.pattern, text, re.I if self.ignore_case else 0)
        return bool(found) and (self.on is None or bool(name_pattern(self.on).search(text)))

    def stated_by(self, paper: Paper) -> bool:
        """Whether the paper states it of its own work, in a sentence or in its listing (title, byline, code links)."""
        listing = " ".join([paper.title, paper.organization or "", " ".join(paper.code_urls)])
        return self.stated_in(listing) or any(self.stated_in(s) for s in own_sentences(paper))


# (question pattern, focus) — first match wins; order from the most specific.
_FOCI: list[tuple[re.Pattern[str], Focus]] = [
    (re.compile(r"\blicen[cs]e[sd]?\b", re.I), Focus(label="a license", pattern=r"\blicen[cs]\w*|\b(MIT|Apache|GPL|BSD)\b")),
    (
        re.compile(r"\b(word error rates?|WER|character error rates?|CER)\b", re.I),
        Focus(label="an error rate", figure=True, pattern=r"\b(WER|CER|word error rate|character error rate)\b[^.]{0,60}\d|\d[^.]{0,40}\b(WER|word error rate)\b"),
    ),
    (
        re.compile(r"\b(price|pricing|dollars?|usd|cents?|monetary|cost in money|how much (does|would|did) it cost)\b|\$", re.I),
        Focus(label="a cost in money", pattern=r"\$\s?\d|\b\d[\d.,]*\s*(dollars?|usd|cents?)\b|\bper (million|thousand) tokens\b"),
    ),
    (
        re.compile(
            rf"\bhow many (?:[\w-]+\s){{0,2}}{_DEVICES}\b(?![\s-]*{_NOT_DEVICE_COUNT})|\bnumber of {_DEVICES}\b|\b{_DEVICES}[\w\s,()-]{{0,20}}\bcount\b",
            re.I,
        ),
        Focus(label="a device count", pattern=rf"\b\d[\d,]*\s*(?:[\w-]+\s){{0,2}}{_DEVICES}\b|\b\d+\s*[x×]\s*[A-Z]\w*\d"),
    ),
    (
        re.compile(
            r"\b(which|what)\b[\w\s-]{0,30}\b(gpu|gpus|hardware|device|accelerator|chip|cpu|tpu|npu|board|phone)s?\b"
            r"[\w\s-]{0,20}\b(model|type|kind|exactly|specific(ally)?|used|use|run|running|ran|benchmarked|evaluated|tested|measured|on)\b"
            r"|\b(gpu|hardware|device) (model|type)\b|\bwhat hardware\b|\bwhich (consumer |specific |exact )?(gpu|device|hardware)\b",
            re.I,
        ),
        Focus(label="the hardware model", pattern=_HARDWARE, ignore_case=False),
    ),
    (
        re.compile(rf"\bwhat (kind|type|sort)s?\b(?: of)?[^?]{{0,40}}\b({_DEVICE_KINDS}|(?:devices?|hardware|machines?|gpus?)\b)", re.I),
        Focus(label="the kind of device", pattern=rf"{_HARDWARE}|\b{_DEVICE_KINDS}", ignore_case=False),
    ),
    (
        re.compile(r"\bhow much\b[\w\s-]{0,20}\b(quality|accuracy)\b[\w\s-]{0,20}\b(lost|loss|drops?|dropped|degrad\w*|decreas\w*|sacrific\w*)\b", re.I),
        Focus(label="how much quality is lost", pattern=rf"\b({_QUALITY})\b[^.]{{0,60}}\d|\d[^.]{{0,40}}\b({_QUALITY})\b"),
    ),
    (
        re.compile(r"\b(parameter count|how many parameters|number of parameters|params|model sizes?|how (big|large) (is|are|was|were) the models?)\b", re.I),
        Focus(
            label="a parameter count",  # "32K context" or "1B tokens" is not a model size
            figure=True,
            pattern=r"\b\d+(\.\d+)?\s*(M|B|million|billion)\b(?![\s-]*(tokens|requests|images|samples|words|steps|context))"
            r"|\b\d[\d.,]*\s*(million|billion)?\s*parameters\b",
        ),
    ),
    (
        re.compile(r"\bbit[- ]?widths?\b|\b(how many|which|what) bits\b|\bW\d+A\d+\b|\bprecision (format|level)s?\b", re.I),
        Focus(label="the bit widths", pattern=r"\bW\d+A\d+\b|\b(INT|FP|int|fp)\d+\b|\b\d+[- ]bits?\b|\bbit-?widths? of \d"),
    ),
    (
        re.compile(
            r"\b(which|what) (models|llms|language models|base models|backbones|(embedding|encoder|base|backbone|language|vision) models?)\b"
            r"(?! (does|do|did) it (speed|accelerat))|\bmodels? exactly\b|\bwhich ones exactly\b",
            re.I,
        ),
        Focus(label="the model names", pattern=_MODEL_FAMILIES, ignore_case=False),
    ),
    (
        re.compile(r"\b(throughput)\b[\w\s]{0,12}\b(numbers?|figures?|gains?|improvements?|increase)\b|\bhow much (higher|more) throughput\b", re.I),
        Focus(label="a throughput figure", figure=True, pattern=r"throughput[^.]{0,80}\d|\d[^.]{0,60}throughput"),
    ),
]


# A figure asked for in a unit ("TTFT in milliseconds", "how many GPU hours", "how many MB smaller") or on a named
# metric ("What COCO mAP…", "What FID…"): the paper must give a number in that unit, or next to that metric.
_UNITS = [  # (the unit in the question, as the refusal names it, a number in that unit in a paper)
    (r"milli-?seconds?|\bms\b", "milliseconds", r"\d\s*(ms|milli-?seconds?)\b"),
    (r"micro-?seconds?|\bµs\b", "microseconds", r"\d\s*(µs|us|micro-?seconds?)\b"),
    (r"(gpu|tpu|npu)[- ]hours|\bhours\b", "hours", r"\d[\d.,]*\s*(k\s*)?((gpu|tpu|npu)[- ])?hours\b"),
    (r"\bdays\b", "days", r"\d[\d.,]*\s*days\b"),
    (
        r"long (?:does|did|do|is|was|will|would|has|have|had)\b", "time",
        r"\b(\d[\d.,]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several)\s*"
        r"(ms|s|seconds?|minutes?|min|hours?|h|days?|weeks?|months?|years?)\b",
    ),
    (r"giga-?bytes?|\bgb\b", "gigabytes", r"\d\s*(GB|gigabytes?)\b"),
    (r"mega-?bytes?|\bmb\b", "megabytes", r"\d\s*(MB|megabytes?)\b"),
    (r"mm\^?2|mm²|square milli", "mm²", r"\d\s*(mm\^?2|mm²|square millimet)"),
    (r"\b(milli)?watts?\b|\b(milli)?joules?\b|\bmj\b", "watts or joules", r"\d\s*(W|watts?|J|joules?|mJ|millijoules?)\b"),
    (r"tokens? (per|/) ?s(ec(ond)?)?\b|tokens/s\b", "tokens per second", r"\d\s*(tokens?\s*(per|/)\s*s(ec(ond)?)?\b|tok/s)"),
]
_METRICS = r"mAP|FID|BLEU|ROUGE(-\w+)?|PPL|perplexity|F1|top-?[15]|PSNR|SSIM|LPIPS|IoU|CLIP[- ]score|pass@\d+|EM|exact match|FLOPs|MACs"

# The quantity a figure question measures ("how many FLOPs does…", "by what percentage does X reduce bitrate", "what is
# the longest context length…"): the paper must give a number next to it. Generic gains ("how much faster", "what
# speedup") are not held to this: papers state them in many words ("serves 4.48x more requests").
_AUX = r"(?:does|do|did|is|are|was|were|can|could|would|will|has|have|had)"
_MEASURED = [
    re.compile(rf"\bhow (?:many|much) ((?:[\w'-]+\s+){{0,3}}?[\w'-]+)\s+{_AUX}\b", re.I),
    re.compile(rf"\bwhat (?:percentage|percent|fraction|share|proportion|portion) of (?:the |its |their )?((?:[\w'-]+\s+){{0,3}}?[\w'-]+)\s+{_AUX}\b", re.I),
    re.compile(
        rf"\bby (?:what|how much|how many)(?: percentage| percent| factor| fraction)? {_AUX} .+? (?:reduce|cut|lower|decrease|shrink|increase|"
        r"improve|raise|boost)s? (?:the )?(?:number of |amount of |size of )?((?:[\w'-]+\s+){0,2}[\w'-]+)\s*\??$", re.I
    ),
    re.compile(
        r"\bwhat(?: is| was| are| were)?(?: the| its| their)? (?:(?:longest|largest|maximum|max|smallest|minimum|exact|peak|average|"
        r"typical) )?((?:[\w-]+\s){0,2}(?:size|length|rate|ratio|budget|window|resolution|bitrate|overhead)s?)\b", re.I
    ),
]
_GENERIC = {"speedup", "speed-up", "speedups", "improvement", "improvements", "gain", "gains", "times", "of", "the", "and", "or",
            "it", "they", "them", "papers", "paper",
            # a comparison ("how much tighter latency objectives…") is stated as a ratio ("10.2x tighter SLO")
            "faster", "slower", "more", "less", "fewer", "better", "worse", "higher", "lower", "tighter", "smaller", "larger",
            "bigger", "shorter", "longer", "cheaper", "greater"}
_MEASURE_STOP = {"the", "a", "an", "of", "its", "their", "in", "on", "for", "per"}


def _measured_focus(text: str) -> Focus | None:
    plain = re.sub(r"\([^)]*\)", " ", text)  # "how many FLOPs (multiply-adds) does…"
    for pattern in _MEASURED:
        if not (m := pattern.search(plain)):
            continue
        words = [w for w in re.findall(r"[\w-]+", m[1].lower().replace("'s", "")) if w not in _MEASURE_STOP]
        if not words or any(w in _GENERIC for w in words):
            return None
        phrase = r"\W{1,3}".join(rf"{re.escape(w[:-1] if w.endswith('s') and len(w) > 3 else w)}\w*" for w in words)
        return Focus(
            label=f"a figure for the {' '.join(words)}", pattern=rf"\d[^.;]{{0,30}}\b{phrase}|\b{phrase}[^.;]{{0,30}}\d", figure=True
        )
    return None


# "…on the Voice Search test set", "…on LIBERO": a figure on another benchmark does not answer
_BENCHMARK = re.compile(r"\bon (?:the )?((?:[A-Z][\w-]*\s){0,2}[A-Z][\w-]*)(?:\s+(?:test set|benchmark|dataset|task)s?)?\b")


def _on_benchmark(focus: Focus | None, text: str) -> Focus | None:
    if focus is None or not focus.figure or not (benchmark := _BENCHMARK.search(text)):
        return focus
    return focus.model_copy(update={"on": benchmark[1], "label": f"{focus.label} on {benchmark[1]}"})


def _figure_focus(text: str) -> Focus | None:
    if not re.search(r"\b(how (many|much|long)|what|which)\b", text, re.I):
        return None
    for unit, label, stated in _UNITS:
        if re.search(rf"\b(in|how many|how much|how|of)\s+(\w+\s)?({unit})", text, re.I):
            return Focus(label=f"a figure in {label}", pattern=stated, figure=True)
    metric = re.search(rf"(?<![\w-])({_METRICS})(?![\w-])", text)
    if metric:
        name = re.escape(metric[1])
        return Focus(label=f"a {metric[1]} figure", pattern=rf"{name}[^.]{{0,60}}\d|\d[^.]{{0,40}}{name}", ignore_case=False, figure=True)
    return _measured_focus(text)


def question_focus(text: str) -> Focus | None:
    focus = next((focus for pattern, focus in _FOCI if pattern.search(text)), None) or _figure_focus(text)
    return _on_benchmark(focus, text)


# Names in a question that a paper must contain to answer it: CamelCase (LongBench, DistriFusion), ALL-CAPS words
# with 3+ letters (MMLU, BLEU), and letter-digit names (WMT14, Qwen3-0.6B). Common field words are not names.
_NAME = re.compile(r"\b(?=[\w.-]*[A-Za-z])[A-Za-z][\w.-]*[A-Za-z0-9]\b")
_NOT_NAMES = {
    "llm", "llms", "gpu", "gpus", "cpu", "cpus", "npu", "npus", "tpu", "tpus", "dnn", "dnns", "ai", "kv", "nas", "asr",
    "rag", "moe", "vla", "vlm", "vlms", "mllm", "mllms", "slm", "slms", "snn", "snns", "nlp", "api", "apis", "sota",
    "ptq", "qat", "fp8", "fp16", "int8", "int4", "e2e", "p50", "p90", "p95", "p99", "ttft", "tpot", "slo", "slos",
    "rtc", "cnn", "cnns", "dit", "gqa", "fim", "wer", "tlb", "tlbs", "sm", "sms", "ml", "os", "io", "url", "github",
    "rpc", "mb", "gb", "ms", "hz", "x", "vs", "ok", "q", "a", "i", "it", "llm-based", "http", "pdf",
}


def question_names(text: str) -> list[str]:
    """Names the question uses (the caller sets aside those that name an indexed paper)."""
    names = []
    for word in _NAME.findall(text):
        pieces = [p for p in re.split(r"-", word) if p]
        if len(pieces) > 1 and all(p.lower() in _NOT_NAMES or p.islower() for p in pieces):
            continue  # "ASR-to-LLM", "speech-to-text": field words joined, not a name
        word = re.sub(r"-(style|like|based|type|ish|family|series)$", "", re.sub(r"^(non|pre|post|multi|sub)-", "", word, flags=re.I), flags=re.I)
        letters = word.replace("-", "").replace(".", "")
        if word.lower() in _NOT_NAMES or len(letters) < 3:
            continue
        camel = any(c.isupper() for c in word[1:]) and any(c.islower() for c in word)
        caps = letters.isupper() and letters.isalpha() and len(letters) >= 3
        digits = any(c.isdigit() for c in word) and any(c.isalpha() for c in word)
        family = bool(re.fullmatch(_MODEL_FAMILIES, word))  # "Qwen", "Llama": model families, however capitalised
        if camel or caps or digits or family:
            names.append(word)
    return names


# A sentence about conventional or earlier methods: the figures it gives are theirs ("the prohibitive computational
# demand of conventional NAS algorithms (e.g. 10^4 GPU hours)"), unless it speaks of the paper's own work too.
_OTHERS_WORK = re.compile(r"\b(conventional|existing|prior|previous|traditional|current|typical|standard)\b", re.I)
_OWN_WORK = re.compile(r"\b(we|our|us|this (paper|work)|(the )?proposed)\b", re.I)


def own_sentences(paper: Paper) -> list[str]:
    """The abstract's sentences that are not about other people's methods."""
    name = name_pattern(short_name(paper.title))
    return [s for s in paper.sentences if not _OTHERS_WORK.search(s) or _OWN_WORK.search(s) or name.search(s)]


def paper_text(paper: Paper) -> str:
    """What a paper states: title, abstract, byline and code links."""
    return " ".join([paper.title, paper.abstract, paper.organization or "", " ".join(paper.code_urls)])


def name_pattern(name: str) -> re.Pattern[str]:
    """``name`` as a whole word, ignoring case and hyphens or spaces inside it ("Ring-Attention" ~ "Ring Attention")."""
    pieces = [re.escape(p) for p in re.split(r"[\s_-]+", name) if p]
    return re.compile(r"(?<![A-Za-z0-9])" + r"[\s_-]?".join(pieces) + _NOT_AFTER, re.I)


_NOT_AFTER = r"(?![A-Za-z0-9])"


def mentions(paper: Paper, name: str) -> bool:
    return text_mentions(paper_text(paper), name)


def text_mentions(text: str, name: str) -> bool:
    """Whole-name match; a versioned model name may be written in parts ("Qwen3-0.6B" in "Qwen3-1.7B/0.6B")."""
    if name_pattern(name).search(text):
        return True
    if not any(c.isdigit() for c in name) and re.search(name_pattern(name).pattern[:-len(_NOT_AFTER)] + r"[\d.]+" + _NOT_AFTER, text, re.I):
        return True  # a family by its versions: "Qwen" in "Qwen3-1.7B", "LLaMA" in "LLaMA2"
    pieces = [p for p in re.split(r"[\s_-]+", name) if p]
    return len(pieces) > 1 and any(c.isdigit() for c in name) and all(name_pattern(p).search(text) for p in pieces)
