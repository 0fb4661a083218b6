"""How much each free-text field of compliments, responses and advocacy referrals holds, in
characters: the one place the numbers are written (models, forms, imports, docs/feedback.md)."""

from pqa.text_limits import TextLimit, TextLimits

TEXT_LIMITS = TextLimits(
    TextLimit("Compliment", "reference", 60, "The trust's id for it."),
    TextLimit("Compliment", "staff_named", 200, "Staff ids or names, a few at most."),
    TextLimit("Compliment", "themes", 300, "A short `;` list of words."),
    TextLimit("Compliment", "extract", 1_000, "The redacted words worth sharing: a short paragraph."),
    TextLimit("FeedbackResponse", "reference", 60, "The survey's or the trust's id."),
    TextLimit("FeedbackResponse", "age_band", 40, "A band such as 11–15."),
    TextLimit("FeedbackResponse", "comment", 1_000, "What they wrote: a short paragraph, no names."),
    TextLimit("AdvocacyReferral", "reference", 60, "The advocacy service's or the trust's id."),
)
