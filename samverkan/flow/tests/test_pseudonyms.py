"""Personnummer: checked by checksum, normalised to 12 digits and turned into a keyed pseudonym."""

from __future__ import annotations

import pytest

from samverkan.flow.pseudonyms import InvalidPersonnummer, luhn_valid, normalise, pseudonym
from samverkan.flow.tests.helpers import forms, personnummer

BORN_1947 = personnummer("19470318", "486")  # 19470318-4863
BORN_1912 = "19121212-1212"
BORN_2012 = "20121212-1212"  # the same ten digits as BORN_1912, a century later


def test_the_luhn_check_accepts_the_check_digit_and_nothing_else():
    assert luhn_valid("1212121212")
    assert luhn_valid("4703184863")
    assert not luhn_valid("1212121213")
    assert [digit for digit in "0123456789" if luhn_valid(f"470318486{digit}")] == ["3"]


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
