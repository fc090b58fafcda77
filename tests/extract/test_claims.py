from __future__ import annotations

import pytest

from verify.extract.claims import (
    ClaimExtractor,
    claim_from_text,
    extract_entities,
    find_attribution,
    is_check_worthy,
    normalise_entity,
    split_sentences,
)
from verify.extract.values import extract_quantities, number_keys
from verify.knowledge import load_knowledge
from verify.records import Article

KOREA = load_knowledge(("default", "korea"))


def article(text: str, source: str = "Test Times", aid: str = "a:1", title: str | None = None) -> Article:
    return Article(aid, "x.txt", source, title, None, None, text, text, tuple(range(len(text) + 1)))


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_split_keeps_abbreviations_together():
    text = "Putin wrote on the Aug. 15 anniversary to N. Korea. U.S.-led forces fought. Kim left."
    assert sentences(text) == ["Putin wrote on the Aug. 15 anniversary to N. Korea.", "U.S.-led forces fought.", "Kim left."]


def test_split_paragraphs_always_end_a_sentence():
    text = "The council met on Monday and voted\nA new paragraph starts here."
    assert sentences(text) == ["The council met on Monday and voted", "A new paragraph starts here."]


def test_split_empty():
    assert split_sentences("") == []
    assert split_sentences("   \n  ") == []


def test_entities_use_the_pack_aliases_and_ner():
    ents = extract_entities("Kim Jong-un met officials of the USSR and Pyongyang in the Liberation Tower.", KOREA)
    assert ents[:4] == ("Kim Jong Un", "Soviet Union", "North Korea", "Liberation Tower")
    assert normalise_entity("Jong-un", KOREA) == "Kim Jong Un"
    assert normalise_entity("the Soviets") == "Soviet Union"  # a country name: the default pack


def test_entities_of_any_topic_come_from_ner_with_types():
    claim = claim_from_text("Microsoft agreed to buy Activision Blizzard for $68.7 billion, Satya Nadella said in Redmond.")
    typed = dict(zip(claim.entities, claim.entity_types))
    assert typed.get("Microsoft") == "ORG" and typed.get("Satya Nadella") == "PERSON"
    assert "68,700,000,000 usd" in claim.numbers
    assert claim.quantities == extract_quantities(claim.text) and claim.numbers == number_keys(claim.quantities)


def test_entities_skip_sentence_openers():
    assert "The" not in extract_entities("The summit in Vladivostok ended.")


def test_probe_a_name_starting_with_the_at_a_sentence_start_is_an_entity():
    """Issue 11 probe: "The Eiffel Tower ..." used to yield no entity."""
    assert "Eiffel Tower" in extract_entities("The Eiffel Tower was built for the 1889 World's Fair.")


def test_probe_the_north_is_rewritten_only_in_articles_about_korea():
    uk = "The North voted heavily for Labour in the 2019 election.\nTurnout rose in Leeds and Manchester."
    (claim,) = [c for c in ClaimExtractor(KOREA).extract([article(uk)]) if "Labour" in c.text]
    assert claim.standalone == claim.text
    korean = "North Korea fired a missile on Monday.\nThe North launched 3 more missiles on Tuesday, officials said."
    rewritten = [c.standalone for c in ClaimExtractor(KOREA).extract([article(korean)])]
    assert any(s.startswith("North Korea launched 3 more missiles") for s in rewritten)
    plain = [c.standalone for c in ClaimExtractor().extract([article(korean)])]  # no pack: no rewrite
    assert not any(s.startswith("North Korea launched") for s in plain)


def test_probe_a_headline_is_a_claim_and_us_is_not_the_pronoun_us():
    title = "Teenage British Jihadi Killed in US Airstrikes"
    claims = ClaimExtractor().extract([article(title, title=title)])
    assert [c.text for c in claims] == [title]
    assert "United States" in claims[0].entities
    question = "Did a Teenage British Jihadi Die in US Airstrikes?"
    assert ClaimExtractor().extract([article(question, title=question)]) == []


def test_a_title_given_only_in_metadata_is_a_claim_with_its_span_in_the_file():
    original = "---\ntitle: Acme agrees to buy Widget Corp for $2bn\n---\nAcme said on Monday it will pay $2bn."
    body_at = original.index("Acme said")
    text = original[body_at:]
    art = Article("a:t", "x.md", "Wire", "Acme agrees to buy Widget Corp for $2bn", None, None, text, original,
                  tuple(range(body_at, len(original) + 1)))
    claims = ClaimExtractor().extract([art])
    title = next(c for c in claims if c.text.startswith("Acme agrees"))
    assert original[title.span[0] : title.span[1]] == "Acme agrees to buy Widget Corp for $2bn"


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
    assert not is_check_worthy("Kim heads to Russia", ["Kim", "Russia"], [], [])  # a fragment inside an article...
    assert is_check_worthy("Kim heads to Russia", ["Kim", "Russia"], [], [], title=True)  # ...but a headline is a claim
    assert not is_check_worthy("We believe quality journalism should be available to Americans.", ["United States"], [], [])
    assert is_check_worthy("A US airstrike killed two militants near Raqqa.", ["United States"], [], [])
    assert not is_check_worthy("Police arrived at the scene shortly after.", [], [], [], has_predicate=False)


def test_extractor_makes_claims_stand_alone_with_spans():
    text = (
        "North Korean leader Kim Jong-un met Putin in Pyongyang in June 2024.\n"
        "He visited the Liberation Tower on Thursday to honour Soviet soldiers.\n"
        "Is this important?"
    )
    claims = ClaimExtractor(KOREA).extract([article(text)])
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
    assert normalise_entity(name, KOREA) == canonical


def test_mostly_quoted_rhetoric_is_not_a_claim_but_reported_facts_are():
    rhetoric = '"The noble soul and exploits of the Chinese people will remain immortal for generations," Kim said in 2021.'
    assert not is_check_worthy(rhetoric, ["Kim Jong Un", "China"], [], ["2021"])
    reported = ('The inscription on the monument in Pyongyang proclaims that "the great Soviet Union military" had '
                '"liberated Koreans from Japanese oppression" in 1945.')
    assert is_check_worthy(reported, ["Soviet Union", "Korea", "Japan"], [], ["1945"])
