"""`citewise eval verifier`: how well the citation check keeps faithful sentences and catches wrong ones.

Every recorded answer (``evals.recorded``) is replayed through the real ``openai`` backend from a loopback
``ReplayServer``, once per streaming chunking, and goes through the engine's own ``compose`` stage: the verdicts
are the ones a user's answer would get. Each question is gathered by today's engine, with the model's numbered
sources put back as they were captured, so a change in retrieval does not void the recorded answers. The first release's similarity-only check runs beside it on the same
answers as the baseline. These are recorded answers written for Citewise's prompts, not a live model."""

from __future__ import annotations

import difflib
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from citewise.app.answers import Answer, Statement
from citewise.app.assistant import Assistant
from citewise.app.evidence import Evidence
from citewise.app.gathering import Gathered
from citewise.evals import metrics, report
from citewise.evals.recorded import ERROR_TYPES, CapturedPrompt, RecordedAnswer, prompt_key
from citewise.evals.replay_server import CHUNKINGS, ReplayServer
from citewise.records import Paper
from citewise.settings import LLMSettings

_MARKERS = re.compile(r"\s*\[[\d,\s]+\]")
METHODS = ("strict", "similarity")


def _plain(text: str) -> str:
    return " ".join(_MARKERS.sub("", text).split()).rstrip(".!? ").lower()


def match_verdicts(answer: RecordedAnswer, statements: Sequence[Statement]) -> list[bool | None]:
    """Whether each recorded sentence was kept: the verdict of the statement it became (best text match). None for
    a sentence that cites nothing ("The sources do not state X."): it is no claim to keep or catch."""
    kept: list[bool | None] = []
    for sentence in answer.sentences:
        if not _MARKERS.search(sentence.text) and not sentence.error:
            kept.append(None)
            continue
        target = _plain(sentence.text)
        best = max(statements, key=lambda s: difflib.SequenceMatcher(None, target, _plain(s.text)).ratio(), default=None)
        kept.append(bool(best and best.supported))
    return kept


def _reply(assistant: Assistant, gathered: Any, decision: Any, llm: LLMSettings) -> Answer:
    events = list(assistant.compose(gathered, decision, "openai", llm))
    return events[-1].answer  # type: ignore[return-value]


def replayed_gathered(assistant: Assistant, prompt: CapturedPrompt, papers_by_title: dict[str, Paper]) -> Gathered | None:
    """What the engine gathers for the question today, with the numbered sources put back as the prompt sent them:
    the recorded answers were written for those sources, so a later retrieval change must not void them. None
    when a source is no longer in the index."""
    gathered = assistant.gather(assistant.understand(prompt.question, prompt.history))
    found = {(e.paper.title, e.sentence): e for e in gathered.ranked}
    query_vector = assistant.embedder.encode_query(gathered.question.search_query)
    sources: list[Evidence] = []
    for line in prompt.sources:
        evidence = found.get((line.title, line.sentence))
        if evidence is None:
            paper = papers_by_title.get(line.title)
            if paper is None or line.sentence not in paper.sentences:
                return None
            index = paper.sentences.index(line.sentence)
            similarity = float(assistant.scorer.vectors([(paper, index)])[0] @ query_vector)
            evidence = Evidence(paper=paper, sentence_index=index, sentence=line.sentence, similarity=similarity,
                                score=similarity, hit_rank=len(gathered.hits))
        sources.append(evidence)
    taken = {(e.paper.paper_id, e.sentence_index) for e in sources}
    rest = [e for e in gathered.ranked if (e.paper.paper_id, e.sentence_index) not in taken]
    # a prompt captured with fewer sources than the model is shown today had no more to show
    ranked = sources + rest if len(sources) >= assistant.settings.answer.model_sources else sources
    return gathered.model_copy(update={"ranked": ranked})


def run_verifier(
    assistants: dict[str, Assistant],
    prompts: Sequence[CapturedPrompt],
    answers: Sequence[RecordedAnswer],
    chunkings: Sequence[str] = CHUNKINGS,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """``assistants``: method name -> an Assistant whose verifier runs that check (same index and settings
    otherwise). The first method is the product's and is replayed under every chunking; the others once."""
    by_key: dict[str, list[RecordedAnswer]] = defaultdict(list)
    for a in answers:
        by_key[a.key].append(a)
    methods = list(assistants)
    rows: list[dict[str, Any]] = []
    stale: list[str] = []
    started = time.perf_counter()
    lead = assistants[methods[0]]
    papers_by_title = {paper.title: paper for paper in lead.index.store.iter_papers()}
    with ReplayServer(list(answers)) as server:
        for i, prompt in enumerate(prompts, 1):
            if progress:
                progress(i, len(prompts))
            if prompt.key not in by_key:
                continue
            gathered = replayed_gathered(lead, prompt, papers_by_title)
            if gathered is None or prompt_key(lead.prompt(gathered)) != prompt.key:
                stale.append(prompt.question_id)  # the papers or the prompt changed since the prompts were captured
                continue
            decision = lead.decide(gathered)
            for recorded in by_key[prompt.key]:
                row: dict[str, Any] = {"question_id": prompt.question_id, "split": prompt.split, "variant": recorded.variant}
                for method in methods:
                    assistant = assistants[method]
                    runs = {}
                    for chunking in chunkings if method == methods[0] else chunkings[:1]:
                        llm = LLMSettings(base_url=server.base_url, model=f"{recorded.variant}@{chunking}", timeout_s=30)
                        t0 = time.perf_counter()
                        answer = _reply(assistant, gathered, decision, llm)
                        runs[chunking] = (answer, (time.perf_counter() - t0) * 1000)
                    answer, ms = runs[chunkings[0]]
                    kept = match_verdicts(recorded, answer.statements)
                    row[method] = {
                        "kept": kept,
                        "errors": [s.error for s in recorded.sentences],
                        "refused": answer.refused,
                        "shown": bool(answer.statements) and not answer.refused and any(s.supported for s in answer.statements),
                        "reasons": [f"{s.reason} ({s.detail})" if s.detail else s.reason for s in answer.statements],
                        "ms": round(ms, 1),
                        "same_across_chunkings": all(
                            [(s.text, s.supported) for s in a.statements] == [(s.text, s.supported) for s in answer.statements]
                            for a, _ in runs.values()
                        ),
                    }
                rows.append(row)
    return {
        "kind": "verifier",
        "recorded_answers": True,
        "methods": methods,
        "chunkings": list(chunkings),
        "stale_prompts": stale,
        "seconds": round(time.perf_counter() - started, 1),
        "per_method": {m: summarize(rows, m) for m in methods},
        "answers": rows,
    }


def summarize(rows: Sequence[dict[str, Any]], method: str) -> dict[str, Any]:
    faithful = [k for r in rows if r["variant"] == "faithful" for k in r[method]["kept"] if k is not None]
    around = [
        k for r in rows if r["variant"] in ERROR_TYPES for k, e in zip(r[method]["kept"], r[method]["errors"]) if not e and k is not None
    ]
    caught: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        for kept, error in zip(r[method]["kept"], r[method]["errors"]):
            if error:
                caught[error].append(not kept)
    declines = [r[method]["refused"] for r in rows if r["variant"] == "declines"]
    every_caught = [c for values in caught.values() for c in values]
    return {
        "faithful_kept": mean(faithful),
        "faithful_sentences": len(faithful),
        "correct_kept_beside_an_error": mean(around),
        "wrong_caught": mean(every_caught),
        "wrong_sentences": len(every_caught),
        "caught_per_type": {t: mean(caught[t]) for t in ERROR_TYPES if caught[t]},
        "count_per_type": {t: len(caught[t]) for t in ERROR_TYPES if caught[t]},
        "declines_refused": mean(declines),
        "declines": len(declines),
        "faithful_answers_shown": mean([r[method]["shown"] for r in rows if r["variant"] == "faithful"]),
        "same_verdicts_across_chunkings": mean([r[method]["same_across_chunkings"] for r in rows]),
        "answer_ms_p50": metrics.percentiles([r[method]["ms"] for r in rows], (50,))["p50"],
    }


def mean(values: Sequence[bool]) -> float | None:
    value = metrics.mean(values)
    return None if value is None else round(value, 3)


SUMMARY = [
    ("faithful statements kept", "faithful_kept"),
    ("correct sentences kept beside a wrong one", "correct_kept_beside_an_error"),
    ("wrong sentences caught", "wrong_caught"),
    *((f"caught: {t.replace('_', ' ')}", t) for t in ERROR_TYPES),
    ("'sources do not answer' -> refusal", "declines_refused"),
    ("faithful answers shown (not replaced by quotes)", "faithful_answers_shown"),
    ("same verdicts whatever the chunking", "same_verdicts_across_chunkings"),
    ("compose stage p50 ms (replay + check)", "answer_ms_p50"),
]


def summary_rows(result: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    methods = result["methods"]
    rows = []
    for label, key in SUMMARY:
        values = [result["per_method"][m]["caught_per_type"].get(key) if key in ERROR_TYPES else result["per_method"][m][key] for m in methods]
        if key in ERROR_TYPES:
            label += f" (n={result['per_method'][methods[0]]['count_per_type'].get(key, 0)})"
        rows.append([label, *values])
    return ["", *(f"{m}{' (baseline)' if i else ''}" for i, m in enumerate(methods))], rows


def write_verifier_run(result: dict[str, Any], runs_dir: Path, config: dict[str, Any], split: str | None) -> Path:
    folder = report.new_run_dir(runs_dir, config)
    result["config"] = config
    result["config_hash"] = report.config_hash(config)
    groups = {
        key.replace("_", " "): {m: (result["per_method"][m]["caught_per_type"].get(key) if key in ERROR_TYPES else result["per_method"][m][key]) for m in result["methods"]}
        for key in ("faithful_kept", "wrong_caught", *ERROR_TYPES)
    }
    report.plot_grouped_bars(groups, result["methods"], folder / "verifier.png", "Citation check on recorded answers: kept / caught")
    headers, rows = summary_rows(result)
    first = result["per_method"][result["methods"][0]]
    md = [
        f"# Citation check on recorded answers ({split or 'all'} split)",
        "",
        "**These are recorded answers**: written for the exact prompts Citewise sends, as a capable instruction-tuned "
        "model would write them (faithful ones, and ones with exactly one labelled wrong sentence), and replayed by a "
        f"loopback OpenAI-compatible server through the real `openai` backend, streamed with chunkings {', '.join(result['chunkings'])}.",
        "",
        f"{first['faithful_sentences']} faithful sentences, {first['wrong_sentences']} wrong sentences, {first['declines']} answers "
        f"saying the sources do not answer; {result['seconds']} s. Stale prompts (a source no longer in the index, or the prompt changed, since capture): {len(result['stale_prompts'])}.",
        "",
        report.md_table(headers, rows),
        "",
        "![kept and caught per type](verifier.png)",
        "",
    ]
    report.write_report(folder, result, "\n".join(md))
    return folder
