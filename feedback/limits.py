"""How much each free-text field of feedback holds, in characters: the one place the numbers
are written. Models (max_length and the database's check), forms (max_length and the
character count), the services and the imports (`full_clean()`) and docs/complaints.md read
them. A new free-text field gets its line here."""

from pqa.text_limits import TextLimit, TextLimits

TEXT_LIMITS = TextLimits(
    # Complaints
    TextLimit("Complaint", "reference", 40, "The trust's id for the complaint."),
    TextLimit("Complaint", "summary", 2_000, "What the complaint is about: a paragraph or two, no names."),
    TextLimit("Complaint", "age_band", 40, "A band such as 11–15."),
    TextLimit("Complaint", "ethnicity", 80, "A census category or the complainant's own words."),
    TextLimit("Complaint", "disability", 80, "Yes, no, or a few words."),
    TextLimit("Complaint", "gender", 40, "A word or two."),
    TextLimit("Complaint", "learning", 4_000, "What the trust learned: up to a page."),
    TextLimit("Complaint", "actions_taken", 4_000, "What was done because of it: up to a page."),
    TextLimit("Complaint", "ombudsman_remedy", 1_000, "What the Ombudsman asked the trust to do: a paragraph."),
    TextLimit("ComplaintStage", "extension_reason", 500, "Why the stage needs longer: a sentence or two."),
)
