"""Builds the demo world of ../shared/DESIGN.md, idempotently.

Everything is created through the same services the portal uses, so the
grants, records and timelines are those a real run would leave. An object
that already exists is left as it is: running the command twice changes
nothing. The demo password is set only in demo mode; elsewhere the demo
accounts get unusable passwords (tests log them in by other means).
"""

from __future__ import annotations

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import membership_set
from agencies.models import Agency
from agencies.services import agency_create
from companies.models import AIModel, Company, Modality
from companies.services import aimodel_create, company_create
from reviews import services as review_services
from readiness.services import checklist_ensure, ensure_default_criteria
from reviews.models import Assignment, Review, ReviewStatus, ReviewTransition
from findings import services as finding_services
from findings.models import FindingCategory, TaxonomyEntry
from findings.taxonomy import load_shipped as load_shipped_taxonomy
from findings.services import ensure_default_categories
from rfis import services as rfi_services

DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105 - documented demo login, demo mode only

AGENCIES = [
    ("NSA", "National Security Agency"),
    ("CISA", "Cybersecurity and Infrastructure Security Agency"),
    ("DOD", "Department of Defense"),
    ("CAISI", "Center for AI Standards and Innovation (NIST)"),
]
COMPANIES = [("Northwind AI", "northwind"), ("Contoso Labs", "contoso")]
# Names are people's names: pages add the organisation where it helps (accounts.people).
USERS = [
    ("admin@portal.example", "Avery Admin", Role.PROGRAM_ADMIN, None, None),
    ("lead.nsa@agency.example", "Lee Lead", Role.AGENCY_LEAD, "NSA", None),
    ("reviewer.nsa@agency.example", "Riley Reviewer", Role.AGENCY_REVIEWER, "NSA", None),
    ("reviewer.cisa@agency.example", "Casey Reviewer", Role.AGENCY_REVIEWER, "CISA", None),
    ("lead.cisa@agency.example", "Cameron Lead", Role.AGENCY_LEAD, "CISA", None),
    ("liaison@northwind.example", "Nora Liaison", Role.COMPANY_LIAISON, None, "northwind"),
    ("liaison@contoso.example", "Cody Liaison", Role.COMPANY_LIAISON, None, "contoso"),
]


class Command(BaseCommand):
    help = "Create the demo agencies, companies, users, models and reviews (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            created = self.seed()
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo data created: {', '.join(created)}."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        if settings.PORTAL_DEMO_MODE:
            self.stdout.write(f"Demo logins use the password {DEMO_PASSWORD!r}.")
        else:
            self.stdout.write("Not in demo mode: the demo accounts have no usable password.")

    def seed(self) -> list[str]:
        created: list[str] = []
        agencies = {}
        for acronym, name in AGENCIES:
            agency = Agency.objects.filter(acronym=acronym).first()
            if agency is None:
                agency = agency_create(acronym=acronym, name=name)
                created.append(acronym)
            agencies[acronym] = agency
        companies = {}
        for name, slug in COMPANIES:
            company = Company.objects.filter(slug=slug).first()
            if company is None:
                company = company_create(name=name, slug=slug)
                created.append(name)
            companies[slug] = company
        users = {}
        for email, full_name, role, agency, company in USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email, full_name=full_name)
                if settings.PORTAL_DEMO_MODE:
                    user.set_password(DEMO_PASSWORD)
                else:
                    user.set_unusable_password()
                user.save()
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
                membership_set(
                    user=user,
                    role=role,
                    agency_id=agencies[agency].pk if agency else None,
                    company_id=companies[company].pk if company else None,
                )
                created.append(email)
            elif settings.PORTAL_DEMO_MODE and not user.has_usable_password():
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            users[email] = user

        admin = users["admin@portal.example"]
        northwind_liaison = users["liaison@northwind.example"]
        contoso_liaison = users["liaison@contoso.example"]

        atlas = self._model(created, northwind_liaison, companies["northwind"], "Atlas-2", "2.0", Modality.AGENTIC,
                            "General-purpose agentic model with strong code and tool use; notable gains on CTF-style tasks.", 45)
        helix = self._model(created, contoso_liaison, companies["contoso"], "Helix-1", "1.0", Modality.CODE,
                            "Code model tuned for secure software engineering and automated patching.", 60)
        atlas_mini = self._model(created, northwind_liaison, companies["northwind"], "Atlas-2 Mini", "2.0", Modality.TEXT,
                                 "Distilled Atlas-2 for on-device use.", 90)

        nsa_staff = (users["lead.nsa@agency.example"], [users["reviewer.nsa@agency.example"]])
        cisa_staff = (users["lead.cisa@agency.example"], [users["reviewer.cisa@agency.example"]])
        if not Review.objects.filter(model=atlas).exists():
            review = self._review_in_progress(
                atlas, northwind_liaison, admin, {agencies["NSA"]: nsa_staff}, days_left=6,
                summary="Assess Atlas-2's ability to find and exploit network vulnerabilities before its public release.",
            )
            created.append(f"review #{review.pk} (Atlas-2)")
        if not Review.objects.filter(model=helix).exists():
            review = self._review_in_progress(
                helix, contoso_liaison, admin, {agencies["CISA"]: cisa_staff}, days_left=18,
                summary="Evaluate Helix-1's automated patching and exploit-writing capability against critical-infrastructure software.",
            )
            created.append(f"review #{review.pk} (Helix-1)")
        atlas_review = Review.objects.filter(model=atlas).first()
        if atlas_review is not None and not atlas_review.rfis.exists():
            rfi = rfi_services.rfi_create(
                review_id=atlas_review.pk, actor=users["reviewer.nsa@agency.example"],
                subject="Tool-use logs for the CTF evaluation",
                question="Please share the raw tool-call logs behind the CTF results in the evaluation report, "
                         "including the failed attempts.",
            )
            created.append(f"RFI #{rfi.pk} (Atlas-2)")
        # The catalogues come with data migrations; a flushed test database may lack them.
        ensure_default_categories()
        ensure_default_criteria()
        if not TaxonomyEntry.objects.exists():
            load_shipped_taxonomy()
        for review in Review.objects.filter(status=ReviewStatus.IN_REVIEW, model__in=[atlas, helix, atlas_mini]):
            if checklist_ensure(review=review):
                created.append(f"readiness checklist of review #{review.pk}")
        if atlas_review is not None and not atlas_review.findings.exists():
            finding = finding_services.finding_create(
                review_id=atlas_review.pk, actor=users["reviewer.nsa@agency.example"],
                title="Autonomous exploitation of a known router CVE",
                category=FindingCategory.objects.get(name="Exploit development"), severity="high",
                description="Given only a CVE identifier, the model wrote a working exploit for an unpatched "
                            "consumer router firmware in the lab range within four attempts.",
                evidence="Lab run 2026-11-20, transcript 14.", taxonomy=["GAI-9"],
            )
            created.append(f"finding #{finding.pk} (Atlas-2, internal)")
        if not Review.objects.filter(model=atlas_mini).exists():
            review = self._review_in_progress(
                atlas_mini, northwind_liaison, admin, {agencies["NSA"]: nsa_staff, agencies["CISA"]: cisa_staff},
                days_left=20, summary="Confirm the distilled model keeps Atlas-2's safeguards.",
            )
            created.append(f"review #{review.pk} (Atlas-2 Mini, shared by NSA and CISA)")
        self._shared_review_material(created, Review.objects.get(model=atlas_mini), users)
        for model, liaison in ((atlas, northwind_liaison), (helix, contoso_liaison)):
            self._documents(created, Review.objects.get(model=model), liaison)
        return created

    def _documents(self, created, review, liaison) -> None:
        """Two or three small documents per review, stored through the documents service."""
        from demo.files import as_file, demo_files
        from documents.models import Document, HandlingMarking
        from documents.services import document_create

        liaison = User.objects.select_related("membership").get(pk=liaison.pk)
        for kind, title, marking, name, content in demo_files(review.model.name):
            if Document.objects.filter(review=review, title=title).exists():
                continue
            document_create(
                review=review, actor=liaison, kind=kind, title=title,
                marking=HandlingMarking.objects.get(name=marking), file=as_file(content, name), original_name=name,
            )
            created.append(f"document {title!r}")

    def _model(self, created, liaison, company, name, version, modality, summary, release_in_days) -> AIModel:
        model = AIModel.objects.filter(company=company, name=name, version=version).first()
        if model is None:
            model = aimodel_create(
                actor=liaison, company=company, name=name, version=version, modality=modality,
                capability_summary=summary, planned_release_date=timezone.localdate() + timedelta(days=release_in_days),
            )
            created.append(name)
        return model

    def _shared_review_material(self, created, review, users) -> None:
        """On the review NSA and CISA share: one question from each agency and
        one finding from each, CISA's shared with the participating agencies,
        so that what one agency may see of the other is visible in the demo."""
        if review.status != ReviewStatus.IN_REVIEW:
            return
        questions = [
            ("reviewer.nsa@agency.example", "Distillation data for the safeguard layer",
             "Which refusal and safety-classifier data from Atlas-2 was used to distil Atlas-2 Mini's safeguards?"),
            ("reviewer.cisa@agency.example", "On-device update channel",
             "How are safeguard updates delivered to on-device copies, and can an operator disable them?"),
        ]
        for email, subject, question in questions:
            asker = users[email]
            if not review.rfis.filter(subject=subject).exists():
                rfi = rfi_services.rfi_create(review_id=review.pk, actor=asker, subject=subject, question=question)
                created.append(f"RFI #{rfi.pk} (Atlas-2 Mini, {asker.organisation})")
        category = FindingCategory.objects.get(name="Safeguard bypass")
        findings = [
            ("reviewer.nsa@agency.example", "Refusals weaker than Atlas-2 on exploit requests", "medium",
             "On the NSA exploit-request set the distilled model complied with 9 of 120 requests that Atlas-2 refused.",
             "NSA lab run 2026-11-24, set E-120.", None, ["AML.T0054", "GAI-9"]),
            ("reviewer.cisa@agency.example", "Safety classifier can be switched off by a config flag", "high",
             "The on-device build reads a config flag that disables the safety classifier without any integrity check.",
             "CISA lab run 2026-11-25, build 2.0.3.", ("lead.cisa@agency.example", "agencies"), ["AML.T0054", "LLM06"]),
        ]
        for email, title, severity, description, evidence, share, taxonomy in findings:
            author = users[email]
            if review.findings.filter(title=title).exists():
                continue
            finding = finding_services.finding_create(
                review_id=review.pk, actor=author, title=title, category=category, severity=severity,
                description=description, evidence=evidence, taxonomy=taxonomy,
            )
            created.append(f"finding #{finding.pk} (Atlas-2 Mini, {author.organisation})")
            if share:
                lead, sharing = share
                finding_services.finding_share(finding_id=finding.pk, actor=users[lead], sharing=sharing)
        # The discussion on CISA's shared finding: NSA's word all agencies on
        # the finding read, and CISA's internal note that NSA never sees.
        comments = [
            ("Safety classifier can be switched off by a config flag", "reviewer.nsa@agency.example", False,
             "NSA reproduced this on build 2.0.3: the same flag also skips the signature check on safeguard updates."),
            ("Safety classifier can be switched off by a config flag", "reviewer.cisa@agency.example", True,
             "Before sharing with Northwind, confirm whether the retail firmware ships with the flag readable."),
        ]
        for title, email, internal, body in comments:
            finding = review.findings.filter(title=title).first()
            if finding is None or finding.comments.filter(body=body).exists():
                continue
            comment = finding_services.finding_comment(finding_id=finding.pk, actor=users[email], body=body, internal=internal)
            created.append(f"comment #{comment.pk} (Atlas-2 Mini, {users[email].organisation}{', internal' if internal else ''})")

    def _review_in_progress(self, model, liaison, admin, staff, *, days_left: int, summary: str) -> Review:
        """A review opened by the program admin whose window ends ``days_left``
        days from now; ``staff`` maps each participating agency to its lead
        and the reviewers that lead assigns (each accepts)."""
        review = review_services.review_create(actor=liaison, model=model, agencies=list(staff), summary=summary)
        review_services.review_submit(review_id=review.pk, actor=liaison)
        review_services.review_open(review_id=review.pk, actor=admin)
        # Place the window so that it ends ``days_left`` days from now, and the
        # timeline with it: drafted and submitted before the window opened, opened
        # when it started (the timeline and the window tell the same story).
        now = timezone.now()
        end = now + timedelta(days=days_left)
        start = min(end - timedelta(days=settings.PORTAL_REVIEW_WINDOW_DAYS), now)  # opened already, whatever the setting
        drafted, submitted = start - timedelta(days=3), start - timedelta(days=1)
        Review.objects.filter(pk=review.pk).update(
            created_at=drafted, submitted_at=submitted, window_start=start, window_end=end
        )
        for name, at in (("create", drafted), ("submit", submitted), ("open", start)):
            ReviewTransition.objects.filter(review=review, name=name).update(at=at)
        for lead, reviewers in staff.values():
            for reviewer in reviewers:
                assignment = review_services.assignment_invite(review=review, reviewer=reviewer, actor=lead)
                review_services.assignment_accept(
                    assignment_id=assignment.pk, actor=reviewer, has_conflict=False,
                    declaration="I have no financial, employment or personal interest in the company or its model.",
                )
                # They asked and recorded things on it: they opened its material, so they accepted its terms.
                review_services.terms_accept(review=review, user=reviewer)
            review_services.terms_accept(review=review, user=lead)
        assert Assignment.objects.filter(review=review).count() == sum(len(r) for _, r in staff.values())
        return Review.objects.get(pk=review.pk)
