import pytest
from django.urls import reverse
from conftest import DEMO_ROLES

@pytest.mark.parametrize("role", DEMO_ROLES)
def test_smoke(demo, login, role):
    c = login(demo[role])
    r = c.get(reverse("dashboard"))
    assert r.status_code == 200
    inbox = r.context["inbox"]
    print(role, [(s.key, s.count, [(i.title, i.note) for i in s.items]) for s in inbox.sections], inbox.stopped_count)
    if role == "admin":
        for ch in r.context["charts"]:
            print(ch.key, ch.table, ch.totals)
    r = c.get(reverse("review_detail", args=[demo["atlas"].pk]))
    print(r.status_code)
