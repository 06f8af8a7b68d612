from django import template

register = template.Library()


@register.filter
def person(user, missing="someone since removed"):
    """A user's full name, else their username; `missing` when there is no user (deleted or never known)."""
    if user is None or not getattr(user, "pk", None):
        return missing
    return user.get_full_name() or user.get_username()
