"""drf-spectacular additions: the shared error body on every operation, and the token scheme."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string", "nullable": True, "description": "The field at fault; null for the request as a whole."},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
                "required": ["field", "code", "message"],
            },
        }
    },
    "required": ["errors"],
}
ERROR_STATUSES = {
    "400": "Bad input: malformed JSON, wrong types, unknown fields, oversized body, a refused move",
    "401": "No, unknown, revoked or expired token",
    "403": "In scope, but not yours to do (or access terms not yet accepted)",
    "404": "Not found, or out of your scope",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "415": "Unsupported media type",
    "429": "Too many requests for this token",
}


def add_error_responses(result, generator, request, public):
    """Every operation may answer with the shared error body."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                )
    return result


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A personal API token (frp_…) from your profile page."}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.MFASessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
