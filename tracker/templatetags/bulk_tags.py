from django import template

from tracker.bulk_forms import BulkEditForm
from tracker.bulk_views import BULK_PERMISSION

register = template.Library()


@register.simple_tag(takes_context=True)
def bulk_edit_form(context):
    """The board's bulk-edit form for those who may change pledges, else None.

    The topics and the people to choose from are read with the filter
    form's choices: the form adds no query to the board.
    """
    request = context["request"]
    if not request.user.has_perm(BULK_PERMISSION):
        return None
    filterset = context.get("filterset")
    topics = filterset.filters["topic"].extra["choices"] if filterset is not None else None
    people = getattr(filterset, "people_choices", None)
    return BulkEditForm(
        request=request, topic_choices=topics, people_choices=people, initial={"filters": request.GET.urlencode()}
    )
