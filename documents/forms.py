from django import forms

from portal.forms import ModelChoiceField, SingleLineField

from .models import DocumentKind, HandlingMarking


class DocumentUploadForm(forms.Form):
    """The document's facts; the files themselves are read from request.FILES, one by one."""

    kind = forms.ChoiceField(choices=DocumentKind.choices, label="Kind of document")
    marking = ModelChoiceField(
        queryset=HandlingMarking.objects.all(),
        empty_label=None,
        label="Handling marking",
        help_text="Its rules apply to every version: view-only, or PDF downloads watermarked with the reader's name.",
    )
    title = SingleLineField(
        label="Title", max_length=200, required=False, help_text="Leave empty to use each file's name. Each file becomes its own document."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # From the select's own list (read once: portal.forms.ListedChoiceIterator).
        default = next((m for m in self.fields["marking"].queryset if m.is_default), None)
        if default:
            self.fields["marking"].initial = default.pk


class DocumentEditForm(forms.Form):
    """A document's title, kind and marking as its company's liaison corrects them."""

    title = SingleLineField(label="Title", max_length=200)
    kind = forms.ChoiceField(choices=DocumentKind.choices, label="Kind of document")
    marking = ModelChoiceField(
        queryset=HandlingMarking.objects.all(),
        empty_label=None,
        label="Handling marking",
        help_text="A new marking applies to the current version and the versions to come; earlier versions keep theirs.",
    )

    @classmethod
    def for_document(cls, document, data=None):
        return cls(data, initial={"title": document.title, "kind": document.kind, "marking": document.marking_id})


class VersionUploadForm(forms.Form):
    """A new version's marking and the confirmation that a differently named file is meant."""

    marking = ModelChoiceField(
        queryset=HandlingMarking.objects.all(),
        empty_label=None,
        required=False,
        label="Handling marking of this version",
        help_text="Preset to the document's current marking. Earlier versions keep the marking they were handed over under.",
    )
    confirm_new_name = forms.BooleanField(
        label="Yes, this file is a new version of this document even though its name differs",
        required=False,
    )
    # The file itself is read from request.FILES (input "files"); this field carries its errors.
    file = forms.Field(label="File", required=False, widget=forms.HiddenInput)
