"""Pagination shared by every list page."""

from django.core.paginator import Paginator

PAGE_SIZES = (10, 25, 50, 100)


def paginate(request, qs, default: int = 25):
    try:
        size = int(request.GET.get("per_page", default))
    except ValueError:
        size = default
    size = size if size in PAGE_SIZES else default
    paginator = Paginator(qs, size)
    known = getattr(qs, "known_count", None)
    if known is not None:
        paginator.count = known  # already known from the grants: no COUNT over reviews
    page = paginator.get_page(request.GET.get("page"))
    # Evaluate the page once: templates index, test and loop over it, and each
    # of those on a lazy slice would be its own query.
    page.object_list = list(page.object_list)
    # A window of page links (1 … 4 5 [6] 7 8 … 4000): looping over every page
    # number in the template cost 100 ms at 100,000 reviews.
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page
