from django import forms

from portal.forms import SingleLineField

from .models import DocumentKind, HandlingMarking


class DocumentUploadForm(forms.Form):
    """The document's facts; the files themselves are read from request.FILES, one by one."""

    kind = forms.ChoiceField(choices=DocumentKind.choices, label="Kind of document")
    marking = forms.ModelChoiceField(
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
        default = HandlingMarking.objects.filter(is_default=True).first()
        if default:
            self.fields["marking"].initial = default.pk
