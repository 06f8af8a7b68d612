"""The API's exception handler: DRF's, plus Django's refusals of oversized requests as JSON 400s."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    # Django raises these while DRF reads request.data; left to Django they
    # would become its HTML 400 page, which an API client cannot read.
    message = _oversize_message(exc)
    if message:
        # Logged where Django logs them, so that monitoring still sees them.
        logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
        exc = exceptions.ParseError(message)
    return drf_exception_handler(exc, context)


def _oversize_message(exc) -> str | None:
    if isinstance(exc, RequestDataTooBig):
        return f"The request body is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes the API accepts."
    if isinstance(exc, TooManyFieldsSent):
        return f"The request has more than the {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields the API accepts."
    if isinstance(exc, TooManyFilesSent):
        return f"The request has more than the {settings.DATA_UPLOAD_MAX_NUMBER_FILES:,} files the API accepts."
    return None
