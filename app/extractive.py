"""Stage 4 without a model, the default answer: the best evidence sentences quoted verbatim, grouped by paper, each with its marker.

Needs no language model and cannot state anything the papers do not say."""

from __future__ import annotations

import re

from citewise.app.answerability import Decision, PartDecision
from citewise.app.answers import Citation, ListingRow
from citewise.app.catalog import CatalogQuery, listing_line, sort_value
from citewise.app.evidence import HAS_NUMBER, Evidence, asks_for_number
from citewise.app.focus import own_sentences, text_mentions
from citewise.app.gathering import Gathered, PartSignals
from citewise.app.understanding import Kind, Part
from citewise.records import Paper, short_name
from citewise.settings import AnswerSettings

# A sentence opening like this leans on the one before it ("This effectively avoids padding overheads.").
_ANAPHORIC = re.compile(r"^(this|these|that|those|it|they|such|thus|therefore|hence|consequently|as a result)\b", re.I)
_COMPARISON = re.compile(r"\b(compare|comparison|differ|difference|versus|vs\.?|than|both|whereas)\b", re.I)
# "How does X work?" is answered by what X does, not by the problem it starts from.
_METHOD_CUE = re.compile(
    r"\b(we (propose|present|introduce|design|develop|build|use|leverage|employ|adopt)|(propose|introduce|present)s?|"
    r"by (using|leveraging|exploiting|employing|[a-z]+ing)|uses?|leverag\w+|employ\w*|consists? of|components?|"
    r"mechanism|technique|key idea|works by|builds? (on|upon)|first,|second,|through (a|an|the)|via|novel|"
    r"new (approach|method|technique|algorithm)|algorithm|scheduler|encoder|design|combin\w+)\b", re.I
)
_PROBLEM_CUE = re.compile(
    r"\b(however|challenge\w*|bottleneck\w*|suffer\w*|struggle\w*|limit(ed|ation)s?|remains?|hinder\w*|"
    r"existing|prior (work|research|methods)|increasingly|has become|have become|demand\w*|costly)\b", re.I
)
# A sentence announcing a count of parts ("we design three loss objectives", "X has two main components:") is
# answered by the sentences that enumerate them ("First, …", "Second, …"), which must follow it.
_ANNOUNCES_PARTS = re.compile(
    r"\b(two|three|four|five|several|multiple|\d)\s+(\w+\s){0,2}(components?|parts?|stages?|steps?|phases?|objectives?|"
    r"losses|terms?|techniques?|mechanisms?|modules?|ideas?|contributions?|innovations?|strategies|optimi[sz]ations?)\b|:\s*$",
    re.I,
)
_ENUMERATES = re.compile(r"^(\(?(i{1,3}|iv|v|[1-5a-e])\)|first(ly)?|second(ly)?|third(ly)?|fourth|fifth|finally|lastly|next|then|"
                         r"moreover|furthermore|additionally|in addition|specifically|concretely)\b", re.I)
_MAX_ENUMERATED = 5
_ASKS_FOR_PARTS = re.compile(
    r"\b(components|parts|stages|steps|phases|objectives|losses|terms|techniques|mechanisms|modules|ideas|"
    r"contributions|innovations|strategies|optimi[sz]ations|methods)\b", re.I)
# "combines A, B, and C" / "introduces A to …, B to …, and C to …": three or more items in one sentence
_LISTS_SEVERAL = re.compile(r"[^,;]+[,;][^,;]+[,;]?\s+(and|as well as)\s+", re.I)
_HOW = re.compile(r"\bhow\b(?! (much|many|fast|big|large|long|often)\b)", re.I)
_LIST_QUESTION = re.compile(r"\b(which|what|list|name|compare|papers|works|approaches|methods|systems)\b.*\b(papers|works|approaches|methods|systems)\b|\bcompare\b|\bvs\.?\b|\bversus\b", re.I)


def method_first(ranked: list[Evidence], settings: AnswerSettings, question: str) -> list[Evidence]:
    """Method sentences up, problem statements down, for "how does X work" questions; when the question asks for
    several parts ("what mechanisms…", "which techniques…"), a sentence that lists several goes up too."""
    wants_parts = bool(_ASKS_FOR_PARTS.search(question))

    def adjusted(e: Evidence) -> float:
        bonus = settings.method_bonus if _METHOD_CUE.search(e.sentence) else 0.0
        if wants_parts and _LISTS_SEVERAL.search(e.sentence):
            bonus += settings.method_bonus
        return e.score + bonus - (settings.method_bonus if _PROBLEM_CUE.search(e.sentence) else 0.0)

    return sorted((e.model_copy(update={"score": adjusted(e)}) for e in ranked), key=lambda e: -e.score)


def select_evidence(
    question: str, ranked: list[Evidence], settings: AnswerSettings, kind: Kind | None = None,
    papers: list[str] | None = None,
) -> list[Evidence]:
    """Best sentences, a few per paper; a "which papers…" question gets more papers, fewer sentences each.
    ``papers`` restricts the answer to those papers (the one a "which paper" question finds)."""
    if papers is not None:  # the papers that answer: treated as the ones the question names
        ranked = [e.model_copy(update={"named_in_question": True}) for e in ranked if e.paper.paper_id in papers]
    if kind == "method" or kind == "comparison" and _HOW.search(question):
        ranked = method_first(ranked, settings, question)
    if not ranked:
        return []
    named = any(item.named_in_question for item in ranked)
    if named:  # the question names its paper(s): answer from those alone
        ranked = [item for item in ranked if item.named_in_question]
    broad = bool(_LIST_QUESTION.search(question))
    # one named paper: "how does X work" is answered by several of its sentences, not only the closest one
    named_papers = {item.paper.paper_id for item in ranked} if named else set()
    focused = len(named_papers) == 1
    per_paper = 1 if broad and not named else (settings.method_sentences if kind == "method" else 3) if named else 2
    limit = max(settings.max_sentences + (2 if broad else 0), 3 * len(named_papers))
    if len(named_papers) > 1 and _COMPARISON.search(question):  # each named paper measured against its own best
        best = {pid: max(i.score for i in ranked if i.paper.paper_id == pid) for pid in named_papers}
        floors = {pid: score - settings.broad_quote_margin for pid, score in best.items()}
    else:
        margin = settings.broad_quote_margin if broad or focused else settings.quote_margin
        if kind == "method" and named:
            margin = settings.method_quote_margin
        floor = ranked[0].score - margin
        floors = {item.paper.paper_id: floor for item in ranked}
    chosen: list[Evidence] = []
    counts: dict[str, int] = {}
    for item in ranked:
        if len(chosen) >= limit:
            break
        if item.score < floors[item.paper.paper_id] or counts.get(item.paper.paper_id, 0) >= per_paper:
            continue
        counts[item.paper.paper_id] = counts.get(item.paper.paper_id, 0) + 1
        chosen.append(item)
    if kind == "figure" and chosen and not any(HAS_NUMBER.search(e.sentence) for e in chosen):
        # a figure is asked for: the best sentence of the leading paper that holds a number joins the quotes
        lead = chosen[0].paper.paper_id
        figure = next((e for e in ranked if e.paper.paper_id == lead and HAS_NUMBER.search(e.sentence)), None)
        if figure is not None:
            chosen.insert(0, figure)
    return with_enumerations(with_antecedents(chosen, ranked), ranked)


def mention_evidence(names: list[str], paper_ids: list[str], papers: dict[str, Paper], ranked: list[Evidence]) -> list[Evidence]:
    """For "which papers use Qwen models?": each paper found, quoted with its best sentence that names them (the
    proof it belongs in the list), whether or not the search retrieved it."""
    chosen = []
    for paper_id in paper_ids:
        paper = papers[paper_id]
        naming = [i for i, sentence in enumerate(paper.sentences) if any(text_mentions(sentence, n) for n in names)]
        best = next((e for e in ranked if e.paper.paper_id == paper_id and e.sentence_index in naming), None)
        if best is None and naming:
            best = Evidence(paper=paper, sentence_index=naming[0], sentence=paper.sentences[naming[0]], similarity=0.0, score=0.0, hit_rank=len(ranked))
        if best is not None:
            chosen.append(best)
    return chosen


def with_enumerations(chosen: list[Evidence], ranked: list[Evidence]) -> list[Evidence]:
    """After a sentence that announces a count of parts, the sentences that go on to enumerate them, so "Victima has
    two main components." is never quoted without them."""
    by_position = {(e.paper.paper_id, e.sentence_index): e for e in ranked}
    result: list[Evidence] = []
    for item in chosen:
        result.append(item)
        if not _ANNOUNCES_PARTS.search(item.sentence):
            continue
        for offset in range(1, _MAX_ENUMERATED + 1):
            following = by_position.get((item.paper.paper_id, item.sentence_index + offset))
            if following is None or not _ENUMERATES.match(following.sentence):
                break
            if following not in chosen and following not in result:  # else it is quoted in its own place
                result.append(following)
    return result


def with_antecedents(chosen: list[Evidence], ranked: list[Evidence]) -> list[Evidence]:
    """Quote the sentence an anaphoric one refers to, so "This allows…" is never shown without its "this"."""
    by_position = {(e.paper.paper_id, e.sentence_index): e for e in ranked}
    result: list[Evidence] = []
    for item in chosen:
        before = by_position.get((item.paper.paper_id, item.sentence_index - 1))
        if _ANAPHORIC.match(item.sentence) and before is not None and before not in chosen and before not in result:
            result.append(before)
        result.append(item)
    return result


def compose(chosen: list[Evidence], first_marker: int = 1, lead_with_number: bool = False) -> tuple[str, list[Citation]]:
    """Group by paper (best paper first), sentences in abstract order, one marker per quoted sentence; for a
    figure, each paper's line opens with the best sentence that holds a number."""
    order: list[str] = []
    groups: dict[str, list[Evidence]] = {}
    for item in chosen:
        if item.paper.paper_id not in groups:
            order.append(item.paper.paper_id)
            groups[item.paper.paper_id] = []
        groups[item.paper.paper_id].append(item)
    citations: list[Citation] = []
    lines: list[str] = []
    for paper_id in order:
        items = sorted(groups[paper_id], key=lambda e: e.sentence_index)
        if lead_with_number:
            numeric = [e for e in groups[paper_id] if HAS_NUMBER.search(e.sentence)]
            if numeric:
                lead = numeric[0]  # groups keep the ranked order: the best-scoring numeric sentence
                items = [lead] + [e for e in items if e is not lead]
        paper = items[0].paper
        quoted = []
        for item in items:
            marker = first_marker + len(citations)
            citations.append(Citation.of_sentence(marker, paper, item.sentence_index, item.sentence, item.similarity))
            quoted.append(f"“{item.sentence}” [{marker}]")
        year = f" ({paper.published.year})" if paper.published else ""
        lines.append(f"**{short_name(paper.title)}**{year}: " + " ".join(quoted))
    if len(lines) > 1:
        lines = [f"- {line}" for line in lines]
    return "\n".join(lines), citations


def clear_leaders(evidence: list[Evidence], leading: list[str], margin: float) -> list[str]:
    """For "which paper…": the leading paper alone when its best sentence clearly leads; else every paper close to it."""
    best: dict[str, float] = {}
    for e in evidence:
        best.setdefault(e.paper.paper_id, e.score)
    if not best:
        return leading[:1]
    top = max(best.values())
    close = [pid for pid, score in best.items() if score >= top - margin]
    return list(dict.fromkeys(leading[:1] + close))


def listing_citation(paper: Paper, marker: int) -> Citation:
    return Citation(
        marker=marker, kind="listing", paper_id=paper.paper_id, title=paper.title, date=paper.published,
        quote=listing_line(paper), sentence_index=-1, score=1.0,
    )


def _row(paper: Paper, marker: int) -> ListingRow:
    return ListingRow(
        marker=marker, paper_id=paper.paper_id, title=paper.title, date=paper.published, upvotes=paper.upvotes or 0,
        author_count=paper.author_count, organization=paper.organization,
    )


def _byline(paper: Paper) -> str:
    return paper.organization or (f"{paper.author_count} authors" if paper.author_count else "–")


_SORT_WORDS = {
    ("upvotes", True): "most upvoted", ("upvotes", False): "least upvoted", ("published", True): "most recent",
    ("published", False): "earliest", ("authors", True): "with the most authors", ("authors", False): "with the fewest authors",
}
_ORDINAL_WORDS = {1: "", 2: "second ", 3: "third ", 4: "fourth ", 5: "fifth "}


def write_listing(part: Part, signals: PartSignals, papers: dict[str, Paper], first_marker: int) -> tuple[str, list[Citation], list[ListingRow]]:
    """An answer from the listing: one sentence, and a table of the papers it is about, each cited to its entry."""
    catalog = part.catalog
    assert catalog is not None
    chosen = [papers[pid] for pid in signals.paper_ids]
    if catalog.fields:
        lines, citations, rows = [], [], []
        for i, paper in enumerate(chosen):
            marker = first_marker + i
            facts = []
            if "published" in catalog.fields:
                facts.append(f"was posted on {paper.published.isoformat()}" if paper.published else "has no date in the listing")
            if "upvotes" in catalog.fields:
                facts.append(f"has {paper.upvotes or 0} upvote{'' if paper.upvotes == 1 else 's'}")
            if "authors" in catalog.fields:
                facts.append(f"has {paper.author_count} authors" if paper.author_count else "lists no author count")
            if "organization" in catalog.fields:
                facts.append(f"is listed under {paper.organization}" if paper.organization else "lists no organisation")
            lines.append(f"**{short_name(paper.title)}** {', '.join(facts)} [{marker}].")
            citations.append(listing_citation(paper, marker))
            rows.append(_row(paper, marker))
        return " ".join(lines), citations, rows
    if catalog.group_by or catalog.aggregate:
        lead, chosen = _aggregate_lead(catalog, chosen)
        if not chosen:
            return lead, [], []
    elif catalog.sort_by and not catalog.count:
        if len(chosen) < catalog.rank:
            return "", [], []
        target = sort_value(chosen[catalog.rank - 1], catalog.sort_by)
        chosen = [p for p in chosen[catalog.rank - 1 :] if sort_value(p, catalog.sort_by) == target]  # ties share the place
        what = f"The {_ORDINAL_WORDS.get(catalog.rank, f'#{catalog.rank} ')}{_SORT_WORDS[(catalog.sort_by, catalog.descending)]}"
        noun = "papers are" if len(chosen) > 1 else "paper is"
        lead = f"{what} {noun}"
    elif catalog.count and not chosen:
        return "**0** indexed papers match.", [], []
    elif catalog.count:
        lead = f"**{len(chosen)}** indexed paper{'s' if len(chosen) != 1 else ''} match{'es' if len(chosen) == 1 else ''}:"
    else:
        lead = f"{len(chosen)} indexed paper{'s' if len(chosen) != 1 else ''}:"
    citations = [listing_citation(p, first_marker + i) for i, p in enumerate(chosen)]
    rows = [_row(p, c.marker) for p, c in zip(chosen, citations)]
    if catalog.sort_by and not catalog.count and not catalog.group_by and not catalog.aggregate and len(chosen) == 1:
        paper = chosen[0]
        detail = {"upvotes": f"{paper.upvotes or 0} upvotes", "authors": f"{paper.author_count} authors",
                  "published": paper.published.isoformat() if paper.published else "undated"}[catalog.sort_by]
        return f"{lead} **{paper.title}** ({detail}) [{first_marker}].", citations, rows
    code = catalog.has_code
    table = ["| | paper | date | upvotes | byline |" + (" code |" if code else ""), "|---|---|---|---|---|" + ("---|" if code else "")]
    table += [
        f"| [{r.marker}] | {p.title} | {p.published.isoformat() if p.published else '–'} | {p.upvotes or 0} | {_byline(p)} |"
        + (f" {' '.join(p.code_urls)} |" if code else "")
        for p, r in zip(chosen, rows)
    ]
    return lead + "\n\n" + "\n".join(table), citations, rows


def _period(paper: Paper, by: str) -> str:
    return paper.published.strftime("%B %Y" if by == "month" else "%Y") if paper.published else "undated"


def _aggregate_lead(catalog: CatalogQuery, chosen: list[Paper]) -> tuple[str, list[Paper]]:
    """The sentence of a total, an average or the best period, and the papers it is computed from."""
    upvotes = catalog.aggregate_of == "upvotes"
    value = (lambda p: p.upvotes or 0) if upvotes else (lambda p: p.author_count)  # noqa: E731
    noun = "upvotes" if upvotes else "authors"
    if catalog.group_by:
        periods: dict[str, list[Paper]] = {}
        for paper in (p for p in chosen if p.published):
            periods.setdefault(_period(paper, catalog.group_by), []).append(paper)
        if not periods:
            return "No indexed paper has a date.", []
        measure = (lambda ps: sum(p.upvotes or 0 for p in ps)) if catalog.aggregate else len  # noqa: E731
        best = (max if catalog.descending else min)(measure(ps) for ps in periods.values())
        winners = [name for name, ps in periods.items() if measure(ps) == best]
        what = f"{best} upvotes" if catalog.aggregate else f"{best} paper{'s' if best != 1 else ''}"
        most = "most" if catalog.descending else "fewest"
        names = " and ".join(f"**{w}**" for w in winners)
        return f"{names} {'has' if len(winners) == 1 else 'have'} the {most} {'upvotes' if catalog.aggregate else 'papers'} ({what}):", [
            p for w in winners for p in periods[w]]
    counted = [p for p in chosen if value(p) is not None]
    if not counted:
        return f"None of these papers lists its {noun}.", []
    total = sum(value(p) for p in counted)
    unlisted = len(chosen) - len(counted)
    note = f" ({unlisted} more list no author count)" if unlisted else ""
    papers = f"{len(counted)} paper{'s' if len(counted) != 1 else ''}"
    if catalog.aggregate == "average":
        return f"The {papers} have **{total / len(counted):.1f}** {noun} on average{note}:", counted
    return f"The {papers} have **{total}** {noun} in total{note}:", counted


def not_stated(decision: PartDecision, papers: dict[str, Paper]) -> str:
    """One sentence naming the paper and the missing item: "The TokenSelect abstract does not state a license."."""
    if decision.paper_ids and decision.paper_ids[0] in papers:
        paper = papers[decision.paper_ids[0]]
        verb = "state" if decision.missing and decision.missing.startswith(("a ", "the ")) else "mention"
        text = "paper" if paper.locations else "abstract"  # a full text was read whole: it is the paper that is silent
        return f"The {short_name(paper.title)} {text} does not {verb} {decision.missing}."
    return f"None of the indexed papers mentions {decision.missing}."


def write_extractive(gathered: Gathered, decision: Decision, settings: AnswerSettings) -> tuple[str, list[Citation], list[ListingRow]]:
    """The quoted answer, part by part: listing parts as a table, the others as quotes, and one sentence for each
    part whose focus the papers do not state."""
    question = gathered.question
    blocks: list[str] = []
    citations: list[Citation] = []
    rows: list[ListingRow] = []
    chosen: list[Evidence] = []
    kinds: list[Kind] = []
    for i, (part, signals, verdict) in enumerate(zip(question.parts, gathered.signals.parts, decision.parts)):
        if not verdict.answerable:
            if verdict.missing:
                blocks.append(not_stated(verdict, gathered.papers))
            continue
        if signals.from_listing:
            text, cited, listed = write_listing(part, signals, gathered.papers, len(citations) + 1)
            blocks.append(text)
            citations += cited
            rows += listed
            continue
        evidence = gathered.part_ranked[i] if gathered.part_ranked else gathered.ranked
        text = question.search_query if len(question.parts) == 1 else part.text
        named_count = len(question.named_paper_rows)
        restrict = None
        if part.kind == "which_paper" and not named_count and signals.names_mentioned:
            restrict = signals.paper_ids[:1]  # the one paper that uses the names the question does ("Ascend and MindSpore")
        elif part.kind == "which_paper" and not named_count:
            restrict = clear_leaders(evidence, signals.paper_ids, settings.which_paper_margin)
        elif signals.from_mentions or len(signals.paper_ids) > max(named_count, 1):
            restrict = signals.paper_ids
        if named_count and len(signals.paper_ids) > named_count:  # a name the question uses leads to one more paper
            restrict = signals.paper_ids
        earlier = {e.paper.paper_id for e in chosen}
        if earlier and len(question.parts) > 1 and not restrict:  # later parts speak of the papers the first found
            restrict = list(earlier)
        if signals.from_mentions:
            picked = mention_evidence(part.names, signals.paper_ids, gathered.papers, evidence)
        else:
            picked = select_evidence(text, evidence, settings, part.kind, restrict)
        if part.focus is not None:  # the sentence that states what is asked leads
            stating = next((e for e in evidence if e.paper.paper_id in signals.paper_ids[:1] and part.focus.stated_in(e.sentence)
                            and e.sentence in own_sentences(e.paper)), None)
            if stating is not None and all(e.sentence_index != stating.sentence_index or e.paper.paper_id != stating.paper.paper_id for e in picked):
                picked.insert(0, stating)
        for item in picked:
            if not any(c.paper.paper_id == item.paper.paper_id and c.sentence_index == item.sentence_index for c in chosen):
                chosen.append(item)
        kinds.append(part.kind)
    if chosen:
        wants_number = "figure" in kinds or asks_for_number(question.text)
        text, cited = compose(chosen, len(citations) + 1, lead_with_number=wants_number)
        blocks.append(text)
        citations += cited
    return "\n\n".join(b for b in blocks if b), citations, rows
