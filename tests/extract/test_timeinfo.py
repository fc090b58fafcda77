"""verify.extract.timeinfo: article dates from text clues, claim times from time expressions."""

from __future__ import annotations

import json
import random
from datetime import date, datetime

import pytest

from verify.extract.timeinfo import (
    PRECISIONS,
    DateGuess,
    Interval,
    infer_article_date,
    resolve_time,
    times_conflict,
)
from verify.knowledge import load_knowledge

from ..conftest import SEEDS

REF = date(2021, 7, 29)  # a Thursday: the Independent seed's date
assert REF.strftime("%A") == "Thursday"

# The seeds' dates, from their .meta.json files.
SEED_DATES = {
    stem: date.fromisoformat(json.loads((SEEDS / f"{stem}.meta.json").read_text(encoding="utf-8"))["date"])
    for stem in ("000_04de47457a69673e", "003_19297d05e1626443", "004_fa41245d04f6e4dd")
}


def seed_text(stem: str) -> str:
    return (SEEDS / f"{stem}.txt").read_text(encoding="utf-8")


def span(interval: Interval | None) -> tuple[str, str, str] | None:
    return None if interval is None else (interval.start.isoformat(), interval.end.isoformat(), interval.precision)


# ---------------------------------------------------------------------------------------------
# resolve_time: one expression at a time, against REF (Thu 2021-07-29)
# ---------------------------------------------------------------------------------------------
DAY = "day"
RESOLVE_CASES = [
    # weekdays: the latest on or before the article date; the article's own weekday is that day
    ("Kim visited the tower on Thursday.", "on Thursday", ("2021-07-29", "2021-07-29", DAY)),
    ("State media reported Thursday.", "Thursday", ("2021-07-29", "2021-07-29", DAY)),
    ("Kim's visit Wednesday to the tower.", "Wednesday", ("2021-07-28", "2021-07-28", DAY)),
    ("He left on Friday.", "on Friday", ("2021-07-23", "2021-07-23", DAY)),
    ("They met on Monday's summit.", "on Monday", ("2021-07-26", "2021-07-26", DAY)),
    ("He spoke last Thursday.", "last Thursday", ("2021-07-22", "2021-07-22", DAY)),
    ("He will speak next Monday.", "next Monday", ("2021-08-02", "2021-08-02", DAY)),
    ("They met this Monday.", "this Monday", ("2021-07-26", "2021-07-26", DAY)),
    # days
    ("He arrived yesterday.", "yesterday", ("2021-07-28", "2021-07-28", DAY)),
    ("He arrives today.", "today", ("2021-07-29", "2021-07-29", DAY)),
    ("Talks resume tomorrow.", "tomorrow", ("2021-07-30", "2021-07-30", DAY)),
    ("Shots were fired last night.", "last night", ("2021-07-28", "2021-07-28", DAY)),
    ("He left three days ago.", "three days ago", ("2021-07-26", "2021-07-26", DAY)),
    ("The Soviet Union declared war on Aug 8, 1945.", "Aug 8, 1945", ("1945-08-08", "1945-08-08", DAY)),
    ("It ended on Aug. 15th, 1945.", "Aug. 15th, 1945", ("1945-08-15", "1945-08-15", DAY)),
    ("War broke out on 25 June 1950.", "25 June 1950", ("1950-06-25", "1950-06-25", DAY)),
    ("Held on the 15th of August 2020.", "15th of August 2020", ("2020-08-15", "2020-08-15", DAY)),
    ("Filed 2024-08-15 in Seoul.", "2024-08-15", ("2024-08-15", "2024-08-15", DAY)),
    ("On the Aug. 15 anniversary.", "Aug. 15", ("2020-08-15", "2020-08-15", DAY)),  # latest on or before
    ("They met on July 27.", "July 27", ("2021-07-27", "2021-07-27", DAY)),
    ("They met on 27 July.", "27 July", ("2021-07-27", "2021-07-27", DAY)),
    # weeks (Monday to Sunday)
    ("Kim agreed earlier this week to restore the lines.", "earlier this week", ("2021-07-26", "2021-08-01", "week")),
    ("They meet this week.", "this week", ("2021-07-26", "2021-08-01", "week")),
    ("They met last week.", "last week", ("2021-07-19", "2021-07-25", "week")),
    ("They meet next week.", "next week", ("2021-08-02", "2021-08-08", "week")),
    ("He left a week ago.", "a week ago", ("2021-07-19", "2021-07-25", "week")),
    # months
    ("The summit was in June.", "in June", ("2021-06-01", "2021-06-30", "month")),
    ("The summit was in July.", "in July", ("2021-07-01", "2021-07-31", "month")),
    ("They met in December.", "in December", ("2020-12-01", "2020-12-31", "month")),
    ("Elections will be held in December.", "in December", ("2021-12-01", "2021-12-31", "month")),
    ("Talks stalled in early June.", "in early June", ("2021-06-01", "2021-06-30", "month")),
    ("Talks stalled in mid-June.", "in mid-June", ("2021-06-01", "2021-06-30", "month")),
    ("He was elected last July.", "last July", ("2020-07-01", "2020-07-31", "month")),
    ("He will visit next July.", "next July", ("2022-07-01", "2022-07-31", "month")),
    ("The summit in June 2024 ended.", "June 2024", ("2024-06-01", "2024-06-30", "month")),
    ("Prices rose last month.", "last month", ("2021-06-01", "2021-06-30", "month")),
    ("Prices rose this month.", "this month", ("2021-07-01", "2021-07-31", "month")),
    ("Prices rise next month.", "next month", ("2021-08-01", "2021-08-31", "month")),
    ("He left two months ago.", "two months ago", ("2021-05-01", "2021-05-31", "month")),
    ("He left 8 months ago.", "8 months ago", ("2020-11-01", "2020-11-30", "month")),
    # years
    ("A monument built in 1947.", "1947", ("1947-01-01", "1947-12-31", "year")),
    ("He took power in late 2011.", "2011", ("2011-01-01", "2011-12-31", "year")),
    ("In 1947, the tower rose.", "1947", ("1947-01-01", "1947-12-31", "year")),
    ("Last year's natural disasters hit hard.", "Last year", ("2020-01-01", "2020-12-31", "year")),
    ("Growth slowed this year.", "this year", ("2021-01-01", "2021-12-31", "year")),
    ("Talks resume next year.", "next year", ("2022-01-01", "2022-12-31", "year")),
    ("They met eight years ago.", "eight years ago", ("2013-01-01", "2013-12-31", "year")),
    ("They met 8 years ago.", "8 years ago", ("2013-01-01", "2013-12-31", "year")),
    ("They met a year ago.", "a year ago", ("2020-01-01", "2020-12-31", "year")),
    # ranges and decades
    ("The 1950-53 Korean War.", "1950-53", ("1950-01-01", "1953-12-31", "range")),
    ("Japan's 1910-45 colonial rule.", "1910-45", ("1910-01-01", "1945-12-31", "range")),
    ("The 1950–1953 war.", "1950–1953", ("1950-01-01", "1953-12-31", "range")),
    ("Claims reads 1950/1953.", "1950/1953", ("1950-01-01", "1953-12-31", "range")),
    ("The 1999-01 season.", "1999-01", ("1999-01-01", "2001-12-31", "range")),
    ("Fought from 1950 to 1953.", "from 1950 to 1953", ("1950-01-01", "1953-12-31", "range")),
    ("Fought between 1950 and 1953.", "between 1950 and 1953", ("1950-01-01", "1953-12-31", "range")),
    ("Famine struck in the 1990s.", "1990s", ("1990-01-01", "1999-12-31", "decade")),
    ("They met a decade ago.", "a decade ago", ("2006-01-01", "2016-12-31", "decade")),
    ("The ties go back decades.", "decades", ("0001-01-01", "2011-07-29", "decade")),
    # the past before the article
    ("Moscow, once its most important ally.", "once", ("0001-01-01", "2021-07-28", "past")),
    ("The former Soviet Union.", "former", ("0001-01-01", "2021-07-28", "past")),
    ("The city formerly known as Leningrad.", "formerly", ("0001-01-01", "2021-07-28", "past")),
    ("Russia used to supply most of the aid.", "used to", ("0001-01-01", "2021-07-28", "past")),
]


@pytest.mark.parametrize("sentence, text, expected", RESOLVE_CASES, ids=[c[0][:40] for c in RESOLVE_CASES])
def test_resolve_time_expressions(sentence, text, expected):
    interval = resolve_time(sentence, REF)
    assert span(interval) == expected
    assert interval.text == text


@pytest.mark.parametrize(
    "sentence",
    [
        "He came at once.",
        "They met once again.",
        "Once the talks resume, aid will flow.",
        "The pipe was used to build the dam.",
        "He got used to the cold.",
        "At the April Spring Friendship Art Festival in Pyongyang.",
        "About 1,500 troops moved.",
        "About 2000 troops moved.",
        "It came a day after the 68th anniversary of the end of the war.",
        "After a 13-month hiatus.",
        "Four times in the space of a year.",
        "Over the last year, prices rose.",
        "It may rain.",
        "The 2019-04 figures.",  # not a range (2019-2104) and not read as a month
        "North Korea and Russia have been bolstering cooperation.",
    ],
)
def test_resolve_time_ignores_non_times(sentence):
    assert resolve_time(sentence, REF) is None


@pytest.mark.parametrize(
    "sentence, expected",
    [
        # day beats range: the visit is what the sentence is about, not the war
        ("Kim visited the tower on Thursday to honour soldiers killed in the 1950-53 Korean War.",
         ("2021-07-29", "2021-07-29", DAY)),
        # year beats past
        ("A monument built in 1947 to honor the Red Army from the former Soviet Union.", ("1947-01-01", "1947-12-31", "year")),
        # day beats week
        ("Putin wrote earlier this week on the Aug. 15 anniversary.", ("2020-08-15", "2020-08-15", DAY)),
        # month beats year
        ("Trade fell last year and again in June.", ("2021-06-01", "2021-06-30", "month")),
        # decade (open past) beats past
        ("The ties between Pyongyang and Moscow, once its most important ally, go back decades.",
         ("0001-01-01", "2011-07-29", "decade")),
        # same precision: the first written
        ("He arrived yesterday and left on Friday.", ("2021-07-28", "2021-07-28", DAY)),
    ],
)  # fmt: skip
def test_resolve_time_prefers_the_most_specific(sentence, expected):
    assert span(resolve_time(sentence, REF)) == expected


@pytest.mark.parametrize(
    "sentence, ref, expected",
    [
        # a sentence that looks ahead moves bare weekdays and dates forward ...
        ("Kim will meet Putin on Thursday.", date(2019, 4, 23), ("2019-04-25", "2019-04-25", DAY)),
        ("Kim is expected to arrive Friday.", date(2021, 7, 29), ("2021-07-30", "2021-07-30", DAY)),
        ("Talks are scheduled for Aug. 2.", date(2021, 7, 29), ("2021-08-02", "2021-08-02", DAY)),
        # ... but not when the weekday is when something was said
        ("KCNA said Thursday that Kim will visit Russia.", date(2021, 7, 30), ("2021-07-29", "2021-07-29", DAY)),
        ("State media reported on Monday that talks will resume.", date(2021, 7, 30), ("2021-07-26", "2021-07-26", DAY)),
        # month-and-day across the new year, and Feb 29
        ("They met on Dec. 30.", date(2022, 1, 3), ("2021-12-30", "2021-12-30", DAY)),
        ("Born on Feb. 29.", date(2021, 7, 29), ("2020-02-29", "2020-02-29", DAY)),
        ("It opened in December.", date(2022, 1, 3), ("2021-12-01", "2021-12-31", "month")),
        ("The week of Jan. 1.", date(2022, 1, 1), ("2022-01-01", "2022-01-01", DAY)),
        ("He left last month.", date(2022, 1, 3), ("2021-12-01", "2021-12-31", "month")),
        ("He left two months ago.", date(2022, 1, 3), ("2021-11-01", "2021-11-30", "month")),
    ],
)
def test_resolve_time_direction_and_calendar_edges(sentence, ref, expected):
    assert span(resolve_time(sentence, ref)) == expected


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("War was declared on Aug 8, 1945.", ("1945-08-08", "1945-08-08", DAY)),
        ("A monument built in 1947.", ("1947-01-01", "1947-12-31", "year")),
        ("The 1950-53 Korean War.", ("1950-01-01", "1953-12-31", "range")),
        ("The summit in June 2024.", ("2024-06-01", "2024-06-30", "month")),
        ("Famine in the 1990s.", ("1990-01-01", "1999-12-31", "decade")),
        ("Visited the tower on Thursday, built in 1947.", ("1947-01-01", "1947-12-31", "year")),
        ("Kim visited on Thursday.", None),
        ("They met last week.", None),
        ("The summit was in June.", None),
        ("On the Aug. 15 anniversary.", None),
        ("They met eight years ago.", None),
        ("The former Soviet Union.", None),
        ("Ties go back decades.", None),
        ("He arrived yesterday.", None),
    ],
)
def test_resolve_time_without_article_date_only_absolute(sentence, expected):
    assert span(resolve_time(sentence, None)) == expected


def test_resolve_time_accepts_datetime_and_iso_string():
    expected = ("2021-07-28", "2021-07-28", DAY)
    assert span(resolve_time("He arrived yesterday.", datetime(2021, 7, 29, 23, 59))) == expected
    assert span(resolve_time("He arrived yesterday.", "2021-07-29")) == expected
    assert resolve_time("He arrived yesterday.", "not a date") is None


def test_impossible_date_keeps_its_month():
    assert span(resolve_time("Signed on Feb 30, 2020.", REF)) == ("2020-02-01", "2020-02-29", "month")
    assert span(resolve_time("Signed on Aug 32.", REF)) == ("2020-08-01", "2020-08-31", "month")  # latest August


UGLY = [
    "", " ", "\n\t", "\x00\x01", "🙂🙂🙂", "평양 8월 15일", "Feb 30, 2020", "on 99th", "0000-00-00", "9999-12-31",
    "0000-01-01", "Aug 32", "Jan 0", "in 0000", "in 9999", "9999 years ago", "9999 decades ago", "9999 weeks ago",
    "tomorrow", "yesterday", "next year", "last year", "next week", "last week", "Sunday", "next Sunday", "once",
    "the 9999th anniversary of liberation", "the 0th anniversary of liberation", "1999-99", "2099-00", "20999",
    "May May May 1 May", "Thursday" * 500, "once " * 1000, "(" * 1000 + "1950-53", "from 2099 to 1600", "the 0s",
    "SEOUL, Feb. 30 (Yonhap) --", "SEOUL, Feb. 30, 2024 (Yonhap) --", "last night tonight today", "a a a years ago",
]  # fmt: skip


@pytest.mark.parametrize("ref", [None, date.min, date.max, REF, date(2000, 2, 29)], ids=str)
def test_never_raises_on_ugly_text(ref):
    for text in UGLY:
        result = resolve_time(text, ref)
        assert result is None or (isinstance(result, Interval) and result.precision in PRECISIONS)
        guess = infer_article_date(text)
        assert guess is None or isinstance(guess, DateGuess)


def test_never_raises_on_random_token_soup():
    tokens = ["on", "in", "last", "next", "this", "Thursday", "June", "Aug.", "15", "1945", "-", "53", ",", "ago",
              "years", "decades", "once", "former", "used to", "was", "9999", "0", "29", "Feb", "anniversary", "79th",
              "of", "liberation", "SEOUL,", "(Yonhap)", "--", "\n", "é", "’", "s", "the", "will", "said"]  # fmt: skip
    rng = random.Random(0)
    refs = [None, date.min, date.max, REF]
    for i in range(400):
        text = " ".join(rng.choice(tokens) for _ in range(rng.randint(0, 12)))
        resolve_time(text, refs[i % len(refs)])
        infer_article_date(text)


def test_non_string_input_is_none():
    assert resolve_time(None, REF) is None  # type: ignore[arg-type]
    assert infer_article_date(None) is None  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Seeds: their sentences against their own dates
# ---------------------------------------------------------------------------------------------
SEED_CASES = [
    ("000_04de47457a69673e",
     "North Korean leader Kim Jong-un has exchanged a message with Russian President Vladimir Putin on the occasion of "
     "the 79th anniversary of Korea’s liberation from Japan’s 1910-45 colonial rule and vowed to bolster ties with "
     "Moscow, state media reported Friday.",
     ("2024-08-16", "2024-08-16", DAY)),
    ("000_04de47457a69673e",
     "Putin extended a message to Kim earlier this week to offer congratulations on the Aug. 15 anniversary, and Kim "
     "sent a reply Thursday, according to the Korean Central News Agency (KCNA).",
     ("2024-08-15", "2024-08-15", DAY)),
    ("000_04de47457a69673e",
     "In the message, Putin expressed his belief that thoroughly implementing the agreements reached during his summit "
     "with Kim in June in Pyongyang would continue to promote the expansion of reciprocal bilateral cooperation.",
     ("2024-06-01", "2024-06-30", "month")),
    ("000_04de47457a69673e",
     "The Liberation Tower is a monument built in Pyongyang in 1947 to honor the Red Army from the former Soviet Union "
     "that the North claimed helped liberate Korea from Japan’s colonial rule.",
     ("1947-01-01", "1947-12-31", "year")),
    ("003_19297d05e1626443",
     "Kim’s visit Wednesday to the Friendship Tower that honors Chinese soldiers killed during the 1950-53 Korean War "
     "was his third since he took power in late 2011.",
     ("2021-07-28", "2021-07-28", DAY)),
    ("003_19297d05e1626443",
     "Earlier this week, Kim agreed to restore cross-border communication channels with rival South Korea following a "
     "13-month hiatus, and improve bilateral ties.",
     ("2021-07-26", "2021-08-01", "week")),
    ("004_fa41245d04f6e4dd",
     "Jong-un is expected to meet Russian President Vladimir Putin in Vladivostok this week, reportedly tomorrow and "
     "on Thursday.",
     ("2019-04-24", "2019-04-24", DAY)),  # "tomorrow" is written before "on Thursday" (which would be 04-25)
    ("004_fa41245d04f6e4dd",
     "The summit – the first between the two neighbours’ leaders since Jong-il met Dmitry Medvedev eight years ago – "
     "comes less than two months after the Hanoi meeting between Jong-un and US President Donald Trump broke up "
     "without reaching an agreement on the North’s nuclear arsenal.",
     ("2011-01-01", "2011-12-31", "year")),  # the Medvedev meeting was in Aug 2011
    ("004_fa41245d04f6e4dd",
     "The ties between Pyongyang and Moscow, once its most important ally, go back decades.",
     ("0001-01-01", "2009-04-23", "decade")),
    ("004_fa41245d04f6e4dd",
     "In fact, the Soviet Union only declared war on Japan on Aug 8, 1945 – after the US nuclear bombing of Hiroshima.",
     ("1945-08-08", "1945-08-08", DAY)),
]  # fmt: skip


@pytest.mark.parametrize("stem, sentence, expected", SEED_CASES, ids=[f"{c[0][:3]}-{c[1][:30]}" for c in SEED_CASES])
def test_seed_sentences_against_their_dates(stem, sentence, expected):
    assert sentence in seed_text(stem)  # copied verbatim
    assert span(resolve_time(sentence, SEED_DATES[stem])) == expected


def test_seed_tomorrow_and_thursday_resolve_forward():
    ref = SEED_DATES["004_fa41245d04f6e4dd"]  # Tue 2019-04-23, the day before the trip
    assert span(resolve_time("Kim is expected to meet Putin on Thursday.", ref)) == ("2019-04-25", "2019-04-25", DAY)


# ---------------------------------------------------------------------------------------------
# infer_article_date
# ---------------------------------------------------------------------------------------------
KOREA = load_knowledge(("default", "korea")).anniversaries  # the seed stories' pack


def test_infer_seed_000_from_the_79th_liberation_anniversary():
    guess = infer_article_date(seed_text("000_04de47457a69673e"), anniversaries=KOREA)
    assert guess == DateGuess(date(2024, 8, 15), "79th anniv. of Korea's liberation from Japan's colonial rule", 0.8)
    assert abs(guess.date - SEED_DATES["000_04de47457a69673e"]).days <= 7  # the meta date is the day after


def test_infer_seed_003_from_the_68th_anniversary_of_the_end_of_the_war():
    guess = infer_article_date(seed_text("003_19297d05e1626443"), anniversaries=KOREA)
    assert guess == DateGuess(date(2021, 7, 27), "68th anniversary of the end of the war", 0.8)
    assert abs(guess.date - SEED_DATES["003_19297d05e1626443"]).days <= 7  # meta: two days later


def test_infer_seed_004_finds_nothing():
    """The Star piece has no dateline date, no anniversary and only a historical full date (Aug 8, 1945);
    its clues are relative ("eight years ago", "tomorrow and on Thursday"), which are not used."""
    assert infer_article_date(seed_text("004_fa41245d04f6e4dd"), anniversaries=KOREA) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Kim marked the 79th anniversary of Korea's liberation.", (date(2024, 8, 15), 0.8, "day")),
        ("On the seventy-ninth anniversary of Korea's liberation.", (date(2024, 8, 15), 0.8, "day")),
        ("On the 79th anniversary of the liberation of Korea.", (date(2024, 8, 15), 0.8, "day")),
        ("The 70th anniversary of the Korean War armistice.", (date(2023, 7, 27), 0.8, "day")),
        ("The 70th anniversary of victory in the Fatherland Liberation War.", (date(2023, 7, 27), 0.8, "day")),
        ("The 70th anniversary of the outbreak of the Korean War.", (date(2020, 6, 25), 0.8, "day")),
        ("The 75th founding anniversary of the Workers' Party of Korea.", (date(2020, 10, 10), 0.8, "day")),
        ("The 73rd anniversary of the founding of North Korea.", (date(2021, 9, 9), 0.8, "day")),
        ("The 80th birth anniversary of Kim Jong Il.", (date(2022, 2, 16), 0.8, "day")),
        ("The 110th birth anniversary of Kim Il Sung.", (date(2022, 4, 15), 0.8, "day")),
        ("The 10th anniversary of the death of Kim Jong-il.", (date(2021, 12, 17), 0.8, "day")),
        ("The 79th anniversary of the end of World War II.", (date(2024, 8, 15), 0.8, "day")),
        # a dateline gives the month and day to the anniversary's year
        ("SEOUL, Aug. 16 (Yonhap) -- On the 79th anniversary of Korea's liberation.", (date(2024, 8, 16), 0.8, "day")),
        ("SEOUL, Jan. 2 (Yonhap) -- The 10th anniversary of the death of Kim Jong-il.", (date(2022, 1, 2), 0.8, "day")),
        # a dateline with a year is the date itself
        ("SEOUL, Aug. 16, 2024 (Yonhap) -- Kim spoke.", (date(2024, 8, 16), 0.9, "day")),
        # explicit dates: the latest that is not history
        ("Talks on Aug. 15, 2024 followed the war declared on Aug 8, 1945 and talks on June 19, 2024.",
         (date(2024, 8, 15), 0.6, "day")),
        ("Filed 2019-04-23 in Pyongyang.", (date(2019, 4, 23), 0.6, "day")),
        ("PYONGYANG, April 23 - The summit of April 25, 2019 nears.", (date(2019, 4, 23), 0.6, "day")),
        ("WASHINGTON, D.C., Dec. 31 -- Kim met Trump on Jan. 3, 2020.", (date(2019, 12, 31), 0.6, "day")),
    ],
)  # fmt: skip
def test_infer_article_date_clues(text, expected):
    guess = infer_article_date(text, anniversaries=KOREA)
    assert (guess.date, guess.confidence, guess.precision) == expected
    assert guess.evidence


@pytest.mark.parametrize(
    "text",
    [
        "The Soviet Union declared war on Aug 8, 1945.",  # history only
        "PYONGYANG, April 23 - Kim left.",  # a dateline alone has no year
        "PYONGYANG: On the neighbouring mound stands the tower.",
        "The 79th anniversary.",  # of nothing known
        "The 5th anniversary of the summit.",
        "Kim met Medvedev eight years ago.",  # relative mentions are not used
        "",
    ],
)
def test_infer_article_date_none(text):
    assert infer_article_date(text) is None


def test_anniversaries_argument_replaces_the_table():
    text = "The 5th anniversary of the Singapore summit."
    assert infer_article_date(text) is None
    guess = infer_article_date(text, anniversaries={r"singapore summit": date(2018, 6, 12)})
    assert (guess.date, guess.confidence) == (date(2023, 6, 12), 0.8)
    # a bare year gives a year-only guess, which a dateline completes
    guess = infer_article_date(text, anniversaries={r"singapore summit": 2018})
    assert (guess.date, guess.confidence, guess.precision) == (date(2023, 1, 1), 0.4, "year")
    guess = infer_article_date("SEOUL, June 12 (Yonhap) -- " + text, anniversaries={r"singapore summit": 2018})
    assert (guess.date, guess.confidence, guess.precision) == (date(2023, 6, 12), 0.6, "day")
    # replacing the table drops the pack's anchors; extending it keeps them
    assert infer_article_date("The 79th anniversary of Korea's liberation.", anniversaries={"x": 2000}) is None
    extended = {**KOREA, r"singapore summit": date(2018, 6, 12)}
    assert infer_article_date("The 79th anniversary of Korea's liberation.", anniversaries=extended).date == date(2024, 8, 15)


def test_anniversary_beats_explicit_date():
    text = "On Aug. 1, 2024 officials prepared for the 79th anniversary of Korea's liberation."
    guess = infer_article_date(text, anniversaries=KOREA)
    assert (guess.date, guess.confidence) == (date(2024, 8, 15), 0.8)


@pytest.mark.parametrize("packs", [("default",), ("default", "korea")])
def test_an_anniversary_dates_an_article_only_when_a_pack_names_that_exact_event(packs):
    """Probe from issue 11: any "liberation" anniversary used to map to Korea's 1945."""
    text = "Survivors gathered for the 80th anniversary of the liberation of Auschwitz."
    assert infer_article_date(text, anniversaries=load_knowledge(packs).anniversaries) is None
    assert infer_article_date(text) is None


# ---------------------------------------------------------------------------------------------
# Interval and times_conflict
# ---------------------------------------------------------------------------------------------
def iv(start: str, end: str, precision: str = "range") -> Interval:
    return Interval(date.fromisoformat(start), date.fromisoformat(end), "x", precision)


def test_interval_to_json():
    interval = resolve_time("War was declared on Aug 8, 1945.", None)
    assert interval.to_json() == {"start": "1945-08-08", "end": "1945-08-08", "text": "Aug 8, 1945", "precision": "day"}
    assert json.loads(json.dumps(interval.to_json())) == interval.to_json()


def test_interval_rejects_reversed_bounds_and_is_frozen():
    with pytest.raises(ValueError, match="starts after it ends"):
        iv("2020-01-02", "2020-01-01")
    with pytest.raises(AttributeError):
        iv("2020-01-01", "2020-01-02").start = date(2019, 1, 1)  # type: ignore[misc]


@pytest.mark.parametrize(
    "a, b, overlap",
    [
        (("1945-08-08", "1945-08-08"), ("1945-08-09", "1945-08-09"), False),
        (("1945-08-08", "1945-08-08"), ("1945-01-01", "1945-12-31"), True),
        (("1950-01-01", "1953-12-31"), ("1953-12-31", "1954-01-01"), True),  # touching ends share a day
        (("1950-01-01", "1953-12-31"), ("1954-01-01", "1954-12-31"), False),
        (("0001-01-01", "2021-07-28"), ("2021-07-29", "2021-07-29"), False),  # "once" vs "today"
    ],
)
def test_overlaps_and_conflict(a, b, overlap):
    x, y = iv(*a), iv(*b)
    assert x.overlaps(y) is overlap and y.overlaps(x) is overlap
    assert times_conflict(x, y) is (not overlap)


def test_times_conflict_needs_both_times():
    x = iv("1945-08-08", "1945-08-08")
    assert times_conflict(x, None) is False
    assert times_conflict(None, x) is False
    assert times_conflict(None, None) is False


def test_conflicting_claims_about_the_soviet_declaration():
    a = resolve_time("The Soviet Union declared war on Japan on Aug 8, 1945.", REF)
    b = resolve_time("The Soviet Union declared war on Japan on Aug 9, 1945.", REF)
    c = resolve_time("The Soviet Union declared war on Japan in August 1945.", REF)
    assert times_conflict(a, b)
    assert not times_conflict(a, c) and not times_conflict(b, c)
