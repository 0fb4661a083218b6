"""How much each free-text field of the quarterly report holds, in characters: the one place
the numbers are written. The model (max_length and the database's check), the narrative form
(max_length and the character count), the services' `full_clean()` and the table in
docs/report-workflow.md (checked by tests/pqa/test_report_workflow.py) read them."""

from pqa.text_limits import TextLimit, TextLimits

TEXT_LIMITS = TextLimits(
    TextLimit("QuarterlyReport", "strengths", 6_000, "What went well this quarter: up to a page and a half."),
    TextLimit("QuarterlyReport", "areas_for_development", 6_000, "What needs to get better: up to a page and a half."),
    TextLimit("QuarterlyReport", "actions", 6_000, "What will be done, by whom and when: up to a page and a half."),
    TextLimit(
        "QuarterlyReport",
        "children_and_families",
        6_000,
        "What children and families told us, in the Practice Hub's words: up to a page and a half.",
    ),
)

# The most extracts one report can carry (each chosen from the quarter's shareable ones).
MAX_EXTRACTS = 200
