"""The Practice Hub's form for importing practice evaluations from a CSV file."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.core.exceptions import ValidationError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a larger history comes in by the import_evaluations command


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Upload a CSV file",
        help_text="UTF-8 CSV with a header row, one evaluation a row. Up to 10 MB.",
        error_messages={"required": "Choose a CSV file", "empty": "The file is empty"},
    )
    create_missing = forms.BooleanField(
        label="Create missing service areas, teams and evaluators",
        required=False,
        help_text="Evaluator accounts made this way cannot sign in until an administrator activates them.",
    )
    check_only = forms.BooleanField(
        label="Check the file only",
        required=False,
        help_text="Say what the import would do, and change nothing.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template writes the form element, with its csrf token
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field("file"),
            Field.checkbox("create_missing"),
            Field.checkbox("check_only"),
            Submit("submit", "Import evaluations"),
        )
        self.helper.label_size = Size.MEDIUM

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError("The file must be smaller than 10 MB: import a larger file with the command")
        if not upload.name.lower().endswith(".csv"):
            raise ValidationError("The selected file must be a CSV")
        return upload
