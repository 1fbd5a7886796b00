"""The deadline table of ../shared/DESIGN.md, as the default rules.

Created after every migrate (and after a test flush) when the table is
empty: the table is data that program admins edit, these are its defaults.
Texts use the placeholders of ``reminders.texts`` only.
"""

RULES = [
    # name, deadline, kind, offset, recipients, subject, body
    ("Window ends in 7 days", "review_window_end", "reminder", -7, ["reviewers", "agency_leads"],
     "{review}: the review window ends in 7 days ({when})", ""),
    ("Window ends in 3 days", "review_window_end", "reminder", -3, ["reviewers", "agency_leads"],
     "{review}: the review window ends in 3 days ({when})", ""),
    ("Window ends tomorrow", "review_window_end", "reminder", -1, ["reviewers", "agency_leads"],
     "{review}: the review window ends tomorrow ({when})",
     "Record your findings and your agency's sign-off, or ask for an extension today."),
    ("Window closed", "review_window_end", "reminder", 0, ["reviewers", "agency_leads"],
     "{review}: the review window closed today ({when})",
     "Your agency's lead records the agency's sign-off."),
    ("Not closed 2 days after the window", "review_window_end", "escalation", 2, ["agency_leads"],
     "Escalation: {review} is still open 2 days after its window ended ({when})",
     "Record your agency's sign-off so that the review can close."),
    ("Not closed 5 days after the window", "review_window_end", "escalation", 5, ["program_admins"],
     "Escalation: {review} is still open 5 days after its window ended ({when})",
     "Close the review with a reason naming the agencies that did not sign off, or approve an extension."),
    ("Assignment unanswered after a day", "assignment_answer", "reminder", -1, ["assignee"],
     "{review}: please accept or decline your assignment (answer due {when})", ""),
    ("Assignment answer overdue", "assignment_answer", "escalation", 0, ["agency_leads"],
     "Escalation: an assignment of {agency} on {review} was not answered by {when}",
     "Ask the reviewer to answer, or assign someone else."),
    ("Information request due in 2 days", "rfi_due", "reminder", -2, ["liaisons"],
     "{review}: the information request “{rfi}” from {agency} is due in 2 days ({when})", ""),
    ("Information request due tomorrow", "rfi_due", "reminder", -1, ["liaisons"],
     "{review}: the information request “{rfi}” from {agency} is due tomorrow ({when})", ""),
    ("Information request overdue", "rfi_due", "escalation", 0, ["liaisons", "agency_leads"],
     "Escalation: the information request “{rfi}” on {review} was due {when} and is unanswered", ""),
    ("Information request 3 days overdue", "rfi_due", "escalation", 3, ["program_admins"],
     "Escalation: the information request “{rfi}” on {review} is 3 days overdue (due {when})", ""),
    ("Submitted review not opened in 3 days", "review_submitted", "escalation", 3, ["program_admins"],
     "Escalation: {review} was submitted {when} and is not open yet", "Open the review, or tell the company why it waits."),
    ("No accepted reviewer 2 days into the window", "review_opened", "escalation", 2, ["agency_leads"],
     "Escalation: {agency} has no accepted reviewer on {review} (window opened {when})", "Assign a reviewer of your agency."),
]


def ensure_default_rules(**kwargs) -> int:
    from .models import ReminderRule

    if ReminderRule.objects.exists():
        return 0
    ReminderRule.objects.bulk_create(
        ReminderRule(name=name, deadline=deadline, kind=kind, offset=offset, unit="calendar", recipients=recipients, subject=subject, body=body)
        for name, deadline, kind, offset, recipients, subject, body in RULES
    )
    return len(RULES)
