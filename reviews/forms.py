from django import forms

from portal.forms import ModelChoiceField, ModelMultipleChoiceField, SingleLineField

from accounts.models import Role, User
from agencies.models import Agency
from companies.models import AIModel

from .models import ACTIVE_ASSIGNMENT, Assignment, CertificateKind, CertificateScope, SignOffConclusion


class ReviewCreateForm(forms.Form):
    model = ModelChoiceField(queryset=AIModel.objects.none(), label="Model")
    agencies = ModelMultipleChoiceField(
        queryset=Agency.objects.all(), widget=forms.CheckboxSelectMultiple, label="Participating agencies"
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label="What should the agencies look at?")
    access_terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Access terms (non-disclosure)",
        help_text="Leave empty to use the portal's standard terms.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].queryset = AIModel.objects.visible_to(user).filter(company_id=user.company_id)


class ReviewEditForm(ReviewCreateForm):
    """A draft's editable fields, filled with its current values."""

    def __init__(self, *args, user, review, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "model": review.model_id,
                "agencies": list(review.agencies.values_list("pk", flat=True)),
                "summary": review.summary,
                "access_terms": review.access_terms,
            },
        )
        super().__init__(*args, user=user, **kwargs)


class AssignForm(forms.Form):
    reviewer = ModelChoiceField(queryset=User.objects.none(), label="Reviewer")

    def __init__(self, *args, user, review, **kwargs):
        super().__init__(*args, **kwargs)
        qs = User.objects.filter(is_active=True, membership__role=Role.AGENCY_REVIEWER).select_related("membership__agency")
        if user.is_program_admin:
            qs = qs.filter(membership__agency__in=review.agencies.all())
        else:
            qs = qs.filter(membership__agency_id=user.agency_id)
        # One subquery: excluding across the multi-valued relation directly would
        # match the review and the status on two different assignments.
        active = Assignment.objects.filter(review=review, status__in=ACTIVE_ASSIGNMENT).values("reviewer_id")
        self.fields["reviewer"].queryset = qs.exclude(pk__in=active).order_by("email")
        self.fields["reviewer"].label_from_instance = lambda u: f"{u.get_full_name()} ({u.membership.agency})"


class AssignmentAcceptForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label="Do you have a conflict of interest with this company or model?",
        choices=[("no", "No, I have no conflict of interest"), ("yes", "Yes, I have a conflict")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    coi_declaration = forms.CharField(
        label="Declaration",
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="I have no financial, employment or personal interest in the submitting company or its model.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}), max_length=300)


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}), max_length=300, required=False)


class RevokeForm(forms.Form):
    subject = forms.RegexField(regex=r"^(user|group):\d+$")
    reason = SingleLineField(max_length=300, label="Reason")


class ExtensionRequestForm(forms.Form):
    days = forms.IntegerField(
        label="Extra days",
        min_value=1,
        max_value=60,
        error_messages={"min_value": "An extension adds at least one day; it cannot shorten the window."},
        help_text="Calendar days added to the window's end.",
    )
    reason = forms.CharField(label="Why the agencies need more time", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("decline", "Decline")], label="Decision",
        error_messages={"required": "Choose approve or decline."},
    )
    comment = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)
    without_company = forms.CharField(
        label="Why the decision cannot wait for the company", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
        required=False, help_text="Only when the company has not answered yet.",
    )


class ExtensionAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label="The company", choices=[("consent", "Consents to the extension"), ("object", "Objects to the extension")],
        widget=forms.RadioSelect, error_messages={"required": "Choose whether the company consents or objects."},
    )
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
        help_text="The program office reads it before deciding.",
        error_messages={"required": "Give the company's reason; the program office reads it before deciding."},
    )


class ExtensionPositionForm(forms.Form):
    position = forms.ChoiceField(
        label="Your agency", choices=[("support", "Supports the request"), ("oppose", "Opposes the request")],
        widget=forms.RadioSelect, error_messages={"required": "Choose whether your agency supports or opposes the request."},
    )
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)


class SignOffForm(forms.Form):
    conclusion = forms.ChoiceField(
        label="Your agency's conclusion", choices=SignOffConclusion.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose ready, not ready, no objection or could not complete."},
    )
    summary = forms.CharField(
        label="Summary", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000,
        help_text="The other participating agencies and the company read it; it is part of the closing record.",
        error_messages={"required": "Summarise your agency's conclusion."},
    )
    recommendations = forms.CharField(label="Recommendations", widget=forms.Textarea(attrs={"rows": 2}), max_length=4000, required=False)


class CertificateForm(forms.Form):
    kind = forms.ChoiceField(label="The material was", choices=CertificateKind.choices, widget=forms.RadioSelect)
    method = SingleLineField(label="Method", max_length=300, help_text="For example: NIST SP 800-88 purge; returned by courier.")
    done_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}), help_text="When it was returned or destroyed.")
    signatory_name = SingleLineField(label="Signatory's name", max_length=200)
    signatory_title = SingleLineField(label="Signatory's title", max_length=200)
    scope = forms.ChoiceField(label="Scope", choices=CertificateScope.choices, widget=forms.RadioSelect, initial=CertificateScope.ALL)
    exceptions = forms.CharField(
        label="Copies kept (exceptions)", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False,
        help_text="Required when the scope lists exceptions.",
    )
