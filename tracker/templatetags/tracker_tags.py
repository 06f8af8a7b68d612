from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils import formats
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext

register = template.Library()


@register.filter
def person(user, missing=None):
    """A user's full name, else their username; `missing` when there is no user (deleted or never known)."""
    if user is None or not getattr(user, "pk", None):
        return gettext("someone since removed") if missing is None else missing
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
        '<span class="progress{}"><progress max="100" value="{}" aria-label="{}">{}</progress> <span>{}</span></span>',
        " progress-large" if large else "",
        value,
        gettext("Completion"),
        percent(value),
        percent(value),
    )


@register.filter
def history_column_label(opts, name):
    """The heading of a history_list_display column: the field's translated name, else the attribute's."""
    try:
        return capfirst(opts.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


@register.filter
def history_cell(record, name):
    """A history_list_display cell: a choice's label rather than its stored code."""
    display = getattr(record, f"get_{name}_display", None)
    return display() if callable(display) else getattr(record, name, "")


@register.filter
def percent(value, decimals=None):
    """A percentage as the reader's language writes it: "20%" in English, "20 %" in French, "12,5 %"."""
    if value is None or value == "":
        return ""
    number = formats.number_format(value, decimal_pos=None if decimals is None else int(decimals))
    # Translators: a percentage; %(value)s is the number. French puts a no-break space before the sign.
    return pgettext("a percentage", "%(value)s%%") % {"value": number}
