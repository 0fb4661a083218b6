"""The scorecard as people read it, and the monthly entry of a value by the Practice Hub."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from pqa.kpis.models import COMMENTARY_MAX_LENGTH, Indicator, IndicatorValue
from pqa.models import Role
from pqa.registry import menu_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _scorecard(client, month="2018-12"):
    return client.get(reverse("reporting:scorecard"), {"month": month})


def test_a_leader_finds_the_scorecard_in_the_menu(leader, evaluator):
    assert "KPI scorecard" in [entry.label for entry in menu_for(leader)]
    assert "KPI scorecard" not in [entry.label for entry in menu_for(evaluator)]


def test_the_scorecard_shows_every_indicator_with_its_status_in_words_and_its_direction(client_for, leader, enter):
    enter("KPI01", "2018-11", numerator=439, denominator=548)
    enter("KPI01", "2018-12", numerator=423, denominator=548, national=71, statistical_neighbours=81)
    enter("KPI13", "2018-12", numerator=38, denominator=356)
    response = _scorecard(client_for(leader))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<tr class="govuk-table__row" data-code=') == 15
    row = re.search(r'data-code="KPI01">(.*?)</tr>', page, re.S).group(1)
    assert "77.2%" in row and "85%" in row and "75–95%" in row
    assert "National 71%" in row and "Statistical neighbours 81%" in row
    assert "pqa-kpi-status--within_tolerance" in row and "Within tolerance" in row
    assert "↓" in row and "Declining" in row and "down from 80.1% the month before" in row
    row13 = re.search(r'data-code="KPI13">(.*?)</tr>', page, re.S).group(1)
    assert "10.7%" in row13 and "Better than tolerance" in row13
    row3 = re.search(r'data-code="KPI03">(.*?)</tr>', page, re.S).group(1)
    assert "No value" in row3
    assert ' style="' not in page  # the Content Security Policy allows no style attributes


def test_the_scorecard_opens_on_the_latest_month_with_values(client_for, leader, enter):
    enter("KPI01", "2018-10", value=80)
    enter("KPI02", "2018-11", value=20)
    response = client_for(leader).get(reverse("reporting:scorecard"))
    assert "KPI scorecard, November 2018" in response.content.decode()


def test_a_malformed_month_in_the_address_is_shown_as_the_forms_error(client_for, leader):
    response = _scorecard(client_for(leader), month="2018-13")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: KPI scorecard" in page
    assert "there is no month 13" in page


def test_the_scorecard_page_runs_a_fixed_number_of_queries(client_for, leader, enter, django_assert_max_num_queries):
    client = client_for(leader)
    _scorecard(client)  # the session is settled on the first request
    with django_assert_max_num_queries(12) as few:
        _scorecard(client)
    for code in ("KPI01", "KPI02", "KPI03", "KPI10"):
        for month in range(1, 13):
            enter(code, f"2018-{month:02d}", value=20 + month, commentary="Steady.")
    with django_assert_max_num_queries(len(few.captured_queries)):
        _scorecard(client)


def test_an_indicator_page_has_its_chart_its_table_and_its_commentary(client_for, leader, enter):
    # The financial year 2018-19, April to March: the first with a target.
    months = [f"{2018 + (month > 9)}-{(month + 2) % 12 + 1:02d}" for month in range(1, 13)]
    assert (months[0], months[-1]) == ("2018-04", "2019-03")
    for month, text in enumerate(months, start=1):
        enter("KPI01", text, value=70 + 2 * month, commentary=f"Commentary for month {month}.")
    response = client_for(leader).get(reverse("reporting:scorecard_indicator", args=["KPI01"]), {"month": "2019-03"})
    assert response.status_code == 200
    page = response.content.decode()
    svg = re.search(r"<svg [^>]*data-chart=\"line\".*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    values = [Decimal(value) for value in re.findall(r'<circle [^>]*data-value="([^"]+)"', svg)]
    assert values == [Decimal(70 + 2 * month) for month in range(1, 13)]
    table_values = re.findall(r'<tr class="govuk-table__row" data-month="20\d\d-\d\d" data-value="([^"]*)"', page)
    assert [Decimal(value) for value in table_values] == values
    assert svg.count("data-target") == 12  # a target line across each month
    sizes = [int(size) for size in re.findall(r'font-size="(\d+)"', svg)]
    assert sizes and min(sizes) >= 14
    assert "Commentary for month 12." in page and "Commentary for month 1." in page
    assert page.index("Commentary for month 12.") < page.index("Commentary for month 11.")  # newest first
    assert ' style="' not in page and "<script>" not in page


def test_an_indicator_page_runs_a_fixed_number_of_queries(client_for, leader, enter, django_assert_max_num_queries):
    client = client_for(leader)
    url = reverse("reporting:scorecard_indicator", args=["KPI01"])
    client.get(url, {"month": "2018-12"})
    with django_assert_max_num_queries(12) as few:
        client.get(url, {"month": "2018-12"})
    for month in range(1, 13):
        enter("KPI01", f"2018-{month:02d}", value=80, commentary="Steady.", actor=leader)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url, {"month": "2018-12"})


def test_an_unknown_indicator_is_a_404(client_for, leader):
    assert client_for(leader).get(reverse("reporting:scorecard_indicator", args=["KPI99"])).status_code == 404


# --- Entering a value ---------------------------------------------------------------------


def _entry(code="KPI01", month="2018-12"):
    return f"{reverse('kpis:value', args=[code])}?month={month}"


def _form(**values):
    data = dict.fromkeys(("numerator", "denominator", "value", "national", "statistical_neighbours", "commentary"), "")
    data.update({name: str(value) for name, value in values.items()})
    return data


def test_the_practice_hub_enters_a_months_value_from_its_numerator_and_denominator(client_for, practice_hub):
    client = client_for(practice_hub)
    page = client.get(_entry()).content.decode()
    assert 'data-module="govuk-character-count"' in page and f'data-maxlength="{COMMENTARY_MAX_LENGTH}"' in page
    response = client.post(_entry(), _form(numerator=423, denominator=548, national=71, commentary="Within tolerance."))
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:scorecard_indicator", args=["KPI01"]) + "?month=2018-12"
    saved = IndicatorValue.objects.get(indicator__code="KPI01", month=dt.date(2018, 12, 1))
    assert (saved.value, saved.national, saved.entered_by) == (Decimal("77.189781"), Decimal(71), practice_hub)
    assert saved.history.first().history_user == practice_hub


def test_a_value_and_a_numerator_together_are_refused_at_the_value(client_for, practice_hub):
    response = client_for(practice_hub).post(_entry(), _form(numerator=423, denominator=548, value=77))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: KPI01" in page
    assert "Give either a value or a numerator and denominator, not both" in page
    assert 'id="id_value_1_error"' in page  # beside the value field
    assert not IndicatorValue.objects.exists()


def test_commentary_longer_than_its_limit_is_refused(client_for, practice_hub):
    response = client_for(practice_hub).post(_entry(), _form(value=80, commentary="x" * (COMMENTARY_MAX_LENGTH + 1)))
    assert response.status_code == 200
    assert f"at most {COMMENTARY_MAX_LENGTH} characters" in response.content.decode()
    assert not IndicatorValue.objects.exists()


def test_a_value_changed_by_someone_else_meanwhile_is_not_overwritten(client_for, practice_hub, enter):
    first = enter("KPI01", "2018-12", value=80, commentary="Mine first.")
    client = client_for(practice_hub)
    enter("KPI01", "2018-12", value=81, commentary="Someone else's.")  # version 2 now
    typed = _form(value=79, commentary="Typed from version 1.", based_on_version=first.version)
    response = client.post(_entry(), typed)
    page = response.content.decode()
    assert response.status_code == 200
    assert "after you opened it" in page and "Typed from version 1." in page and "Someone else&#x27;s." in page
    saved = IndicatorValue.objects.get()
    assert (saved.value, saved.version) == (Decimal(81), 2)
    # Saving again, from the version now shown, is choosing theirs over it.
    again = client.post(_entry(), _form(value=79, commentary="Typed from version 1.", based_on_version=2))
    assert again.status_code == 302
    assert IndicatorValue.objects.get().value == Decimal(79)


@pytest.mark.parametrize("role", [Role.LEADER, Role.MODERATOR, Role.EVALUATOR, Role.TEAM_MANAGER])
def test_only_the_practice_hub_and_administrators_enter_values(client, role, team):
    person = UserFactory(role=role, team=team)
    client.force_login(person)
    assert client.get(_entry()).status_code == 404
    assert client.post(_entry(), _form(value=80)).status_code == 404
    assert not IndicatorValue.objects.exists()


def test_a_month_that_has_not_begun_cannot_be_entered(client_for, practice_hub):
    assert client_for(practice_hub).get(_entry(month="2099-01")).status_code == 404


# --- The admin --------------------------------------------------------------------------


@pytest.fixture
def administrator(make_user):
    return make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)


def _indicator_form(indicator, **changes):
    targets = list(indicator.targets.order_by("year"))
    data = {
        "code": indicator.code,
        "title": indicator.title,
        "unit": indicator.unit,
        "polarity": indicator.polarity,
        "description": indicator.description,
        "based_on_version": indicator.version,
        "targets-TOTAL_FORMS": len(targets) + 1,
        "targets-INITIAL_FORMS": len(targets),
        "targets-MIN_NUM_FORMS": 0,
        "targets-MAX_NUM_FORMS": 1000,
    }
    for index, target in enumerate(targets):
        data.update(
            {
                f"targets-{index}-id": target.pk,
                f"targets-{index}-indicator": indicator.pk,
                f"targets-{index}-year": target.year,
                f"targets-{index}-target": target.target,
                f"targets-{index}-tolerance_low": target.tolerance_low,
                f"targets-{index}-tolerance_high": target.tolerance_high,
            }
        )
    data.update(changes)
    return data


def test_an_administrator_adds_next_years_target_in_the_admin(client_for, administrator):
    indicator = Indicator.objects.get(code="KPI12")
    url = reverse("admin:pqa_indicator_change", args=[indicator.pk])
    response = client_for(administrator).post(
        url,
        _indicator_form(
            indicator,
            **{
                "targets-1-indicator": indicator.pk,
                "targets-1-year": 2019,
                "targets-1-target": "11",
                "targets-1-tolerance_low": "9",
                "targets-1-tolerance_high": "12",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    indicator.refresh_from_db()
    assert indicator.version == 2
    assert list(indicator.targets.values_list("year", "target")) == [(2018, Decimal(13)), (2019, Decimal(11))]
    assert indicator.targets.get(year=2019).history.first().history_user == administrator


def test_a_target_outside_its_band_is_refused_in_the_admin(client_for, administrator):
    indicator = Indicator.objects.get(code="KPI12")
    url = reverse("admin:pqa_indicator_change", args=[indicator.pk])
    response = client_for(administrator).post(url, _indicator_form(indicator, **{"targets-0-target": "16"}))
    assert response.status_code == 200
    assert "The target must be inside its tolerance band" in response.content.decode()
    assert indicator.targets.get(year=2018).target == Decimal(13)


def test_an_admin_save_from_an_older_version_is_refused(client_for, administrator):
    indicator = Indicator.objects.get(code="KPI12")
    stale = _indicator_form(indicator, title="Changed from an old page")
    Indicator.objects.filter(pk=indicator.pk).update(version=2)
    response = client_for(administrator).post(reverse("admin:pqa_indicator_change", args=[indicator.pk]), stale)
    assert response.status_code == 200
    assert "after you opened it" in response.content.decode()
    assert Indicator.objects.get(pk=indicator.pk).title != "Changed from an old page"


def test_an_administrator_corrects_a_value_in_the_admin(client_for, administrator, enter):
    value = enter("KPI01", "2018-12", numerator=423, denominator=548)
    response = client_for(administrator).post(
        reverse("admin:pqa_indicatorvalue_change", args=[value.pk]),
        {
            "numerator": "430",
            "denominator": "548",
            "value_typed": "",
            "national": "",
            "statistical_neighbours": "",
            "commentary": "Corrected.",
            "based_on_version": value.version,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    value.refresh_from_db()
    assert (value.numerator, value.version, value.entered_by) == (Decimal(430), 2, administrator)


def test_an_administrator_adds_a_value_in_the_admin_and_the_same_month_twice_is_refused(client_for, administrator):
    client = client_for(administrator)
    indicator = Indicator.objects.get(code="KPI10")
    form = {
        "indicator": indicator.pk,
        "month": "2018-12-15",  # any day stands for its month
        "numerator": "",
        "denominator": "",
        "value_typed": "236",
        "national": "220",
        "statistical_neighbours": "252",
        "commentary": "",
    }
    response = client.post(reverse("admin:pqa_indicatorvalue_add"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = IndicatorValue.objects.get()
    assert (saved.month, saved.value, saved.entered_by) == (dt.date(2018, 12, 1), Decimal(236), administrator)
    again = client.post(reverse("admin:pqa_indicatorvalue_add"), {**form, "value_typed": "240"})
    assert again.status_code == 200
    assert "already exists" in again.content.decode()
    assert IndicatorValue.objects.get().value == Decimal(236)
