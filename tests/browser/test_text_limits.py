"""In Chromium: each box shows its limit as a GOV.UK character count; text over the limit is
refused by the autosave with a message, and stays in its box and in the tab's copy, uncut."""

import json

import pytest
from playwright.sync_api import Page, expect

from evaluations.limits import TEXT_LIMITS
from tests.browser import test_evaluator_journey as journey

# The journey's evaluator, evaluation and window, and its way of signing in.
evaluation = journey.evaluation
browser_context_args = journey.browser_context_args
sign_in = journey.sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_box_counts_its_characters_and_over_the_limit_nothing_is_lost(
    page: Page,
    live_server,
    evaluation,
    artifacts,
    axe_check,
    csp_violations,
):
    limit = TEXT_LIMITS("Evaluation", "strengths")
    sign_in(page, live_server.url, f"/evaluations/{evaluation.pk}/form/")
    strengths = page.locator("#id_strengths")
    status = page.locator("#group-id_strengths .govuk-character-count__status")
    expect(status).to_have_text(f"You have {limit:,} characters remaining")

    page.locator("#id_strengths").fill("Warm relationship with the child.")
    expect(status).to_have_text(f"You have {limit - 33:,} characters remaining")
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at", timeout=10_000)

    too_long = "Pasted twice. " * 300  # 4,200 characters
    strengths.fill(too_long)
    expect(status).to_have_text(f"You have {len(too_long) - limit:,} characters too many")
    expect(page.locator("#autosave-status")).to_contain_text(
        f"Some answers could not be saved yet. Strengths must be {limit:,} characters or less", timeout=10_000
    )
    page.locator("#group-id_strengths").screenshot(path=str(artifacts / "text-limits-over.png"))
    expect(strengths).to_have_value(too_long)  # never cut
    kept = json.loads(page.evaluate(f"sessionStorage.getItem('pqa-draft-{evaluation.pk}')"))
    assert ["strengths", too_long] in kept["entries"]
    evaluation.refresh_from_db()
    assert evaluation.strengths == "Warm relationship with the child."

    # Reloaded, the tab's copy brings the long text back, still refused, still whole.
    page.reload()
    expect(strengths).to_have_value(too_long)
    expect(page.locator("#autosave-status")).to_contain_text("characters or less", timeout=10_000)

    strengths.fill(too_long[:limit])
    expect(status).to_have_text("You have 0 characters remaining")
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at", timeout=10_000)
    evaluation.refresh_from_db()
    assert evaluation.strengths == too_long[:limit]
    assert axe_check(page) == []
    assert csp_violations == []
