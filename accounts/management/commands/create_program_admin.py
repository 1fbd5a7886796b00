"""Creates the first program admin, who then invites everyone else."""

import getpass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Role, User
from accounts.services import membership_set


class Command(BaseCommand):
    help = "Create a program admin account (asks for the password unless --password-from-stdin)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="")
        parser.add_argument("--password-from-stdin", action="store_true")

    def handle(self, *args, email, name, password_from_stdin, **options):
        email = email.strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"{email} already has an account")
        password = input() if password_from_stdin else getpass.getpass("Password: ")
        user = User(email=email, full_name=name)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("password: " + " ".join(exc.messages)) from None
        with transaction.atomic():
            user.set_password(password)
            user.save()
            from allauth.account.models import EmailAddress

            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            membership_set(user=user, role=Role.PROGRAM_ADMIN)
        self.stdout.write(self.style.SUCCESS(f"Program admin {email} created; they set up MFA at first sign-in."))
