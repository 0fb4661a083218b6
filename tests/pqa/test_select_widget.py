"""PQA's drop-down (pqa.forms.Select) is drawn in Python: the same markup as Django's own
select templates, whatever the choices, the chosen value and the attributes."""

import pytest
from django import forms

from pqa.forms import Select

CHOICES = [("", "Choose who owns it"), (1, "Ann Evaluator"), (2, 'Ben "B" <Manager> & co'), (3, "Cat")]
GROUPED = [
    ("", "Choose who owns it"),
    ("This team", [(1, "Ann Evaluator (team manager)"), (2, "Ben")]),
    ("Everyone else", [(3, "Cat"), (4, "Dan")]),
]


@pytest.mark.parametrize(
    ("choices", "value", "attrs"),
    [
        (CHOICES, None, None),
        (CHOICES, 2, {"id": "id_owner", "class": "govuk-select"}),
        (CHOICES, "3", {"id": "id_owner", "aria-describedby": "id_owner-error", "required": True}),
        (CHOICES, "", {"disabled": False}),
        (GROUPED, 3, {"id": "id_recommendations-0-owner"}),
        (GROUPED, None, None),
        ([(1, "One"), ("1", "One again")], 1, None),  # only the first match is selected
        ([(None, "Nothing"), ("x", "X")], None, None),
    ],
)
def test_the_drop_down_is_drawn_exactly_as_djangos_templates_draw_it(choices, value, attrs):
    assert Select(choices=choices).render("owner", value, attrs) == forms.Select(choices=choices).render(
        "owner", value, attrs
    )


def test_a_callable_list_of_choices_is_read_when_drawn():
    offered = [(1, "Ann")]
    widget = Select(choices=lambda: offered)
    offered.append((2, "Ben"))
    assert '<option value="2">Ben</option>' in widget.render("owner", None)
