"""Hand-built reports for the report tests: every verdict kind, hostile text in every field a view shows."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

from verify.records import (
    Agreement,
    Article,
    Assessment,
    Attribution,
    Claim,
    ClaimPair,
    Cluster,
    Conflict,
    DistinctEntities,
    NLIScores,
    OutletEvidence,
    PairVerdict,
    Rebuttal,
    Report,
    SharedFact,
    TimeGap,
    TimeSpan,
)

HOSTILE = '<script>alert(1)</script> " onmouseover="x'
HOSTILE_IMG = "<img src=x onerror=alert(2)>"


def _article(id: str, source: str, text: str, date: str | None, url: str | None = None) -> Article:
    return Article(
        id=id,
        path=f"seeds/{id[2:]}.txt",
        source=source,
        title=f"{source} story",
        date=date,
        url=url,
        text=text,
        original=text,
        offsets=tuple(range(len(text) + 1)),
    )


def _claim(id: str, article: Article, text: str, standalone: str | None = None) -> Claim:
    start = article.text.find(text)
    return Claim(
        id=id,
        article_id=article.id,
        source=article.source,
        text=text,
        standalone=standalone or text,
        span=(start, start + len(text)),
        dates=("1945-08-09",),
    )


def _probs(e: float, n: float, c: float) -> dict[str, float]:
    return {"entailment": e, "neutral": n, "contradiction": c}


def sample_report() -> Report:
    """Two outlets, a contradiction, a support and a neutral pair, one hostile string in an article and a claim."""
    yon_text = "The bomb fell on Aug 9. It killed 40,000 people."
    yon = _article("a:yon", "Yonhap", yon_text, "1945-08-10", "https://ex.org/a")
    kcna = _article("a:kcna", "KCNA", f"The bomb fell on Aug 8. {HOSTILE}", None)
    c1 = _claim("c:1", yon, "The bomb fell on Aug 9.")
    c2 = _claim("c:2", kcna, "The bomb fell on Aug 8.")
    c3 = _claim("c:3", yon, "It killed 40,000 people.", standalone="The bomb killed 40,000 people.")
    c4 = _claim("c:4", kcna, HOSTILE)
    contradict = PairVerdict(
        pair=ClaimPair(c1, c2, similarity=0.93, shared=("bomb",)),
        verdict="contradict",
        confidence=0.87,
        forward=_probs(0.02, 0.08, 0.90),
        backward=_probs(0.05, 0.11, 0.84),
        reason="dates differ",
        conflicts=("date: Aug 9 vs Aug 8",),
    )
    support = PairVerdict(
        pair=ClaimPair(c3, c4, similarity=0.71),
        verdict="support",
        confidence=0.95,
        forward=_probs(0.95, 0.04, 0.01),
        backward=_probs(0.91, 0.07, 0.02),
        reason=f"both directions entail {HOSTILE}",
    )
    neutral = PairVerdict(
        pair=ClaimPair(c1, c4, similarity=0.40),
        verdict="neutral",
        confidence=0.99,
        forward=_probs(0.1, 0.8, 0.1),
        backward=_probs(0.1, 0.8, 0.1),
        reason="no entailment either way",
    )
    clusters = (
        Cluster(id="k:date", claim_ids=("c:1", "c:2"), sources=("a:yon", "a:kcna"), disagree=(("a:yon", "a:kcna"),)),
        Cluster(id="k:toll", claim_ids=("c:3", "c:4"), sources=("a:yon", "a:kcna"), agree=(("a:yon", "a:kcna"),)),
    )
    meta = {
        "models": {"nli": {"alias": "tiny-nli", "revision": "abc123"}, "embed": "minilm"},
        "thresholds": {"contradict": 0.5},
        "created": "2024-05-01T12:00:00Z",
    }
    # Verdicts deliberately out of order: the report must sort them.
    return Report(
        articles=(yon, kcna),
        claims=(c1, c2, c3, c4),
        verdicts=(neutral, support, contradict),
        clusters=clusters,
        meta=meta,
    )


def hostile_report() -> Report:
    """Three outlets and every verdict kind, with markup-like text in every field a page shows.

    Shared with test_html_browser.py, which opens the page in Chromium, and tests/test_hostile_inputs.py.
    """
    yon_text = "The bomb fell on Aug 9, 1945.\nIt killed 40,000 people. The tower opened in 1990."
    kcna_text = (
        f"The bomb fell on Aug 8, 1945. About 40,000 people died {HOSTILE_IMG} in the city.\n"
        f"KCNA claimed that 10 ships sank {HOSTILE}."
    )
    times_text = "Two ships sank, officials said. The tower opened on Thursday. Some 40,000 people died."
    yon = _article("a:yon", "Yonhap", yon_text, "1945-08-10", "https://ex.org/a")
    yon = dataclasses.replace(yon, date_source="metadata")
    kcna = dataclasses.replace(
        _article("a:kcna", f"KCNA {HOSTILE_IMG}", kcna_text, None, "javascript:alert(3)"), title=f"Title {HOSTILE}"
    )
    times = dataclasses.replace(_article("a:times", "The Times", times_text, "2024-05-03"), date_source="dateline")

    def claim(id: str, article: Article, text: str, **fields) -> Claim:
        return dataclasses.replace(_claim(id, article, text), dates=fields.pop("dates", ()), **fields)

    bomb_yon = claim("c:1", yon, "The bomb fell on Aug 9, 1945.", dates=("1945-08-09",), entities=("bomb",))
    bomb_kcna = claim("c:2", kcna, "The bomb fell on Aug 8, 1945.", dates=("1945-08-08",), entities=("bomb",))
    toll_yon = claim("c:3", yon, "It killed 40,000 people.", standalone="The bomb killed 40,000 people.",
                     numbers=("40,000",))
    toll_kcna = claim("c:4", kcna, f"About 40,000 people died {HOSTILE_IMG} in the city.", numbers=("40,000",))
    toll_times = claim("c:5", times, "Some 40,000 people died.", numbers=("40,000",))
    ships_kcna = claim("c:6", kcna, f"KCNA claimed that 10 ships sank {HOSTILE}.", attribution=f"KCNA {HOSTILE}")
    ships_times = claim("c:7", times, "Two ships sank, officials said.")
    tower_yon = claim("c:8", yon, "The tower opened in 1990.", dates=("1990",),
                      time=TimeSpan("1990-01-01", "1990-12-31", "in 1990", "year"))
    tower_times = claim("c:9", times, "The tower opened on Thursday.",
                        time=TimeSpan("2024-05-02", "2024-05-02", f"on Thursday {HOSTILE}", "day"))

    def verdict(a: Claim, b: Claim, kind: str, confidence: float, reason: str, *conflicts: str,
                shared: tuple[str, ...] = ()) -> PairVerdict:
        probs = {"support": _probs(0.9, 0.08, 0.02), "neutral": _probs(0.1, 0.8, 0.1)}.get(
            kind, _probs(0.05, 0.1, 0.85)
        )
        evidence = tuple(Conflict(unit, *values.split(" vs ")) for unit, values in (c.split(": ", 1) for c in conflicts))
        return PairVerdict(ClaimPair(a, b, similarity=0.8, shared=shared), kind, confidence, probs, probs, reason,
                           conflicts, "value-conflict" if conflicts else "", evidence)

    verdicts = (
        verdict(bomb_yon, bomb_kcna, "contradict", 0.87, "dates differ", "date: 1945-08-09 vs 1945-08-08",
                shared=("bomb",)),
        verdict(ships_kcna, ships_times, "disputed", 0.72, f"the attributed claim is disputed {HOSTILE}",
                f"ship: 10 vs 2 {HOSTILE_IMG}"),
        verdict(tower_yon, tower_times, "different-time", 0.66, "they describe different times"),
        verdict(toll_yon, toll_kcna, "support", 0.95, f"both directions entail {HOSTILE}", shared=("40,000",)),
        verdict(toll_yon, toll_times, "support", 0.55, "one direction entails", shared=("40,000",)),
        verdict(bomb_yon, toll_times, "neutral", 0.40, "no entailment either way"),
    )
    clusters = (
        Cluster("k:toll", ("c:3", "c:4", "c:5"), ("a:yon", "a:kcna", "a:times"),
                agree=(("a:yon", "a:kcna"), ("a:yon", "a:times"))),
    )
    claims = (bomb_yon, bomb_kcna, toll_yon, toll_kcna, toll_times, ships_kcna, ships_times, tower_yon, tower_times)
    meta = {"models": {"nli": {"alias": f"nli {HOSTILE}", "revision": "abc123"}}, "created": "2024-05-01T12:00:00Z"}
    return Report(articles=(yon, kcna, times), claims=claims, verdicts=verdicts, clusters=clusters, meta=meta)


def awkward_report() -> Report:
    """Values the JSON writer must write exactly as the pydantic models would: ints and numpy floats where the
    schema says float, NaN and infinity, tiny and huge floats, every evidence type, characters JSON escapes or
    leaves raw (controls, DEL, C1, line separators, bidi, emoji), empty and None fields, facts and assessments."""
    import numpy as np

    odd = "tab\there\nnew \x00\x1f\x7f \x85\x9b \u2028\u2029 \u202e\u2066 \"q\" \\ / é 😀 漢字"
    base = sample_report()
    yon, kcna = base.articles
    kcna = dataclasses.replace(kcna, title=None, url=None, date_source="dateline", path=f"odd/{odd}.txt")
    c1, c2, c3, c4 = base.claims
    c1 = dataclasses.replace(c1, attribution=odd, entities=("Friendship Tower", odd), entity_types=("FAC", ""),
                             numbers=("1,500 ton",), time=TimeSpan("1945-08-09", "1945-08-09", odd, "day"))
    c2 = dataclasses.replace(c2, rebuts="c:1", span=(np.int64(3), 7), dates=())
    every_evidence = (
        Conflict("date", "1945-08-09", "1945-08-08"),
        Conflict("ton", "1,500", "15,000", subject=odd),
        Agreement("people", "about 80", "79"),
        DistinctEntities("FAC", ("Friendship Tower",), ("Liberation Tower", odd)),
        TimeGap("years_apart", "1945-08-10", "2024-05-03", years=79),
        TimeGap("past", "once", ""),
        NLIScores("contradiction", 1, np.float32(0.25), 0.5),
        Attribution("c:2", "KCNA", odd),
        Rebuttal("KCNA", "c:1", "c:2", "the North", odd, "In fact, no.", "p:x"),
        OutletEvidence("c:1", "KCNA", "support", "p:y"),
    )
    floats = [1, 3.2e-05, 1e-7, 1e16, 1.2345678901234567e22, float("nan"), float("inf"), -float("inf"), True,
              np.float32(0.1), np.float64(2e-7), 0.1 + 0.2]
    verdicts = tuple(
        PairVerdict(ClaimPair(a, b, similarity=floats[n % len(floats)]), verdict, floats[(n + 3) % len(floats)],
                    {"entailment": floats[(n + 5) % len(floats)], "contradiction": 0},  # "neutral" missing
                    {"entailment": 0.5, "neutral": np.float32(0.25), "contradiction": 0.25}, f"{odd} {n}",
                    (odd,) if n % 2 else (), "rule" if n % 3 else "", every_evidence[n % 4:])
        for n, (a, b, verdict) in enumerate([(c1, c2, "contradict"), (c1, c3, "disputed"), (c2, c4, "different-time"),
                                             (c3, c4, "support"), (c1, c4, "neutral"), (c2, c3, "contradict"),
                                             (c2, c1, "support")])
    )
    facts = (SharedFact(odd, "1950/1953", ("Yonhap", "KCNA"), ("c:1", "c:2")), SharedFact("Korean War", "", (), ()))
    assessments = (Assessment("c:1", "KCNA", "unrelated", 0, "", ()),
                   Assessment("c:2", odd, "support", np.float32(0.75), "outlet", ("p:1", "p:2")),
                   Assessment("c:3", "Yonhap", "neutral", float("nan"), "r", ("p:3",)))
    clusters = (*base.clusters, Cluster("k:empty", (), ()))
    meta = {**base.meta, "odd": odd, "thresholds": {"contradict": 0.5, "tiny": 3.2e-05}}
    return Report((yon, kcna), (c1, c2, c3, c4), verdicts, clusters, meta, facts, assessments)


def start_tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag of ``page`` with its attributes, as a browser's tokenizer sees them."""

    class Collector(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.tags: list[tuple[str, dict[str, str | None]]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append((tag, dict(attrs)))

    collector = Collector()
    collector.feed(page)
    collector.close()
    return collector.tags
