from django.contrib.auth.forms import PasswordResetForm

from .models import User


class EmailPasswordResetForm(PasswordResetForm):
    """Django's reset form, matching our email-only users case-insensitively."""

    def get_users(self, email):
        return (
            user
            for user in User.objects.filter(email__iexact=email, is_active=True)
            if user.has_usable_password()
        )
