"""How much each free-text field of practice evaluations holds, in characters: the one place
the numbers are written. Models (max_length and the database's check), forms (max_length and
the character count), the services and the import (`full_clean()`), and the table in
docs/practice-evaluations.md (checked by tests/evaluations/test_text_limits.py) read them.

Each fits its purpose with room to spare: about 4,000 characters is a full page of A4, more
than a pillar's conversation needs written down; a quote is a sentence or two. A new free-text
field gets its line here, and its model's constraint follows (`TEXT_LIMITS.constraint`).
"""

from pqa.text_limits import TextLimit, TextLimits

TEXT_LIMITS = TextLimits(
    TextLimit("Cycle", "title", 120, "A theme or name, one line."),
    TextLimit("Evaluation", "practitioner", 120, "A staff id or name."),
    TextLimit("Evaluation", "strengths", 4_000, "What is working well: a few paragraphs, up to a page."),
    TextLimit("Evaluation", "areas_for_development", 4_000, "What would make the practice better: up to a page."),
    TextLimit(
        "Evaluation",
        "safeguarding_description",
        4_000,
        "What was found and what has been done so far: up to a page; the detail is on the child's file.",
    ),
    TextLimit("Evaluation", "child_age_band", 40, "A band such as 11–15."),
    TextLimit("Evaluation", "child_gender", 40, "A word or two."),
    TextLimit("Evaluation", "child_ethnicity", 80, "A census category or the child's own words."),
    TextLimit("PillarGrade", "tell_me", 4_000, "The practitioner's account of one pillar: up to a page."),
    TextLimit("PillarGrade", "show_me", 4_000, "The evidence seen in the record for one pillar: up to a page."),
    TextLimit("EvaluationFeedback", "not_spoken_reason", 300, "Why someone was not asked: a sentence."),
    TextLimit("EvaluationFeedback", "quote", 600, "A short quote in their words: a sentence or two."),
    TextLimit("Moderation", "rationale", 2_000, "Why the moderator agreed, raised or lowered: a paragraph or two."),
    TextLimit("Moderation", "round_reason", 500, "Why the Practice Hub changed a confirmed moderation: a sentence."),
    TextLimit("ModerationPanel", "notes", 2_000, "What the panel looked at and agreed: a paragraph or two."),
    TextLimit("ModerationRound", "rationale", 2_000, "An earlier round's rationale, as it was."),
    TextLimit("ModerationRound", "replaced_because", 500, "Why that round was replaced: a sentence."),
    TextLimit("Recommendation", "action", 1_000, "What needs to happen, for the child: a short paragraph."),
    TextLimit("Recommendation", "outcome_note", 1_000, "What was done, or why it was not: a short paragraph."),
    TextLimit("RevisitFinding", "note", 600, "What a revisit saw of one recommendation: a sentence or two."),
)

# A list pasted into the allocation pages (one evaluation or open case a line): about 2,000
# rows (allocation_lists.MAX_ROWS) of 150 characters. A longer list comes as a file.
PASTED_LIST_CHARACTERS = 300_000
