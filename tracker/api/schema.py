"""OpenAPI generation: drf-spectacular's, plus the error responses every endpoint can give.

Documented errors matter to clients and to the schemathesis test, which
fails on any status code the schema does not list.
"""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

from .serializers import MAX_RELATED_IDS

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}

# {"title": ["This field may not be blank."], "non_field_errors": [...]}; a
# body that cannot be parsed at all gives {"detail": "..."} instead.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Messages keyed by the name of the field or query parameter they are about.",
    "additionalProperties": {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}],
    },
}


class AutoSchema(openapi.AutoSchema):
    def get_filter_backends(self):
        # drf-spectacular documents filters on lists only; the board's summary
        # is one object computed from a filtered list, and takes its filters.
        if getattr(self.view, "summarises_filtered_list", False) and self.method.upper() == "GET":
            return getattr(self.view, "filter_backends", [])
        return super().get_filter_backends()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, schema, description in self._error_responses():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=schema, description=description), code, direction=direction
                )
        return responses

    def _error_responses(self):
        method = self.method.upper()
        errors = []
        is_write = method in {"POST", "PUT", "PATCH"}
        has_query = method == "GET" and (self._is_list_view() or bool(self.get_filter_backends()))
        if is_write or has_query:
            errors.append(("400", VALIDATION_ERROR_SCHEMA, "Invalid input, with a message per field or parameter."))
        if any(not isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            errors.append(("401", ERROR_SCHEMA, "No credentials, or a token that is not valid."))
            errors.append(("403", ERROR_SCHEMA, "The user lacks the permission this needs."))
        if "{" in self.path:
            errors.append(("404", ERROR_SCHEMA, "No such record."))
        elif method == "GET" and self._is_list_view() and self._get_paginator():
            errors.append(("404", ERROR_SCHEMA, "No such page."))
        if is_write:
            errors.append(
                ("415", ERROR_SCHEMA, "The body is not JSON, form data or multipart, or cannot be read as such.")
            )
        if self.view.get_throttles():
            errors.append(("429", ERROR_SCHEMA, "Too many requests; the Retry-After header says when to retry."))
        return errors


class NestedPrimaryKeyFieldExtension(OpenApiSerializerFieldExtension):
    """An id in requests, a reference object ({id, name} or {id, username}) in responses."""

    target_class = "tracker.api.serializers.NestedPrimaryKeyField"

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        field = self.target
        model = field.queryset.model if field.queryset is not None else _read_only_model(field)
        component = ResolvedComponent(
            name=f"{model.__name__}Ref",
            type=ResolvedComponent.SCHEMA,
            object=f"{model._meta.label}Ref",
            schema={
                "type": "object",
                "properties": {
                    "id": {"type": "integer", "readOnly": True},
                    field.label_field: {"type": "string", "readOnly": True},
                },
                "required": ["id", field.label_field],
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


def _read_only_model(field):
    """The related model of a read-only field, which has no queryset to tell it."""
    parent = field.parent.child if hasattr(field.parent, "child") else field.parent
    return parent.Meta.model._meta.get_field(field.source).related_model


class BoundedManyRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """A list of related rows; requests take at most MAX_RELATED_IDS ids."""

    target_class = "tracker.api.serializers.BoundedManyRelatedField"

    def map_serializer_field(self, auto_schema, direction):
        schema = build_array_type(auto_schema._map_serializer_field(self.target.child_relation, direction))
        if direction == "request":
            schema["maxItems"] = MAX_RELATED_IDS
        return schema
