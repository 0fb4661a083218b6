"""Shared facts about the demo data (loaded by `manage.py load_demo`, debug use only)."""

DEMO_PASSWORD = "demo-pqa-2025!"  # noqa: S105 - demo accounts exist only where load_demo was run  # nosec B105
