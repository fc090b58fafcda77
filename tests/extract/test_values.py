from __future__ import annotations

import json
import math

import pytest

from verify.extract.values import (
    MONTHS,
    Quantity,
    compatible,
    dates_compatible,
    describe,
    extract_dates,
    extract_numbers,
    extract_quantities,
    month_number,
    ordinal_value,
    quantity_conflicts,
)
from verify.records import Claim

INF = math.inf

# text -> (low, high, unit, kind, approx) of the one quantity in it
SINGLE = [
    # exact and hedged values
    ("exactly 79 people died", (79, 79, "people", "count", False)),
    ("about 80 people", (72, 88, "people", "count", True)),
    ("around 80", (72, 88, "", "count", True)),
    ("roughly 80", (72, 88, "", "count", True)),
    ("some 80 soldiers", (72, 88, "soldier", "count", True)),
    ("approximately 80", (72, 88, "", "count", True)),
    ("~80", (72, 88, "", "count", True)),
    ("80 or so people", (72, 88, "people", "count", True)),
    ("nearly 80", (72, 80, "", "count", True)),
    ("almost 80", (72, 80, "", "count", True)),
    ("just under 80", (72, 80, "", "count", True)),
    ("more than 1,000", (1000, INF, "", "count", True)),
    ("over 1,000 troops", (1000, INF, "soldier", "count", True)),
    ("at least 1,000", (1000, INF, "", "count", True)),
    ("1,000+ people", (1000, INF, "people", "count", True)),
    ("80 or more", (80, INF, "", "count", True)),
    ("less than 50", (0, 50, "", "count", True)),
    ("under 50", (0, 50, "", "count", True)),
    ("fewer than 50 people", (0, 50, "people", "count", True)),
    ("up to 50", (0, 50, "", "count", True)),
    ("no more than 50", (0, 50, "", "count", True)),
    # ranges
    ("10-20", (10, 20, "", "count", False)),
    ("10–20 percent", (10, 20, "percent", "percent", False)),
    ("between 10 and 20", (10, 20, "", "count", False)),
    ("10 to 20", (10, 20, "", "count", False)),
    ("from 10 to 20 people", (10, 20, "people", "count", False)),
    ("between 1.5 and 2 million", (1.5e6, 2e6, "", "count", False)),
    ("$3-4 billion", (3e9, 4e9, "usd", "money", False)),
    ("$3bn-$4bn", (3e9, 4e9, "usd", "money", False)),
    # number words and vague amounts
    ("a dozen", (12, 12, "", "count", False)),
    ("two dozen", (24, 24, "", "count", False)),
    ("twenty-five", (25, 25, "", "count", False)),
    ("twenty five soldiers", (25, 25, "soldier", "count", False)),
    ("two hundred and fifty", (250, 250, "", "count", False)),
    ("a hundred", (100, 100, "", "count", False)),
    ("two million people", (2e6, 2e6, "people", "count", False)),
    ("Twelve", (12, 12, "", "count", False)),
    ("hundreds of soldiers", (200, 999, "soldier", "count", True)),
    ("thousands", (2000, 9999, "", "count", True)),
    ("tens of thousands of people", (20_000, 99_999, "people", "count", True)),
    ("a few hundred people", (200, 999, "people", "count", True)),
    ("dozens", (24, 99, "", "count", True)),
    # scales and money
    ("1.5 million", (1.5e6, 1.5e6, "", "count", False)),
    ("10k", (1e4, 1e4, "", "count", False)),
    ("$3bn", (3e9, 3e9, "usd", "money", False)),
    ("3 billion dollars", (3e9, 3e9, "usd", "money", False)),
    ("US$1.2 million", (1.2e6, 1.2e6, "usd", "money", False)),
    ("USD 5 million", (5e6, 5e6, "usd", "money", False)),
    ("€5m", (5e6, 5e6, "eur", "money", False)),
    ("5 million euros", (5e6, 5e6, "eur", "money", False)),
    ("£20", (20, 20, "gbp", "money", False)),
    ("₩1.2 trillion", (1.2e12, 1.2e12, "krw", "money", False)),
    ("1.2 trillion won", (1.2e12, 1.2e12, "krw", "money", False)),
    ("about $3bn", (2.7e9, 3.3e9, "usd", "money", True)),
    ("$2000", (2000, 2000, "usd", "money", False)),
    # units
    ("1,500 tons", (1500, 1500, "ton", "measure", False)),
    ("15,000 tonnes", (15_000, 15_000, "ton", "measure", False)),
    ("1,500 metric tons", (1500, 1500, "ton", "measure", False)),
    ("10km", (10, 10, "km", "measure", False)),
    ("120 kilometres", (120, 120, "km", "measure", False)),
    ("a 5m wall", (5, 5, "m", "measure", False)),
    ("1800 km", (1800, 1800, "km", "measure", False)),
    ("80%", (80, 80, "percent", "percent", False)),
    ("80 per cent", (80, 80, "percent", "percent", False)),
    ("3 percentage points", (3, 3, "percentage point", "percent", False)),
    ("a 13-month hiatus", (13, 13, "month", "count", False)),
    ("eight years ago", (8, 8, "year", "count", False)),
    ("one year", (1, 1, "year", "count", False)),
    ("four times", (4, 4, "time", "count", False)),
    ("200 North Korean soldiers", (200, 200, "soldier", "count", False)),
    ("12 children", (12, 12, "child", "count", False)),
    # ordinals
    ("the 79th", (79, 79, "", "ordinal", False)),
    ("the 21st", (21, 21, "", "ordinal", False)),
    ("the third", (3, 3, "", "ordinal", False)),
    ("the 79th time", (79, 79, "time", "ordinal", False)),
    ("the 79th anniversary of liberation", (79, 79, "anniversary", "ordinal", False)),
    ("a second term", (2, 2, "term", "ordinal", False)),
    ("the first visit", (1, 1, "visit", "ordinal", False)),
    ("the twenty-first century", (21, 21, "century", "ordinal", False)),
]

# text -> the quantity's text as written
AS_WRITTEN = [
    ("They moved about 1,500 tons.", "about 1,500 tons"),
    ("a 13-month hiatus", "13-month"),
    ("US$1.2 million in aid", "US$1.2 million"),
    ("between 10 and 20 people fled", "between 10 and 20 people"),
    ("hundreds of soldiers were sent", "hundreds of soldiers"),
]

# no quantities here: years, dates, times, identifiers, non-numbers
NONE = [
    "built in 1945",
    "the Soviet Union declared war on Japan on Aug 8, 1945",
    "the summit on June 12",
    "the summit on 12 June",
    "on the 8th of August",
    "the June 12-14 talks",
    "in June 2020",
    "the 1950-53 Korean War",
    "the 2019/20 season",
    "from 2010 to 2015",
    "between 1910 and 1945",
    "in 2019 people protested",
    "about 2000",
    "at 10:30 a.m. and 5 pm",
    "5G, 3D, the 1990s, F-35 jets, the G7, COVID-19",
    "a third of the people",
    "at first",
    "one of them said",
    "it may rain",
    "oftentimes",
]

UGLY = [
    "", " ", "$", "€", "%", "10-", "-", "+", "1,2,3", "١٢٣", "４５", "1" * 2000, "1," * 2000, "9" * 400 + " tons",
    "1,000,000,000,000,000,000,000", "about " * 500, "between and", "$$$3bn", "1.2.3.4", "1e400", "\x00\ud800",
    "\n\t", "hundreds of thousands of millions", "twenty-", "-twenty", "a a a dozen", "79thth", "10--20", "0", "0+",
]

# (a, b, compatible(a, b))
COMPATIBLE = [
    ("about 80", "79", True),
    ("79", "80", True),  # within 2%
    ("1,500 tons", "1,520 tonnes", True),
    ("1,500 tons", "15,000 tons", False),
    ("more than 1,000", "1,200", True),
    ("more than 1,000", "900", False),
    ("nearly 80", "85", False),
    ("nearly 80", "78", True),
    ("less than 50 people", "60 people", False),
    ("up to 50", "49", True),
    ("79th", "80th", False),
    ("79th", "79th", True),
    ("10-20 percent", "15%", True),
    ("10-20 percent", "25%", False),
    ("hundreds of soldiers", "300 troops", True),
    ("thousands", "500", False),
    ("$3bn", "3 billion dollars", True),
    ("$3bn", "$4bn", False),
    ("a dozen", "12", True),
    ("four times", "five times", False),
    ("0", "0", True),
]
NOT_COMPARABLE = [
    ("1,500 tons", "1,500 people"),  # units differ
    ("80", "80 people"),  # a bare count only meets a bare count
    ("$3bn", "€3bn"),  # currencies differ
    ("3 percent", "3 percentage points"),
    ("79th", "79"),  # ordinal vs count
    ("the 3rd time", "three times"),
]

# (a, b, conflicts)
CONFLICTS = [
    ("about 1,500 tons of rice", "15,000 tonnes of rice", ["ton: 1,350-1,650 vs 15,000"]),
    ("1,500 tons", "15,000 tons", ["ton: 1,500 vs 15,000"]),
    ("the 79th anniversary", "the 80th anniversary", ["anniversary: 79th vs 80th"]),
    ("1,500 tons", "1,500 tons on three ships", []),  # an extra number on one side
    ("1,500 tons and 200 people", "1,490 tons", []),
    ("about 80 people and 200 people", "79 people", []),  # 79 is matched by "about 80"; 200 is extra
    ("more than 1,000 people", "1,200 people", []),
    ("$3bn", "€5bn", []),  # not comparable
    ("", "1,500 tons", []),
]


def one(text: str) -> Quantity:
    found = extract_quantities(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("text, expected", SINGLE)
def test_single_quantity(text, expected):
    q = one(text)
    low, high, unit, kind, approx = expected
    assert (q.low, q.high) == (pytest.approx(low), pytest.approx(high))
    assert (q.unit, q.kind, q.approx) == (unit, kind, approx)


@pytest.mark.parametrize("text, written", AS_WRITTEN)
def test_text_as_written(text, written):
    assert one(text).text == written


@pytest.mark.parametrize("text", NONE)
def test_not_quantities(text):
    assert extract_quantities(text) == ()


@pytest.mark.parametrize("text", UGLY)
def test_never_raises(text):
    found = extract_quantities(text)
    assert isinstance(found, tuple)
    for q in found:
        assert 0 <= q.low <= q.high
        json.dumps(q.to_json(), allow_nan=False)
        describe(q)
    quantity_conflicts(found, found)


def test_non_string_input_gives_nothing():
    assert extract_quantities(None) == ()  # type: ignore[arg-type]


def test_several_in_order_and_years_skipped():
    found = extract_quantities("In 1812 about 1,500 tons moved, the 79th time, four times")
    assert [(q.unit, q.kind, q.text) for q in found] == [
        ("ton", "measure", "about 1,500 tons"),
        ("time", "ordinal", "79th time"),
        ("time", "count", "four times"),
    ]


@pytest.mark.parametrize("a, b, expected", COMPATIBLE)
def test_compatible(a, b, expected):
    qa, qb = one(a), one(b)
    assert compatible(qa, qb) is expected
    assert compatible(qb, qa) is expected


@pytest.mark.parametrize("a, b", NOT_COMPARABLE)
def test_not_comparable(a, b):
    assert compatible(one(a), one(b)) is None


@pytest.mark.parametrize("a, b, expected", CONFLICTS)
def test_quantity_conflicts(a, b, expected):
    assert quantity_conflicts(extract_quantities(a), extract_quantities(b)) == expected


def test_to_json_open_interval():
    q = one("more than 1,000 people")
    assert q.to_json() == {
        "low": 1000, "high": None, "unit": "people", "approx": True, "text": "more than 1,000 people", "kind": "count",
    }
    json.dumps(q.to_json(), allow_nan=False)


DESCRIBED = [
    ("1,500 tons", "1,500"), ("79th", "79th"), ("more than 1,000", "1,000+"), ("up to 50", "up to 50"),
    ("10-20", "10-20"), ("1.25 million", "1,250,000"), ("1.5 percent", "1.5"),
]


@pytest.mark.parametrize("text, shown", DESCRIBED)
def test_describe(text, shown):
    assert describe(one(text)) == shown


# --------------------------------------------------------------------------------------------- dates and keys
@pytest.mark.parametrize(
    "text, expected",
    [
        ("the Soviet Union only declared war on Japan on Aug 8, 1945", ("1945-08-08",)),
        ("the Aug. 15 anniversary", ("--08-15",)),
        ("the 1950-53 Korean War", ("1950/1953",)),
        ("Japan's 1910-45 colonial rule", ("1910/1945",)),
        ("in June in Pyongyang", ("--06",)),
        ("built in 1947", ("1947",)),
        ("it may rain", ()),
    ],
)
def test_extract_dates(text, expected):
    assert extract_dates(text) == expected


def test_extract_numbers_come_from_the_value_model_and_skip_years():
    """One parser: the claim's numbers are verify.extract.values quantities (hedged values as their interval)."""
    assert extract_numbers("In 1812 about 1,500 tons moved, the 79th time, four times") == (
        "1,350-1,650 ton", "79th time", "4 time")
    assert extract_numbers("The deal is worth $3bn, up 12 percent.") == ("3,000,000,000 usd", "12 percent")


@pytest.mark.parametrize(
    "a, b, ok",
    [("1945", "1945-08-08", True), ("1945-08-08", "1945-08-09", False), ("--08-15", "2024-08-15", True),
     ("--08-15", "--08-16", False), ("1950/1953", "1950", True), ("1945-08", "1945-09-01", False)],
)
def test_dates_compatible(a, b, ok):
    assert dates_compatible(a, b) is ok


def test_one_month_table_for_every_spelling():
    assert [month_number(m) for m in ("Aug.", "August", "Sept", "Sep", "September", "may")] == [8, 8, 9, 9, 9, 5]
    assert set(MONTHS) >= {"january", "jan", "sept", "may"} and "mayor" not in MONTHS
    assert extract_dates("on Sept. 9, 1948 and in Sepember 1950") == ("1948-09-09", "1950-09")


def test_year_pattern_spans_1500_to_2099():
    assert extract_dates("in 1592, in 2099 and in 1499") == ("1592", "2099")
    assert extract_quantities("in 1592") == ()


@pytest.mark.parametrize("text, value", [("79th", 79), ("seventy-ninth", 79), ("tenth", 10), ("Twenty first", 21)])
def test_ordinal_value(text, value):
    assert ordinal_value(text) == value


def test_quantities_survive_json_and_claims_take_their_json_form():
    qs = extract_quantities("more than 1,000 people and 1,500 tons, the 79th anniversary")
    assert tuple(Quantity.from_json(q.to_json()) for q in qs) == qs
    assert tuple(Quantity.from_json(json.loads(json.dumps(q.to_json()))) for q in qs) == qs
    claim = Claim("c:1", "a:1", "A", "x", "x", (0, 1), quantities=[q.to_json() for q in qs])  # type: ignore[list-item]
    assert claim.quantities == qs and isinstance(claim.quantities, tuple)
    assert Claim("c:1", "a:1", "A", "x", "x", (0, 1), quantities=qs).quantities is qs
