from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from . import selectors, services
from .forms import SearchForm
from .models import SearchRecord


@login_required
@require_GET
def search_page(request):
    """One search over everything the user may see; htmx asks for the results
    part only as the user types, and the plain GET form works without it."""
    if not request.htmx and any(value == "" for value in request.GET.values()):
        # The plain form (no JavaScript) sends every field, empty ones too: the
        # address to share or bookmark keeps the filled ones (as htmx asks).
        kept = request.GET.copy()
        for name in [name for name, value in request.GET.items() if value == ""]:
            kept.pop(name)
        return redirect(f"{request.path}?{kept.urlencode()}" if kept else request.path)
    form = SearchForm(request.GET or None)
    results = pages = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        filters = form.filters()
        limit, offset = form.window()
        results = selectors.search(user=request.user, text=form.cleaned_data["q"], filters=filters, limit=limit, offset=offset)
        pages = form.pages(results)
    in_review = selectors.review_named(user=request.user, pk=form.cleaned_data.get("review")) if results else None
    context = {"form": form, "results": results, "pages": pages, "in_review": in_review}
    if request.htmx and request.htmx.target == "search-results":
        response = render(request, "search/_results.html", context)
    else:
        context["choices"] = selectors.filter_choices(user=request.user)
        response = render(request, "search/search.html", context)
    if results is not None:
        # Drawn, so recorded before it is sent (folded into the audit trail once the reader stops
        # typing): a page that failed to draw records nothing, and a record refused sends nothing.
        services.search_record(user=request.user, results=results, filters=form.chosen(), via=SearchRecord.VIA_PAGE)
    return response
