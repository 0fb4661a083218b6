#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqa.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Load the settings first: Django would otherwise carry on past a settings error and
        # fail later with an unrelated traceback ("Models aren't loaded yet").
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as error:
        # A configuration mistake (e.g. no DJANGO_SECRET_KEY with debug off) is one clear line.
        sys.exit(f"PQA cannot start: {error}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
