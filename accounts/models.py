from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from timezone_field import TimeZoneField


class Role(models.TextChoices):
    PROGRAM_ADMIN = "program_admin", "Program admin"
    AGENCY_LEAD = "agency_lead", "Agency lead"
    AGENCY_REVIEWER = "agency_reviewer", "Agency reviewer"
    COMPANY_LIAISON = "company_liaison", "Company liaison"


AGENCY_ROLES = (Role.AGENCY_LEAD, Role.AGENCY_REVIEWER)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person; their organisation and role are on ``membership``."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    time_zone = TimeZoneField(default="America/New_York", use_pytz=False)
    # Single-key shortcuts ("/" to search): on unless the person turns them off
    # (WCAG 2.1.4: a speech-input user's words must not set them off).
    # A database default too: rows written outside the ORM (bench/seed.py's SQL) get it.
    keyboard_shortcuts = models.BooleanField(default=True, db_default=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    # Cheap role properties: the membership is loaded with the user by
    # accounts.backends.PortalAuthenticationBackend.
    @property
    def role(self) -> str | None:
        membership = getattr(self, "membership", None)
        return membership.role if membership else None

    @property
    def is_program_admin(self) -> bool:
        return self.role == Role.PROGRAM_ADMIN

    @property
    def is_agency_lead(self) -> bool:
        return self.role == Role.AGENCY_LEAD

    @property
    def is_agency_reviewer(self) -> bool:
        return self.role == Role.AGENCY_REVIEWER

    @property
    def is_company_liaison(self) -> bool:
        return self.role == Role.COMPANY_LIAISON

    @property
    def agency_id(self) -> int | None:
        membership = getattr(self, "membership", None)
        return membership.agency_id if membership else None

    @property
    def company_id(self) -> int | None:
        membership = getattr(self, "membership", None)
        return membership.company_id if membership else None

    @property
    def organisation(self):
        membership = getattr(self, "membership", None)
        if membership is None:
            return None
        return membership.agency or membership.company


class Membership(models.Model):
    """A user's one organisation and role.

    Program admins belong to the coordinating office and so to neither an
    agency nor a company; the check constraint keeps the three shapes apart.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=20, choices=Role.choices)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="memberships")
    company = models.ForeignKey(
        "companies.Company", on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="membership_org_matches_role",
                condition=(
                    Q(role=Role.PROGRAM_ADMIN, agency__isnull=True, company__isnull=True)
                    | Q(role__in=[r.value for r in AGENCY_ROLES], agency__isnull=False, company__isnull=True)
                    | Q(role=Role.COMPANY_LIAISON, agency__isnull=True, company__isnull=False)
                ),
            )
        ]
        indexes = [models.Index(fields=["agency", "role"]), models.Index(fields=["company", "role"])]

    def __str__(self) -> str:
        org = self.agency or self.company
        return f"{self.user} — {self.get_role_display()}{f' ({org})' if org else ''}"


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A single-use, expiring invitation to join the portal with a role.

    Only the SHA-256 of the token is stored; the token itself appears once,
    in the e-mail.
    """

    email = models.EmailField()
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invitations_sent")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="invitation_org_matches_role",
                condition=(
                    Q(role=Role.PROGRAM_ADMIN, agency__isnull=True, company__isnull=True)
                    | Q(role__in=[r.value for r in AGENCY_ROLES], agency__isnull=False, company__isnull=True)
                    | Q(role=Role.COMPANY_LIAISON, agency__isnull=True, company__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} as {self.get_role_display()}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
