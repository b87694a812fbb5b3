"""Reference data: all counties and municipalities, loaded idempotently; population refresh."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from samverkan.organisations.models import County, Municipality, Organisation
from samverkan.organisations.roles import OrganisationKind
from samverkan.organisations.services import reference_data_load

pytestmark = pytest.mark.django_db


def test_all_counties_and_municipalities_are_loaded():
    assert County.objects.count() == 21
    assert Municipality.objects.count() == 290
    assert Municipality.objects.get(code="2080").name == "Falun"
    assert Municipality.objects.filter(county_id="20").count() == 15
    assert sum(Municipality.objects.values_list("population", flat=True)) == 9_995_153


def test_every_region_and_municipality_has_its_organisation():
    assert Organisation.objects.filter(kind=OrganisationKind.REGION).count() == 21
    assert Organisation.objects.filter(kind=OrganisationKind.MUNICIPALITY).count() == 290
    assert Organisation.objects.get(code="R20").name == "Region Dalarna"


def test_loading_again_changes_nothing():
    before = list(Organisation.objects.order_by("pk").values())
    result = reference_data_load()
    assert result.organisations_created == 0
    assert list(Organisation.objects.order_by("pk").values()) == before


def test_population_file_updates_population(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("municipality_code,population,year\n2080,59500,2024\n2084,23900,2024\n", encoding="utf-8")
    out = io.StringIO()
    call_command("load_reference_data", "--population", str(path), stdout=out)
    falun = Municipality.objects.get(code="2080")
    assert (falun.population, falun.population_year) == (59500, 2024)
    assert "2 population figures updated" in out.getvalue()


def test_an_older_population_year_never_overwrites_a_newer_one(tmp_path):
    Municipality.objects.filter(code="2080").update(population=60000, population_year=2025)
    path = tmp_path / "pop.csv"
    path.write_text("municipality_code,population,year\n2080,50000,2020\n", encoding="utf-8")
    reference_data_load(population_file=path)
    assert Municipality.objects.get(code="2080").population == 60000


def test_a_bad_population_file_names_every_row_and_column_and_changes_nothing(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text(
        "municipality_code,population,year\n2080,59500,2024\n9999,100,2024\n2084,många,2024\n", encoding="utf-8"
    )
    with pytest.raises(CommandError) as error:
        call_command("load_reference_data", "--population", str(path), stdout=io.StringIO())
    message = str(error.value)
    assert "row 3, column municipality_code" in message
    assert "row 4, column population" in message
    assert Municipality.objects.get(code="2080").population_year == 2016


def test_a_population_file_without_the_year_column_is_refused(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("municipality_code,population\n2080,59500\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column"):
        call_command("load_reference_data", "--population", str(path), stdout=io.StringIO())


def test_the_population_aged_65_plus_is_loaded_from_its_optional_column(tmp_path):
    """SCB's inhabitants aged 65+ per municipality (the follow-up indicator per 1 000 aged 65+):
    an optional column; an empty cell leaves the figure as it was; an older year never overwrites."""
    assert Municipality.objects.get(code="2080").population_65_plus is None  # none ship with the project
    path = tmp_path / "pop.csv"
    path.write_text(
        "municipality_code,population,year,population_65_plus\n2080,59818,2022,13901\n2084,23000,2022,\n",
        encoding="utf-8",
    )
    reference_data_load(population_file=path)
    falun, avesta = Municipality.objects.get(code="2080"), Municipality.objects.get(code="2084")
    assert (falun.population, falun.population_65_plus, falun.population_65_plus_year) == (59818, 13901, 2022)
    assert (avesta.population, avesta.population_65_plus) == (23000, None)
    path.write_text("municipality_code,population,year,population_65_plus\n2080,59000,2020,13000\n", encoding="utf-8")
    reference_data_load(population_file=path)
    assert Municipality.objects.get(code="2080").population_65_plus == 13901


def test_more_aged_65_plus_than_inhabitants_is_refused_by_row_and_column(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("municipality_code,population,year,population_65_plus\n2080,59818,2022,60000\n", encoding="utf-8")
    with pytest.raises(CommandError, match="row 2, column population_65_plus"):
        call_command("load_reference_data", "--population", str(path), stdout=io.StringIO())
    assert Municipality.objects.get(code="2080").population_65_plus is None
