from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """?page=N and ?page_size=N (1 to 200, default 50); a page size that is not a number is a 400."""

    page_size = 50
    page_size_query_param = "page_size"
    page_size_query_description = "Results per page, 1 to 200 (default 50); larger values are capped at 200."
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            raise ValidationError({self.page_size_query_param: ["Enter a whole number from 1 to 200."]})
        return min(int(raw), self.max_page_size)
