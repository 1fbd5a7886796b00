"""The benchmark's URLconf: the portal's own, plus the floor page
(``bench/floor.py``). Only ``bench.settings`` names it: the floor is never
a product URL."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from portal.urls import handler404, handler500, urlpatterns as portal_urlpatterns  # noqa: F401

FLOOR_PATH = "__bench__/floor/"


@login_required
def floor(request):
    """The base layout (banner, header, bell, menus) for the signed-in user,
    through every middleware, with an empty content block."""
    return render(request, "bench/floor.html")


urlpatterns = [path(FLOOR_PATH, floor, name="bench_floor"), *portal_urlpatterns]
