"""Forms of PQA's own pages (the rest live with their apps)."""

from django.contrib.auth.forms import AuthenticationForm

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
