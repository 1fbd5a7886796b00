"""``{% window_bar review %}``: the review page's bar of its window — days
elapsed on the clock, days the clock stood, days remaining (or past the end) —
as an SVG with its numbers in a table (reviews/window.py computes them)."""

from django import template

from portal.charts import stack
from reviews.window import review_window_spans

register = template.Library()


@register.inclusion_tag("reviews/_window_bar.html")
def window_bar(review, now=None):
    spans = review_window_spans(review, now=now) if review.status == "in_review" else None
    if spans is None:
        return {"spans": None}
    parts = [
        ("elapsed", "Elapsed", spans.elapsed),
        ("stopped", "Clock stopped", spans.stopped),
        ("remaining", "Remaining", spans.remaining),
        ("overdue", "Past the end", spans.overdue),
    ]
    return {
        "spans": spans,
        "review": review,
        "segments": stack(parts, scale=spans.total),
        "rows": parts,
    }
