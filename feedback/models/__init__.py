"""Feedback's models: one module per part (compliments and the voice of children and families
in voice.py; complaints in their own module)."""

from feedback.models.voice import *  # noqa: F403
