from django.conf import settings

from feedback.voice.limits import TEXT_LIMITS


def test_the_docs_table_of_feedback_limits_is_the_codes():
    text = (settings.BASE_DIR / "docs" / "feedback.md").read_text()
    table = text.split("checked by tests/feedback/test_voice_docs.py -->\n", 1)[1].split("\n<!-- end", 1)[0]
    assert table == TEXT_LIMITS.markdown(), "regenerate the table with TEXT_LIMITS.markdown()"
