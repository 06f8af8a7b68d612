"""Request body parsers for the API."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request the API reads nests deeper than three levels; a body nested
# thousands deep would exhaust Python's recursion limit, in the decoder or in
# the serializers that walk it, and end as a 500.
MAX_JSON_DEPTH = 32
JSON_TOO_DEEP_MESSAGE = "JSON nested too deeply."


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than MAX_JSON_DEPTH with a 400.

    A subclass of JSONParser, so that DRF still reads the body through
    request.body and DATA_UPLOAD_MAX_MEMORY_SIZE applies to it.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(JSON_TOO_DEEP_MESSAGE) from None
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(JSON_TOO_DEEP_MESSAGE)
        return data


def _depth_exceeds(data, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` deep; iterative, so it cannot recurse itself."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
