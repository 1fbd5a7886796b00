from django import forms
from django.contrib.auth import password_validation

from portal.forms import ModelChoiceField, SingleLineField

from agencies.models import Agency
from companies.models import Company

from .models import Role
from .permissions import invitable_roles


def _allauth_login_form():
    from allauth.account.forms import LoginForm

    return LoginForm


class InvitationForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    full_name = SingleLineField(label="Full name", max_length=150, required=False)
    role = forms.ChoiceField(label="Role")
    agency = ModelChoiceField(queryset=Agency.objects.none(), required=False)
    company = ModelChoiceField(queryset=Company.objects.none(), required=False)

    def __init__(self, *args, inviter, **kwargs):
        super().__init__(*args, **kwargs)
        self.inviter = inviter
        roles = invitable_roles(inviter=inviter)
        self.fields["role"].choices = roles if len(roles) == 1 else [("", "Choose a role"), *roles]
        if inviter.is_program_admin:
            self.fields["agency"].queryset = Agency.objects.all()
            self.fields["company"].queryset = Company.objects.all()
        else:
            # Leads and liaisons invite into their own organisation only.
            del self.fields["agency"]
            del self.fields["company"]

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if self.inviter.is_program_admin and role:
            if role in (Role.AGENCY_LEAD, Role.AGENCY_REVIEWER) and not data.get("agency"):
                self.add_error("agency", "Choose the agency this person belongs to.")
            if role == Role.COMPANY_LIAISON and not data.get("company"):
                self.add_error("company", "Choose the company this person belongs to.")
        return data

    def organisation_ids(self) -> tuple[int | None, int | None]:
        if self.inviter.is_program_admin:
            agency, company = self.cleaned_data.get("agency"), self.cleaned_data.get("company")
            return (agency.pk if agency else None, company.pk if company else None)
        return (self.inviter.agency_id, self.inviter.company_id)


class InvitationAcceptForm(forms.Form):
    full_name = SingleLineField(label="Full name", max_length=150)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label="Password (again)", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            from .models import User

            try:
                password_validation.validate_password(p1, User(email=self.email, full_name=data.get("full_name", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class PortalLoginForm(_allauth_login_form()):
    """allauth's login form, saying where people of an organisation with its own IdP sign in.

    Accounts bound to an IdP have no usable password (sso.services.sso_bind), so
    their password sign-in fails; the hint is given by the e-mail's *domain*
    (which the sign-in page routes by anyway), never by whether an account exists.
    """

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            from .hooks import identity_provider_for_email

            idp = identity_provider_for_email(str(self.data.get("login", "")))
            if idp is not None:
                raise forms.ValidationError(
                    f"People of {idp.organisation} sign in through {idp.name}, not with a password here: "
                    "use “Sign in through your agency or company”."
                ) from None
            raise


def time_zone_choices() -> list[tuple[str, str]]:
    """Every zone zoneinfo knows (IANA names), sorted; the legacy aliases left out."""
    from zoneinfo import available_timezones

    names = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/")))
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Pages, e-mails and reminders show times in this zone, with its abbreviation (EST, CET …).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()
        self.fields["time_zone"].error_messages["invalid_choice"] = (
            "“%(value)s” is not a known time zone: choose one from the list."
        )


class KeyboardShortcutsForm(forms.Form):
    keyboard_shortcuts = forms.BooleanField(
        label="Use single-key shortcuts",
        required=False,
        help_text="Press / on any page to go to the search box. Turn this off if you use speech input "
                  "or a keyboard that types characters by accident.",
    )
