"""Read-outs of digits, numbers, times, dates, money and durations, in Hindi and English.

Expected phrases are written from how the languages are spoken, not taken from the code. The
property tests parse spoken numbers back with an independent reader and check that every
fragment a read-out produces is one an installer would have recorded.
"""

from __future__ import annotations

import datetime
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.language import Language
from ivr.readout import (
    Phrase,
    date,
    digits,
    fragment_vocabulary,
    join,
    minutes,
    moment,
    money,
    number,
    time_of_day,
)

HI, EN = Language.HI, Language.EN


def said(words: str) -> tuple[str, ...]:
    """The fragments of a phrase written with spaces between its words."""
    return tuple(words.split())


# Hindi 0..99, one decade per line, as taught in school tables.
HINDI_0_TO_99 = said("""
शून्य एक दो तीन चार पाँच छह सात आठ नौ
दस ग्यारह बारह तेरह चौदह पंद्रह सोलह सत्रह अठारह उन्नीस
बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस उनतीस
तीस इकतीस बत्तीस तैंतीस चौंतीस पैंतीस छत्तीस सैंतीस अड़तीस उनतालीस
चालीस इकतालीस बयालीस तैंतालीस चौवालीस पैंतालीस छियालीस सैंतालीस अड़तालीस उनचास
पचास इक्यावन बावन तिरेपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ
साठ इकसठ बासठ तिरेसठ चौंसठ पैंसठ छियासठ सड़सठ अड़सठ उनहत्तर
सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर पचहत्तर छिहत्तर सतहत्तर अठहत्तर उनासी
अस्सी इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी अट्ठासी नवासी
नब्बे इक्यानवे बानवे तिरानवे चौरानवे पचानवे छियानवे सत्तानवे अट्ठानवे निन्यानवे
""")


def hindi_words_0_to_99() -> list[str]:
    words = [number(n, HI).words for n in range(100)]
    assert all(len(w) == 1 for w in words), "every Hindi number below 100 is a single word"
    return [w[0] for w in words]


# --- Hindi 0..99 ---------------------------------------------------------------------------


def test_hindi_words_below_hundred_match_the_school_table() -> None:
    assert len(HINDI_0_TO_99) == 100
    for n, (spoken, expected) in enumerate(zip(hindi_words_0_to_99(), HINDI_0_TO_99, strict=True)):
        assert spoken == expected, n


def test_hindi_words_below_hundred_are_distinct_and_not_empty() -> None:
    words = hindi_words_0_to_99()
    assert all(words)
    assert len(set(words)) == 100


def test_hindi_words_follow_the_decade_patterns() -> None:
    """Within a decade the units 1..8 share the decade's ending; 9 is "one less than" (उन-)."""
    words = hindi_words_0_to_99()
    endings: dict[int, str | tuple[str, ...]] = {
        1: "ह",
        2: ("ीस", "ईस"),
        3: "तीस",
        4: "लीस",
        5: "न",
        6: "सठ",
        7: "हत्तर",
        8: "ासी",
        9: "नवे",
    }
    for tens, ending in endings.items():
        for units in range(1, 9):
            assert words[10 * tens + units].endswith(ending), 10 * tens + units
    for n in (19, 29, 39, 49, 59, 69, 79):
        assert words[n].startswith("उन"), n
    assert (words[89], words[99]) == ("नवासी", "निन्यानवे")


# --- number ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text", "english"),
    [
        (0, "0", "zero"),
        (7, "7", "seven"),
        (13, "13", "thirteen"),
        (20, "20", "twenty"),
        (45, "45", "forty five"),
        (100, "100", "one hundred"),
        (110, "110", "one hundred ten"),
        (999, "999", "nine hundred ninety nine"),
        (1000, "1,000", "one thousand"),
        (1001, "1,001", "one thousand one"),
        (1234, "1,234", "one thousand two hundred thirty four"),
        (99999, "99,999", "ninety nine thousand nine hundred ninety nine"),
        (100000, "1,00,000", "one lakh"),
        (205000, "2,05,000", "two lakh five thousand"),
        (1000000, "10,00,000", "ten lakh"),
        (10000000, "1,00,00,000", "one crore"),
        (123456789, "12,34,56,789",
         "twelve crore thirty four lakh fifty six thousand seven hundred eighty nine"),
        (999999999, "99,99,99,999",
         "ninety nine crore ninety nine lakh ninety nine thousand nine hundred ninety nine"),
        (10000000000, "10,00,00,00,000", "one thousand crore"),
    ],
)  # fmt: skip
def test_english_numbers_use_lakh_and_crore(n: int, text: str, english: str) -> None:
    assert number(n, EN) == Phrase(text, said(english))


@pytest.mark.parametrize(
    ("n", "hindi"),
    [
        (0, "शून्य"),
        (100, "एक सौ"),
        (101, "एक सौ एक"),
        (250, "दो सौ पचास"),
        (1234, "एक हज़ार दो सौ चौंतीस"),
        (20000, "बीस हज़ार"),
        (205000, "दो लाख पाँच हज़ार"),
        (1100000, "ग्यारह लाख"),
        (10000000, "एक करोड़"),
        (999999999, "निन्यानवे करोड़ निन्यानवे लाख निन्यानवे हज़ार नौ सौ निन्यानवे"),
        (25000000000, "दो हज़ार पाँच सौ करोड़"),
    ],
)
def test_hindi_numbers(n: int, hindi: str) -> None:
    assert number(n, HI).words == said(hindi)


def test_number_text_is_the_same_numeral_in_both_languages() -> None:
    assert number(1234567, HI).text == number(1234567, EN).text == "12,34,567"


def test_negative_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        number(-1, EN)


def test_language_may_be_given_by_code_and_unknown_codes_are_refused() -> None:
    assert number(42, "hi") == number(42, HI)
    with pytest.raises(ValueError, match="fr"):
        number(42, "fr")


def read_back(words: tuple[str, ...], lang: Language) -> int:
    """An independent reader of Indian-system number words."""
    if lang is HI:
        small = {word: value for value, word in enumerate(HINDI_0_TO_99)}
        hundred, thousand, lakh, crore = "सौ", "हज़ार", "लाख", "करोड़"
    else:
        ones = "zero one two three four five six seven eight nine ten eleven twelve thirteen"
        teens = "fourteen fifteen sixteen seventeen eighteen nineteen"
        small = {word: value for value, word in enumerate(f"{ones} {teens}".split())}
        tens = said("twenty thirty forty fifty sixty seventy eighty ninety")
        small |= {word: 10 * (i + 2) for i, word in enumerate(tens)}
        hundred, thousand, lakh, crore = "hundred", "thousand", "lakh", "crore"
    total = current = 0
    for word in words:
        if word == hundred:
            current *= 100
        elif word in (thousand, lakh):
            total, current = total + current * (1000 if word == thousand else 100000), 0
        elif word == crore:
            total, current = (total + current) * 10**7, 0
        else:
            current += small[word]
    return total + current


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(list(Language)))
def test_spoken_numbers_read_back_to_the_number(n: int, lang: Language) -> None:
    assert read_back(number(n, lang).words, lang) == n
    assert number(n, lang).text.replace(",", "") == str(n)


# --- digits ---------------------------------------------------------------------------------


def test_docket_is_spelled_letter_by_letter_and_digit_by_digit() -> None:
    english = "C Z two six one one two eight zero zero zero zero one two seven"
    hindi = "सी ज़ेड दो छह एक एक दो आठ शून्य शून्य शून्य शून्य एक दो सात"
    assert digits("CZ2611280000127", EN) == Phrase("C Z 2 6 1 1 2 8 0 0 0 0 1 2 7", said(english))
    assert digits("CZ2611280000127", HI).words == said(hindi)
    assert digits("CZ2611280000127", HI).text == "C Z 2 6 1 1 2 8 0 0 0 0 1 2 7"


def test_digits_skip_spaces_and_hyphens_and_read_lower_case_letters() -> None:
    assert digits("wz-12 3", EN) == Phrase("W Z 1 2 3", ("W", "Z", "one", "two", "three"))
    assert digits("0", HI).words == ("शून्य",)


def test_every_hindi_letter_name_is_distinct() -> None:
    letters = [digits(chr(c), HI).words[0] for c in range(ord("A"), ord("Z") + 1)]
    assert len(set(letters)) == 26
    assert letters[:3] == ["ए", "बी", "सी"]


@pytest.mark.parametrize("bad", ["", " - ", "+919826012345", "१९१२", "12.5", "ß"])
def test_digits_refuse_what_cannot_be_read(bad: str) -> None:
    with pytest.raises(ValueError):
        digits(bad, EN)


# --- time_of_day ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "text", "words"),
    [
        (16, 30, "4:30 in the evening", "four thirty in the evening"),
        (9, 0, "9 o'clock in the morning", "nine o'clock in the morning"),
        (9, 5, "9:05 in the morning", "nine oh five in the morning"),
        (12, 0, "12 noon", "twelve noon"),
        (0, 0, "12 midnight", "twelve midnight"),
        (0, 5, "12:05 at night", "twelve oh five at night"),
        (12, 45, "12:45 in the afternoon", "twelve forty five in the afternoon"),
        (3, 59, "3:59 at night", "three fifty nine at night"),
        (4, 0, "4 o'clock in the morning", "four o'clock in the morning"),
        (11, 59, "11:59 in the morning", "eleven fifty nine in the morning"),
        (15, 59, "3:59 in the afternoon", "three fifty nine in the afternoon"),
        (16, 0, "4 o'clock in the evening", "four o'clock in the evening"),
        (19, 59, "7:59 in the evening", "seven fifty nine in the evening"),
        (20, 0, "8 o'clock at night", "eight o'clock at night"),
        (23, 10, "11:10 at night", "eleven ten at night"),
    ],
)
def test_english_clock_times(hour: int, minute: int, text: str, words: str) -> None:
    assert time_of_day(datetime.time(hour, minute), EN) == Phrase(text, said(words))


@pytest.mark.parametrize(
    ("hour", "minute", "text", "words"),
    [
        (16, 30, "शाम 4 बजकर 30 मिनट", "शाम चार बजकर तीस मिनट"),
        (16, 0, "शाम 4 बजे", "शाम चार बजे"),
        (9, 5, "सुबह 9 बजकर 5 मिनट", "सुबह नौ बजकर पाँच मिनट"),
        (12, 0, "दोपहर 12 बजे", "दोपहर बारह बजे"),
        (0, 0, "रात 12 बजे", "रात बारह बजे"),
        (13, 1, "दोपहर 1 बजकर 1 मिनट", "दोपहर एक बजकर एक मिनट"),
        (3, 59, "रात 3 बजकर 59 मिनट", "रात तीन बजकर उनसठ मिनट"),
        (4, 0, "सुबह 4 बजे", "सुबह चार बजे"),
        (11, 59, "सुबह 11 बजकर 59 मिनट", "सुबह ग्यारह बजकर उनसठ मिनट"),
        (15, 45, "दोपहर 3 बजकर 45 मिनट", "दोपहर तीन बजकर पैंतालीस मिनट"),
        (19, 59, "शाम 7 बजकर 59 मिनट", "शाम सात बजकर उनसठ मिनट"),
        (20, 0, "रात 8 बजे", "रात आठ बजे"),
    ],
)
def test_hindi_clock_times(hour: int, minute: int, text: str, words: str) -> None:
    assert time_of_day(datetime.time(hour, minute), HI) == Phrase(text, said(words))


def test_seconds_are_not_read() -> None:
    assert time_of_day(datetime.time(16, 30, 59), HI) == time_of_day(datetime.time(16, 30), HI)


# --- date -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "ordinal"),
    [
        (1, "first"),
        (2, "second"),
        (3, "third"),
        (11, "eleventh"),
        (12, "twelfth"),
        (20, "twentieth"),
        (21, "twenty first"),
        (22, "twenty second"),
        (23, "twenty third"),
        (30, "thirtieth"),
        (31, "thirty first"),
    ],
)
def test_english_dates_speak_the_day_as_an_ordinal(day: int, ordinal: str) -> None:
    assert date(datetime.date(2025, 12, day), EN) == Phrase(
        f"{day} December", (*said(ordinal), "December")
    )


def test_hindi_dates_and_month_names() -> None:
    months = said("जनवरी फ़रवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्टूबर नवंबर दिसंबर")
    for month, name in enumerate(months, start=1):
        assert date(datetime.date(2026, month, 5), HI) == Phrase(f"5 {name}", ("पाँच", name))
    assert date(datetime.date(2026, 1, 31), HI).words == ("इकतीस", "जनवरी")


# --- moment ---------------------------------------------------------------------------------

NOW = datetime.datetime(2025, 12, 5, 14, 0)


@pytest.mark.parametrize(
    ("when", "english", "hindi"),
    [
        ((12, 5, 16, 30), "today at 4:30 in the evening", "आज शाम 4 बजकर 30 मिनट"),
        ((12, 5, 0, 10), "today at 12:10 at night", "आज रात 12 बजकर 10 मिनट"),
        ((12, 6, 9, 0), "tomorrow at 9 o'clock in the morning", "कल सुबह 9 बजे"),
        ((12, 4, 21, 15), "yesterday at 9:15 at night", "4 दिसंबर को रात 9 बजकर 15 मिनट"),
        ((12, 7, 12, 0), "7 December at 12 noon", "7 दिसंबर को दोपहर 12 बजे"),
        ((11, 30, 8, 0), "30 November at 8 o'clock in the morning", "30 नवंबर को सुबह 8 बजे"),
    ],
)
def test_moment_is_read_relative_to_today(
    when: tuple[int, int, int, int], english: str, hindi: str
) -> None:
    """`NOW` is 5 December 2025, 2 in the afternoon."""
    dt = datetime.datetime(2025, *when)
    assert moment(dt, NOW, EN).text == english
    assert moment(dt, NOW, HI).text == hindi


def test_moment_in_another_year_says_the_year() -> None:
    dt = datetime.datetime(2026, 1, 2, 10, 0)
    assert moment(dt, NOW, EN).text == "2 January 2026 at 10 o'clock in the morning"
    assert moment(dt, NOW, HI).text == "2 जनवरी 2026 को सुबह 10 बजे"


def test_moment_words_follow_the_text() -> None:
    assert moment(datetime.datetime(2025, 12, 6, 16, 0), NOW, HI).words == (
        "कल",
        "शाम",
        "चार",
        "बजे",
    )
    assert moment(datetime.datetime(2026, 1, 2, 10, 0), NOW, EN).words == said(
        "second January two thousand twenty six at ten o'clock in the morning"
    )


def test_moment_compares_aware_datetimes_in_the_zone_of_now() -> None:
    ist = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    now = datetime.datetime(2025, 12, 5, 14, 0, tzinfo=ist)
    # 20:00 UTC on the 5th is 01:30 on the 6th in India.
    when = datetime.datetime(2025, 12, 5, 20, 0, tzinfo=datetime.UTC)
    assert moment(when, now, EN).text == "tomorrow at 1:30 at night"


def test_moment_refuses_to_mix_naive_and_aware_datetimes() -> None:
    aware = datetime.datetime(2025, 12, 5, 16, 0, tzinfo=datetime.UTC)
    with pytest.raises(ValueError, match="naive"):
        moment(aware, NOW, EN)


# --- money ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paise", "english", "english_words", "hindi", "hindi_words"),
    [
        (0, "0 rupees", "zero rupees", "0 रुपये", "शून्य रुपये"),
        (1, "1 paisa", "one paisa", "1 पैसा", "एक पैसा"),
        (99, "99 paise", "ninety nine paise", "99 पैसे", "निन्यानवे पैसे"),
        (100, "1 rupee", "one rupee", "1 रुपया", "एक रुपया"),
        (101, "1 rupee 1 paisa", "one rupee one paisa", "1 रुपया 1 पैसा", "एक रुपया एक पैसा"),
        (123450, "1,234 rupees 50 paise", "one thousand two hundred thirty four rupees fifty paise",
         "1,234 रुपये 50 पैसे", "एक हज़ार दो सौ चौंतीस रुपये पचास पैसे"),
        (2000000, "20,000 rupees", "twenty thousand rupees", "20,000 रुपये", "बीस हज़ार रुपये"),
    ],
)  # fmt: skip
def test_money(paise: int, english: str, english_words: str, hindi: str, hindi_words: str) -> None:
    assert money(paise, EN) == Phrase(english, said(english_words))
    assert money(paise, HI) == Phrase(hindi, said(hindi_words))


def test_negative_money_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        money(-50, HI)


# --- minutes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("m", "english", "hindi"),
    [
        (0, "less than a minute", "1 मिनट से कम"),
        (1, "about 1 minute", "लगभग 1 मिनट"),
        (5, "about 5 minutes", "लगभग 5 मिनट"),
        (59, "about 59 minutes", "लगभग 59 मिनट"),
        (60, "about 1 hour", "लगभग 1 घंटा"),
        (61, "about 1 hour 1 minute", "लगभग 1 घंटा 1 मिनट"),
        (80, "about 1 hour 20 minutes", "लगभग 1 घंटा 20 मिनट"),
        (120, "about 2 hours", "लगभग 2 घंटे"),
        (125, "about 2 hours 5 minutes", "लगभग 2 घंटे 5 मिनट"),
    ],
)
def test_wait_estimates(m: int, english: str, hindi: str) -> None:
    assert minutes(m, EN).text == english
    assert minutes(m, HI).text == hindi


def test_exact_durations_have_no_about() -> None:
    assert minutes(1, EN, approximate=False) == Phrase("1 minute", ("one", "minute"))
    assert minutes(0, EN, approximate=False) == Phrase("0 minutes", ("zero", "minutes"))
    assert minutes(80, HI, approximate=False).words == ("एक", "घंटा", "बीस", "मिनट")
    assert minutes(0, HI).words == ("एक", "मिनट", "से", "कम")


def test_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        minutes(-1, EN)


# --- join -----------------------------------------------------------------------------------


def test_join_concatenates_text_and_words_in_order() -> None:
    joined = join(number(5, HI), Phrase("", ()), minutes(3, HI, approximate=False))
    assert joined == Phrase("5 3 मिनट", ("पाँच", "तीन", "मिनट"))
    assert join() == Phrase("", ())


# --- the fragment vocabulary ----------------------------------------------------------------


def readouts(lang: Language) -> st.SearchStrategy[Phrase]:
    """Any read-out in `lang`, over its whole input range."""
    spelled = st.text(alphabet="0123456789ABCXYZabcxyz -", min_size=1).filter(
        lambda s: any(c.isalnum() for c in s)
    )
    return st.one_of(
        st.builds(number, st.integers(min_value=0, max_value=10**15), st.just(lang)),
        st.builds(digits, spelled, st.just(lang)),
        st.builds(time_of_day, st.times(), st.just(lang)),
        st.builds(date, st.dates(), st.just(lang)),
        st.builds(moment, st.datetimes(), st.datetimes(), st.just(lang)),
        st.builds(money, st.integers(min_value=0, max_value=10**12), st.just(lang)),
        st.builds(minutes, st.integers(min_value=0, max_value=10**5), st.just(lang),
                  approximate=st.booleans()),
    )  # fmt: skip


@given(st.data())
def test_every_spoken_word_is_in_the_fragment_vocabulary(data: st.DataObject) -> None:
    lang = data.draw(st.sampled_from(list(Language)), label="lang")
    phrase = data.draw(readouts(lang), label="phrase")
    assert phrase.text
    assert phrase.words
    assert set(phrase.words) <= fragment_vocabulary(lang)


HINDI_SCRIPT = "".join(chr(c) for c in range(0x0900, 0x0980))


@pytest.mark.parametrize("lang", list(Language))
def test_fragments_are_single_normalised_words_in_the_language_script(lang: Language) -> None:
    vocabulary = fragment_vocabulary(lang)
    for word in vocabulary:
        assert word and not any(ch.isspace() for ch in word), word
        assert unicodedata.normalize("NFC", word) == word, word
        if lang is HI:
            assert all(ch in HINDI_SCRIPT for ch in word), word
        else:
            assert word.isascii(), word


def test_vocabulary_holds_the_full_number_tables() -> None:
    assert set(HINDI_0_TO_99) <= fragment_vocabulary(HI)
    assert {
        "zero",
        "nineteen",
        "ninety",
        "lakh",
        "crore",
        "thirty",
        "first",
    } <= fragment_vocabulary(EN)
