"""The deadline table of ../shared/DESIGN.md, as the default rules.

Created after every migrate (and after a test flush) when the table is
empty: the table is data that program admins edit, these are its defaults.
"""

RULES = [
    # name, deadline, kind, offset, recipients, subject
    ("Window ends in 7 days", "review_window_end", "reminder", -7, ["reviewers", "agency_leads"], "{review}: the review window ends in 7 days ({when})"),
    ("Window ends in 3 days", "review_window_end", "reminder", -3, ["reviewers", "agency_leads"], "{review}: the review window ends in 3 days ({when})"),
    ("Window ends tomorrow", "review_window_end", "reminder", -1, ["reviewers", "agency_leads"], "{review}: the review window ends tomorrow ({when})"),
    ("Window closed", "review_window_end", "reminder", 0, ["reviewers", "agency_leads"], "{review}: the review window closed today ({when})"),
    ("Not closed 2 days after the window", "review_window_end", "escalation", 2, ["agency_leads"], "Escalation: {review} is still open 2 days after its window ended ({when})"),
    ("Not closed 5 days after the window", "review_window_end", "escalation", 5, ["program_admins"], "Escalation: {review} is still open 5 days after its window ended ({when})"),
    ("Assignment unanswered after a day", "assignment_answer", "reminder", -1, ["assignee"], "{review}: please accept or decline your assignment (answer due {when})"),
    ("Assignment answer overdue", "assignment_answer", "escalation", 0, ["agency_leads"], "Escalation: an assignment on {review} was not answered by {when}"),
    ("Information request due in 2 days", "rfi_due", "reminder", -2, ["liaisons"], "{review}: an information request is due in 2 days ({when})"),
    ("Information request due tomorrow", "rfi_due", "reminder", -1, ["liaisons"], "{review}: an information request is due tomorrow ({when})"),
    ("Information request overdue", "rfi_due", "escalation", 0, ["liaisons", "agency_leads"], "Escalation: an information request on {review} was due {when} and is unanswered"),
    ("Information request 3 days overdue", "rfi_due", "escalation", 3, ["program_admins"], "Escalation: an information request on {review} is 3 days overdue (due {when})"),
    ("Submitted review not opened in 3 days", "review_submitted", "escalation", 3, ["program_admins"], "Escalation: {review} was submitted {when} and is not open yet"),
    ("No accepted reviewer 2 days into the window", "review_opened", "escalation", 2, ["agency_leads"], "Escalation: your agency has no accepted reviewer on {review} (window opened {when})"),
]


def ensure_default_rules(**kwargs) -> int:
    from .models import ReminderRule

    if ReminderRule.objects.exists():
        return 0
    ReminderRule.objects.bulk_create(
        ReminderRule(name=name, deadline=deadline, kind=kind, offset=offset, unit="calendar", recipients=recipients, subject=subject)
        for name, deadline, kind, offset, recipients, subject in RULES
    )
    return len(RULES)
