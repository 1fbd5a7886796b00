"""Issue 19's dashboards in chromium: each role's "Needs your action", the
charts and the window bar render, pass axe-core at every checkpoint and never
show another agency's people."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_dashboards_journey_renders_each_roles_inbox_charts_and_window_bar(journey):
    from journeys.dashboards import dashboards_journey

    dashboards_journey(journey)
    assert {
        "dashboard-inbox-reviewer", "review-window-bar-reviewer", "dashboard-inbox-lead", "dashboard-inbox-liaison",
        "dashboard-inbox-admin", "dashboard-charts-admin",
    } <= set(journey.checked)
