"""Personnummer: checked by date of birth and checksum (python-stdnum), normalised to 12 digits and
turned into a keyed pseudonym (the standard library's HMAC-SHA256)."""

from __future__ import annotations

import pytest
from stdnum import luhn

from samverkan.flow.pseudonyms import InvalidPersonnummer, is_personnummer, normalise, pseudonym
from samverkan.flow.tests.helpers import forms, personnummer

BORN_1947 = personnummer("19470318", "486")  # 19470318-4863
BORN_1912 = "19121212-1212"
BORN_2012 = "20121212-1212"  # the same ten digits as BORN_1912, a century later


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        # Luhn alone passes both: month 13 and day 45; and no month and no day at all.
        pytest.param("9913451234", "no such date of birth", id="month-13-day-45"),
        pytest.param("0000000000", "no such date of birth", id="zeros"),
        pytest.param("19470230-4868", "no such date of birth", id="30-february"),
        pytest.param("19470392-4862", "no such date of birth", id="samordningsnummer-day-32"),
        pytest.param("5566778899", "no such date of birth", id="an-organisation-number"),
    ],
)
def test_a_number_whose_date_of_birth_does_not_exist_is_refused(written, reason):
    assert luhn.is_valid(written.replace("-", "")[-10:])  # only the date is wrong
    with pytest.raises(InvalidPersonnummer) as refused:
        normalise(written)
    assert str(refused.value) == reason
    assert not is_personnummer(written)


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        pytest.param("19470318-4863", "194703184863", id="personnummer"),
        pytest.param("8112289874", "198112289874", id="ten-digits"),
        pytest.param("19470378-4860", "194703784860", id="samordningsnummer-day-plus-60"),
        pytest.param("470391-4863", "194703914863", id="samordningsnummer-31st"),
        pytest.param("20000229-1235", "200002291235", id="29-february-of-a-leap-year"),
    ],
)
def test_valid_numbers_and_samordningsnummer_are_accepted(written, normalised):
    assert normalise(written) == normalised
    assert is_personnummer(written)


# Pseudonyms computed by the implementation before the standard library's hmac replaced it: every
# pseudonym already stored must stay the same, or the same person would become two.
PINNED = {
    "a-test-key-of-at-least-thirty-two-characters": {
        "19470318-4863": "98229a4dd57f83df4937e68cbc254ff955f82b4b24a9bbf16efff971077e49ec",
        "19121212-1212": "b5f8d52b5552febf7be33af6ebd74146ca6493edd6b632377814d7a16401f7a6",
        "20121212-1212": "8d977fe6aa19b95473191e7a239cd8b7873574c4ad910cca3e7bca99024ef753",
        "19470378-4860": "cddd3d0c140eba47b44e41236ed3daea8d26711f28fc82f663743e6bb2913a91",
        "121212+1212": "b5f8d52b5552febf7be33af6ebd74146ca6493edd6b632377814d7a16401f7a6",
    },
    # A key longer than SHA-256's 64-byte block (it is hashed first), with non-ASCII characters.
    "å" * 40 + "-a-key-longer-than-the-sixty-four-bytes-of-a-SHA-256-block": {
        "19470318-4863": "2f7c0693930191c3eb9ac407f0db9ce7c76df30fc4f9088b961996d82d1ccf99",
        "19121212-1212": "60aef943e37bdcfbe4452e1e7263e58f570ce23c26a9cf8fa646cf614ad6d0a3",
        "20121212-1212": "ea8b0dd07f0b052925678685bf8b20edcd9fe245c3bff117bfe4985e69e5b758",
        "19470378-4860": "3412ebd9a576b35fc52043bb9a8fddd628689b215a795a653ed0b30b57e45eea",
        "121212+1212": "60aef943e37bdcfbe4452e1e7263e58f570ce23c26a9cf8fa646cf614ad6d0a3",
    },
    "insecure-development-only-pseudonym-key": {  # the demo's
        "19470318-4863": "e553581b585327d0e529e4ae6a0728044bf83ccfb03cbdce8ab49dbb2a0662e3",
        "19121212-1212": "8c995b7dcca0fd3191c4a3e49bbc429c6a3ab3a9cc2f7fc34f78f8c28fc8a21a",
        "20121212-1212": "2891fce0b7e02dededd7d67545b4e1f265037befb070d1a04855381b5fa16904",
        "19470378-4860": "ea7d89fb3743801cd278f9d52b2b2f0d547a0e6e24ac76f229e47aaf7efc8f51",
        "121212+1212": "8c995b7dcca0fd3191c4a3e49bbc429c6a3ab3a9cc2f7fc34f78f8c28fc8a21a",
    },
}


@pytest.mark.parametrize("key", list(PINNED))
def test_the_pseudonyms_are_those_computed_before(settings, key):
    settings.PSEUDONYM_KEY = key
    assert {number: pseudonym(number) for number in PINNED[key]} == PINNED[key]


@pytest.mark.parametrize(
    "written",
    ["194703184863", "19470318-4863", "19470318+4863", "4703184863", "470318-4863", " 19470318 4863 "],
)
def test_every_way_of_writing_a_number_normalises_to_twelve_digits(written):
    assert normalise(written) == "194703184863"


def test_ten_digits_with_a_dash_mean_someone_under_a_hundred_and_a_plus_someone_older():
    assert normalise("121212-1212") == "201212121212"
    assert normalise("1212121212") == "201212121212"
    assert normalise("121212+1212") == "191212121212"


def test_a_coordination_number_with_the_day_plus_sixty_is_accepted():
    number = personnummer("19470378", "486")  # samordningsnummer for someone born 18 March 1947
    assert normalise(number) == number.replace("-", "")


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        pytest.param("19470318-4864", "checksum does not match", id="wrong-check-digit"),
        pytest.param("470318-4864", "checksum does not match", id="wrong-check-digit-ten-digits"),
        pytest.param("19470318-486", "not 10 or 12 digits", id="too-short"),
        pytest.param("1194703184863", "not 10 or 12 digits", id="too-long"),
        pytest.param("19470318/4863", "not 10 or 12 digits", id="other-separator"),
        pytest.param("1947O318-4863", "not 10 or 12 digits", id="letter"),
        pytest.param("", "not 10 or 12 digits", id="empty"),
    ],
)
def test_an_invalid_number_is_refused_without_repeating_it(written, reason):
    with pytest.raises(InvalidPersonnummer) as refused:
        normalise(written)
    assert str(refused.value) == reason
    with pytest.raises(InvalidPersonnummer):
        pseudonym(written)


def test_the_pseudonym_is_the_same_for_every_written_form_of_the_same_person(settings):
    settings.PSEUDONYM_KEY = "a-test-key-of-at-least-thirty-two-characters"
    same_person = [form for form in forms(BORN_1947) if "+" not in form]
    assert len({pseudonym(form) for form in same_person}) == 1
    assert pseudonym(BORN_1912) == pseudonym("121212+1212") == pseudonym("191212121212")


def test_different_people_get_different_pseudonyms(settings):
    settings.PSEUDONYM_KEY = "a-test-key-of-at-least-thirty-two-characters"
    assert pseudonym(BORN_1912) != pseudonym(BORN_2012)
    assert pseudonym(BORN_1912) != pseudonym(BORN_1947)


def test_the_pseudonym_reveals_nothing_of_the_number(settings):
    settings.PSEUDONYM_KEY = "a-test-key-of-at-least-thirty-two-characters"
    value = pseudonym(BORN_1947)
    assert len(value) == 64 and set(value) <= set("0123456789abcdef")
    assert not any(form in value for form in forms(BORN_1947))
    assert "470318" not in value


def test_the_pseudonym_depends_on_the_key(settings):
    settings.PSEUDONYM_KEY = "the-first-key-of-at-least-thirty-two-characters"
    first = pseudonym(BORN_1947)
    assert pseudonym(BORN_1947) == first
    settings.PSEUDONYM_KEY = "another-key-of-at-least-thirty-two-characters"
    assert pseudonym(BORN_1947) != first
