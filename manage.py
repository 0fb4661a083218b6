#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqa.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A configuration mistake (e.g. no DJANGO_SECRET_KEY with debug off) gets one clear
        # line, not a traceback.
        sys.exit(f"PQA cannot start: {error}")


if __name__ == "__main__":
    main()
