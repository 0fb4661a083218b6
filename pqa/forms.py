"""Forms of PQA's own pages (the rest live with their apps), and the date field every app uses."""

import datetime as dt

from crispy_forms_gds.fields import DateInputField
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join

from pqa.quarters import year_range

# One message for every refused sign-in, so the page never says whether an account exists.
SIGN_IN_REFUSED = "Enter a correct e-mail address or username and password"


class SignInForm(AuthenticationForm):
    """Django's sign-in form with GOV.UK error messages. A refused sign-in is an error of the
    whole form; the page shows it beside the username field and the error summary links there."""

    error_messages = {"invalid_login": SIGN_IN_REFUSED, "inactive": SIGN_IN_REFUSED}

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "E-mail address or username"
        self.fields["username"].error_messages["required"] = "Enter your e-mail address or username"
        self.fields["password"].error_messages["required"] = "Enter your password"


def _flat_attributes(attrs) -> str:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name.
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, f"{value}"),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


OPTION = '\n  <option value="{}">{}</option>\n'
SELECTED_OPTION = '\n  <option value="{}" selected>{}</option>\n'


class Select(forms.Select):
    """Django's drop-down, drawn in Python: the same markup as its select.html and
    select_option.html, without a template include for every option (a drop-down of everyone
    who can own a recommendation has a hundred options, and drawing them through the template
    engine cost a few milliseconds each time; docs/benchmarks.md). Every value is escaped."""

    def render(self, name, value, attrs=None, renderer=None):
        # What get_context() and optgroups() decide, without building a dict per option:
        # the owner drop-down is drawn once per recommendation row, each with every account.
        final_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        chosen = set(self.format_value(value))
        found = False

        def option(option_value, label):
            nonlocal found
            option_value = "" if option_value is None else option_value
            selected = (not found or self.allow_multiple_selected) and str(option_value) in chosen
            found |= selected
            return (format_html(SELECTED_OPTION if selected else OPTION, f"{option_value}", label),)

        groups = []
        for group_name, choices in self.choices:
            if isinstance(choices, (list, tuple)):
                drawn = format_html_join("", "{}", [option(*choice) for choice in choices])
                drawn = format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group_name, drawn)
            else:
                (drawn,) = option(group_name, choices)
            groups.append((drawn,))
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            name,
            _flat_attributes(final_attrs),
            format_html_join("", "{}", groups),
        )


def example_date_hint(then: str = "", *, days_from_today: int = 0):
    """'For example, 27 3 2026.' and what follows, with today's example (lazy: the day the
    page is drawn, not the day the server started)."""

    def text() -> str:
        example = timezone.localdate() + dt.timedelta(days=days_from_today)
        return f"For example, {example.day} {example.month} {example.year}." + (f" {then}" if then else "")

    return lazy(text, str)()


def date_year_range(today: dt.date | None = None) -> tuple[int, int]:
    """The first and the last calendar year a date typed into PQA may have: every day of the
    quarters PQA accepts (pqa.quarters.year_range: financial years 2000-01 to ten after the
    current one), so a date that fits no cycle, or a typing slip such as 20266, is refused
    beside the field rather than saved. One rule for every date field."""
    first, last = year_range(today)
    return first, last + 1  # the last financial year ends in March of the next calendar year


class DateField(DateInputField):
    """PQA's one date field: the GOV.UK date input (day, month, year, three inputs named
    NAME_0, NAME_1, NAME_2; errors link to the day). Blank is None unless required; a part
    missing, a two-digit year, a part that is not a number (or a huge one), an impossible date
    or a year outside `date_year_range` says what to fix, naming the date."""

    def __init__(
        self,
        *,
        label: str,
        required: bool = False,
        help_text: str = "",
        noun: str = "",
        not_in_past: bool = False,
        not_in_future: bool = False,
        **kwargs,
    ):
        super().__init__(label=label, required=required, require_all_fields=False, help_text=help_text, **kwargs)
        self.noun = noun or label.lower()
        self.not_in_past = not_in_past
        self.not_in_future = not_in_future
        self.error_messages["required"] = f"Enter the {self.noun}"

    def compress(self, data_list):
        day, month, year = (list(data_list) + [None, None, None])[:3]
        if not (day and month and year):
            return None
        day, month, year = (str(part).strip() for part in (day, month, year))
        if not all(part.isascii() and part.isdigit() for part in (day, month, year)):
            raise ValidationError(f"The {self.noun} must be a real date, written in numbers")
        if len(year) != 4:
            raise ValidationError("The year must have 4 numbers, for example 2026")
        if len(day) > 2 or len(month) > 2:  # also keeps a 20-digit day from overflowing the date
            raise ValidationError(f"The {self.noun} must be a real date")
        first, last = date_year_range()
        if not first <= int(year) <= last:
            raise ValidationError(f"The year of the {self.noun} must be between {first} and {last}")
        try:
            return dt.date(day=int(day), month=int(month), year=int(year))
        except ValueError as error:
            raise ValidationError(f"The {self.noun} must be a real date") from error

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if self.not_in_past and value < timezone.localdate():
            raise ValidationError(f"The {self.noun} must be today or in the future")
        if self.not_in_future and value > timezone.localdate():
            raise ValidationError(f"The {self.noun} must be today or in the past")


# --- Choices of records ------------------------------------------------------------------------

# The largest id a database holds (a 64-bit integer). A posted id beyond it is not an id: asked
# for, SQLite raises OverflowError and PostgreSQL a DataError, so it is refused before the query.
LARGEST_ID = 2**63 - 1


def _is_id(value) -> bool:
    text = str(value).strip()
    return text.isdigit() and 0 < int(text) <= LARGEST_ID


class ModelChoiceField(forms.ModelChoiceField):
    """Django's, refusing a posted value that cannot be an id as an invalid choice (a message
    beside the field) instead of sending it to the database."""

    def to_python(self, value):
        if value not in self.empty_values and not self.to_field_name and not _is_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """As ModelChoiceField, for a list of ids (checkboxes)."""

    def _check_values(self, value):
        if not self.to_field_name:
            for item in value:
                if not _is_id(item):
                    raise ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                    )
        return super()._check_values(value)
