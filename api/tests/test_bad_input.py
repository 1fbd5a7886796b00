"""Bad input: exact error bodies, and nothing half-written."""

from __future__ import annotations

import json

import pytest

from companies.models import AIModel
from reviews.models import Review, ReviewTransition

pytestmark = pytest.mark.django_db


def state():
    return sorted(Review.objects.values_list("id", "status")), ReviewTransition.objects.count(), AIModel.objects.count()


@pytest.fixture
def liaison(demo, api):
    return api(demo["liaison_northwind"])


def test_malformed_json_is_400(demo, liaison):
    before = state()
    response = liaison.generic("POST", "/api/v1/reviews/", b'{"model": 1,', content_type="application/json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == (None, "parse_error")
    assert error["message"].startswith("The body is not valid JSON:")
    assert state() == before


def test_wrong_types_are_400_per_field(demo, liaison):
    before = state()
    response = liaison.post("/api/v1/reviews/", {"model": "Atlas", "agencies": "NSA", "summary": ["x"]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": [
        {"field": "model", "code": "incorrect_type", "message": "Incorrect type. Expected pk value, received str."},
        {"field": "agencies", "code": "not_a_list", "message": 'Expected a list of items but got type "str".'},
        {"field": "summary", "code": "invalid", "message": "Not a valid string."},
    ]}
    assert state() == before


def test_unknown_fields_are_400(demo, liaison):
    before = state()
    body = {"model": demo["atlas_mini"].model_id, "agencies": [demo["nsa"].pk], "status": "in_review", "sumary": "typo"}
    response = liaison.post("/api/v1/reviews/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": [
        {"field": "status", "code": "unknown_field", "message": "Unknown field."},
        {"field": "sumary", "code": "unknown_field", "message": "Unknown field."},
    ]}
    assert state() == before


def test_missing_fields_are_400(demo, liaison):
    response = liaison.post("/api/v1/reviews/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": [
        {"field": "model", "code": "required", "message": "This field is required."},
        {"field": "agencies", "code": "required", "message": "This field is required."},
    ]}


def test_oversized_json_body_is_400_naming_the_limit(demo, liaison, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = state()
    body = json.dumps({"model": demo["atlas_mini"].model_id, "agencies": [demo["nsa"].pk], "summary": "x" * 2000})
    response = liaison.generic("POST", "/api/v1/reviews/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"errors": [{"field": None, "code": "too_large", "message": (
        "The request body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE (1000 bytes); send files as multipart uploads."
    )}]}
    assert state() == before


def test_service_validation_error_becomes_a_field_error(demo, liaison):
    """The rule (a reason is required to withdraw) lives in the service; the API only reports it."""
    before = state()
    response = liaison.post(f"/api/v1/reviews/{demo['atlas'].pk}/withdraw/", {"reason": "  "}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": [
        {"field": "reason", "code": "invalid", "message": "Say why the review is withdrawn; the agencies will see it."}
    ]}
    assert state() == before


def test_invalid_state_transition_is_400_on_status(demo, liaison):
    before = state()
    response = liaison.post(f"/api/v1/reviews/{demo['atlas'].pk}/submit/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": [
        {"field": "status", "code": "invalid_transition", "message": "A review that is under review cannot be submitted."}
    ]}
    assert state() == before


def test_rfi_answered_twice_is_400_on_status(demo, api):
    rfi = demo["atlas"].rfis.get()
    client = api(demo["liaison_northwind"])
    assert client.post(f"/api/v1/rfis/{rfi.pk}/answer/", {"body": "Logs attached."}, format="json").status_code == 200
    response = client.post(f"/api/v1/rfis/{rfi.pk}/answer/", {"body": "Again"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "status", "code": "invalid_transition", "message": "This request is answered; reopen it to answer again."}
    ]
    assert rfi.messages.filter(kind="answer").count() == 1


def test_draft_create_submit_and_withdraw_through_the_api(demo, liaison):
    response = liaison.post(
        "/api/v1/reviews/", {"model": demo["atlas_mini"].model_id, "agencies": [demo["dod"].pk], "summary": "CI run"}, format="json"
    )
    assert response.status_code == 201, response.content
    review = response.json()
    assert (review["status"], review["agencies"], review["summary"]) == ("draft", ["DOD"], "CI run")
    submitted = liaison.post(f"/api/v1/reviews/{review['id']}/submit/", {"comment": "ready"}, format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    withdrawn = liaison.post(f"/api/v1/reviews/{review['id']}/withdraw/", {"reason": "Release cancelled"}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert list(ReviewTransition.objects.filter(review_id=review["id"]).values_list("name", flat=True)) == ["create", "submit", "withdraw"]


def test_method_not_allowed_is_405_with_the_error_body(demo, liaison):
    response = liaison.delete(f"/api/v1/reviews/{demo['atlas'].pk}/")
    assert response.status_code == 405
    assert response.json() == {"errors": [{"field": None, "code": "method_not_allowed", "message": 'Method "DELETE" not allowed.'}]}


def test_unknown_api_url_is_404_with_the_error_body(demo, liaison):
    for url in ("/api/v1/nothing-here/", f"/api/v1/reviews/{'9' * 30}/"):
        response = liaison.get(url)
        assert response.status_code == 404
        assert response.json() == {"errors": [{"field": None, "code": "not_found", "message": "Not found."}]}


def test_invalid_filter_value_is_400(demo, liaison):
    response = liaison.get("/api/v1/reviews/", {"status": "bogus"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "status"
