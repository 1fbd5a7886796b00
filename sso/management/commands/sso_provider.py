"""Configures an organisation's identity provider from the command line (automation).

    python manage.py sso_provider --organisation NSA --issuer https://idp.nsa.example \
        --client-id portal --private-key /run/secrets/portal-idp.pem --key-id 2026-01 \
        --email-domain nsa.gov --email-domain cyber.nsa.gov [--login-gov] [--trust-idp-mfa]

Writes the same row (and audit event) as the program admins' page, through
``sso.services.identity_provider_save``; running it again for the same
organisation and issuer updates that provider (e.g. to rotate a key).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create or update an organisation's OIDC identity provider (or Login.gov)."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="agency acronym (NSA) or company slug/name")
        parser.add_argument("--issuer", required=True)
        parser.add_argument("--client-id", required=True)
        secret = parser.add_mutually_exclusive_group(required=True)
        secret.add_argument("--client-secret")
        secret.add_argument("--private-key", help="path to a PEM private key (private_key_jwt)")
        parser.add_argument("--key-id", default="")
        parser.add_argument("--email-domain", action="append", default=[], dest="email_domains")
        parser.add_argument("--name", default="")
        parser.add_argument("--acr-values", default="")
        parser.add_argument("--login-gov", action="store_true")
        parser.add_argument("--trust-idp-mfa", action="store_true")
        parser.add_argument("--disable", action="store_true")
        parser.add_argument("--actor", default="", help="program admin e-mail recorded as the actor (default: the first one)")

    def handle(self, *args, **opts):
        from accounts.models import Role, User
        from agencies.models import Agency
        from companies.models import Company

        from ...models import IdentityProvider
        from ...services import identity_provider_save

        org = opts["organisation"]
        agency = Agency.objects.filter(acronym__iexact=org).first()
        company = None if agency else (Company.objects.filter(slug__iexact=org).first() or Company.objects.filter(name__iexact=org).first())
        if not (agency or company):
            raise CommandError(f"--organisation: no agency or company named {org!r}")
        actors = User.objects.filter(membership__role=Role.PROGRAM_ADMIN, is_active=True).select_related("membership")
        actor = actors.filter(email__iexact=opts["actor"]).first() if opts["actor"] else actors.order_by("pk").first()
        if actor is None:
            raise CommandError("--actor: no active program admin to record as the one who made this change")
        private_key = ""
        if opts["private_key"]:
            try:
                with open(opts["private_key"], encoding="utf-8") as fh:
                    private_key = fh.read()
            except OSError as exc:
                raise CommandError(f"--private-key: cannot read {opts['private_key']} ({exc.strerror})") from None
        existing = IdentityProvider.objects.filter(
            agency=agency, company=company, issuer=opts["issuer"].rstrip("/")
        ).first()
        try:
            idp = identity_provider_save(
                actor=actor,
                idp=existing,
                agency_id=agency.pk if agency else None,
                company_id=company.pk if company else None,
                name=opts["name"] or (existing.name if existing else ("Login.gov" if opts["login_gov"] else f"{agency or company} sign-in")),
                issuer=opts["issuer"],
                client_id=opts["client_id"],
                client_secret=opts["client_secret"] or "",
                private_key=private_key,
                key_id=opts["key_id"],
                email_domains=opts["email_domains"] or (existing.email_domains if existing else []),
                trust_idp_mfa=opts["trust_idp_mfa"],
                login_gov=opts["login_gov"],
                acr_values=opts["acr_values"],
                enabled=not opts["disable"],
            )
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise CommandError(f"--{field.replace('_', '-')}: {' '.join(messages)}") from None
        verb = "Updated" if existing else "Created"
        self.stdout.write(f"{verb} identity provider {idp.name} ({idp.slug}) for {idp.organisation}; redirect URI path /accounts/sso/{idp.slug}/login/callback/")
