import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Make sure a superuser exists and print how to log in. The password comes from "
        "ADMIN_PASSWORD, or is generated when the account is created or --reset-password is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("ADMIN_USERNAME", "admin"))
        parser.add_argument("--email", default=os.environ.get("ADMIN_EMAIL", "admin@localhost"))
        parser.add_argument("--reset-password", action="store_true", help="Set a new password if the account exists.")

    def handle(self, *args, username, email, reset_password, **options):
        if not username.strip():
            raise CommandError("The admin username is empty; pass --username or set ADMIN_USERNAME.")
        User = get_user_model()
        password = os.environ.get("ADMIN_PASSWORD") or None
        user = User.objects.filter(username=username).first()
        if user is None:
            password = password or secrets.token_urlsafe(12)
            User.objects.create_superuser(username=username, email=email, password=password)
            action = "created"
        elif reset_password or password:
            password = password or secrets.token_urlsafe(12)
            user.set_password(password)
            user.is_staff = user.is_superuser = user.is_active = True
            user.save()
            action = "password reset"
        else:
            self.stdout.write(f"Admin account {username!r} exists; its password is unchanged.")
            return
        self.stdout.write(self.style.SUCCESS(f"Admin account {action}: username {username!r}, password {password!r}"))
