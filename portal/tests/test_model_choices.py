"""A model select reads its choices once per form (portal.forms.ListedChoiceIterator):
one plain statement whatever the number of passes over them, never a
server-side cursor per pass."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from documents.forms import DocumentUploadForm
from documents.models import HandlingMarking
from findings.forms import FindingForm
from portal.forms import ListedChoiceIterator, ModelChoiceField, ModelMultipleChoiceField

pytestmark = pytest.mark.django_db


def test_upload_form_renders_its_markings_from_one_statement(demo):
    markings = list(HandlingMarking.objects.order_by("ordering", "name"))
    default = next(m for m in markings if m.is_default)
    with CaptureQueriesContext(connection) as ctx:
        form = DocumentUploadForm()
        html = str(form["marking"])
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len(statements) == 1, statements
    assert not any("CURSOR" in sql for sql in statements)
    # Every marking offered, in order, the default one chosen.
    assert [str(m.pk) for m in markings] == [
        part.split('"', 1)[0] for part in html.split('<option value="')[1:]
    ]
    assert f'<option value="{default.pk}" selected>' in html
    assert form.fields["marking"].initial == default.pk


def test_the_portal_forms_use_the_listed_choices():
    from reviews.forms import ReviewCreateForm

    assert isinstance(DocumentUploadForm.base_fields["marking"], ModelChoiceField)
    assert isinstance(FindingForm.base_fields["category"], ModelChoiceField)
    assert isinstance(ReviewCreateForm.base_fields["agencies"], ModelMultipleChoiceField)
    assert ModelMultipleChoiceField.iterator is ModelChoiceField.iterator is ListedChoiceIterator


def test_a_bound_form_still_checks_the_choice_against_the_database(demo):
    marking = HandlingMarking.objects.first()
    form = DocumentUploadForm(data={"kind": "model_card", "marking": str(marking.pk)})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["marking"] == marking
    unknown = DocumentUploadForm(data={"kind": "model_card", "marking": "999999"})
    assert not unknown.is_valid()
    assert "marking" in unknown.errors
