"""``{% reminder_history review=… [target_type=… target_id=…] %}``: what the portal
sent (or owes) about a review, an RFI or an assignment, as the reader may see it.

A template tag rather than a view's context: the pages that show it (a
review, an RFI, an assignment) belong to apps below ``reminders`` in the
layering, which must not import it; the page's template asks for it here.
"""

from django import template

from portal.scoping import reader_key
from portal.statements import cached_rows
from reminders.selectors import reminder_history as _history

register = template.Library()


@register.inclusion_tag("reminders/history.html", takes_context=True)
def reminder_history(context, *, review, target_type=None, target_id=None, limit=20):
    user = context["user"]
    values = {"review": review.pk, **({"target": int(target_id)} if target_type else {})}

    def build(*, review: int, target: int | None = None):
        return _history(review_id=review, user=user, target_type=target_type, target_id=target)[:limit]

    # Compiled once per reader and kind of page (portal.statements); the ids are its parameters.
    key = ("reminders.reminder_history", target_type, limit, reader_key(user))
    return {"user": user, "reminders": cached_rows(key, build, **values)}
