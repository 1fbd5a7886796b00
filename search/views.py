from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors
from .forms import SearchForm

PER_KIND = 10  # results of each kind on the "everything" page
ONE_KIND = 50  # results when one kind is chosen


@login_required
@require_GET
def search_page(request):
    """One search over everything the user may see; htmx asks for the results
    part only as the user types, and the plain GET form works without it."""
    form = SearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        filters = form.filters()
        results = selectors.search(user=request.user, text=form.cleaned_data["q"], filters=filters,
                                   limit=ONE_KIND if filters.kinds else PER_KIND)
    context = {"form": form, "results": results}
    if request.htmx and request.htmx.target == "search-results":
        return render(request, "search/_results.html", context)
    context["choices"] = selectors.filter_choices(user=request.user)
    return render(request, "search/search.html", context)
