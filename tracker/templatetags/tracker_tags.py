from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def person(user, missing="someone since removed"):
    """A user's full name, else their username; `missing` when there is no user (deleted or never known)."""
    if user is None or not getattr(user, "pk", None):
        return missing
    return user.get_full_name() or user.get_username()


# Tags rather than included templates: the board writes these once per row
# (160 a page), and an include each cost more than the row's own data (bench/).


@register.simple_tag
def status_badge(status, label):
    """A pledge's status as a badge: the text, and a class for its colour."""
    return format_html('<span class="badge status-{}">{}</span>', status, label)


@register.simple_tag
def progress_bar(value, large=False):
    """Completion in per cent, as a `<progress>` bar with the number written beside it."""
    return format_html(
        '<span class="progress{}"><progress max="100" value="{}" aria-label="Completion">{}%</progress> '
        "<span>{}%</span></span>",
        " progress-large" if large else "",
        value,
        value,
        value,
    )
