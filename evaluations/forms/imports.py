"""The Practice Hub's form for importing practice evaluations from a CSV file or an Excel workbook."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.core.exceptions import ValidationError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a larger history comes in by the import_evaluations command
FILE_TYPES = (".csv", ".txt", ".xlsx")


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Upload a CSV file or an Excel workbook",
        help_text="A CSV file or an .xlsx workbook (its first sheet), with a header row and one evaluation a row. "
        "Up to 10 MB.",
        error_messages={"required": "Choose a CSV file or an Excel workbook", "empty": "The file is empty"},
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
        self.fields["file"].widget.attrs["accept"] = ",".join(FILE_TYPES)
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
        if not upload.name.lower().endswith(FILE_TYPES):
            raise ValidationError("The selected file must be a CSV file or an Excel workbook (.xlsx)")
        return upload
