from django.db import transaction

from .models import User


@transaction.atomic
def user_create(*, email: str, password: str, name: str = "") -> User:
    """The first account of an empty install becomes the staff operator (the admin site)."""
    first = not User.objects.exists()
    user = User(email=email, name=name.strip(), is_staff=first, is_superuser=first)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user
