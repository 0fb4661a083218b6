#!/usr/bin/env python
import os
import sys

# Commands that only read the code: they sign, serve and store nothing, so without a secret
# key they get a throwaway one for this process (a migration check needs no production secret).
# Every other command, and every server, still refuses to start without DJANGO_SECRET_KEY.
CODE_ONLY_COMMANDS = frozenset({"makemigrations"})


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqa.settings")
    if len(sys.argv) > 1 and sys.argv[1] in CODE_ONLY_COMMANDS and not os.environ.get("DJANGO_SECRET_KEY"):
        import secrets

        os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
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
