"""The floor: a page with the portal's middleware, sign-in and base layout
(header with the search box, bell, banner, menus) and no content. Pages are
reported as a ratio of its p95, measured interleaved in the same run, so a
noisy machine moves both. Mounted only while a bench scenario runs
(``floor_urls``: the portal's URLconf plus ``/bench/floor/``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import include, path


@login_required
def floor_page(request):
    return render(request, "base.html", {})


urlpatterns = [path("bench/floor/", floor_page, name="bench_floor"), path("", include("portal.urls"))]
