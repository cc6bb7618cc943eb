"""Checks request (and the fake's own response) bodies against Discord's OpenAPI description.

The description (`spec/discord-openapi.json`, vendored with its MIT licence; OpenAPI 3.1,
so its schemas are JSON Schema 2020-12) is parsed once per process and shared. A body is
checked against the schema of the operation its method and path resolve to, with `$ref`s
resolved inside the document.

One deliberate leniency: `SnowflakeType` is a string in the description, but Discord accepts
snowflakes sent as JSON integers and discord.py sends them that way (`message_reference`,
`allowed_mentions.users`), so integers are accepted too.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import (  # type: ignore[import-untyped]
    ValidationError,
    best_match,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

OPENAPI_ENV = "DISCORD_OPENAPI_PATH"
DOCUMENT_URI = "urn:discord-openapi"
_METHODS = ("get", "put", "post", "patch", "delete")


#: The copy vendored with the tests (MIT, see spec/discord-openapi.LICENSE), so validation
#: runs on every clone.
VENDORED_OPENAPI_PATH = Path(__file__).resolve().parent / "spec" / "discord-openapi.json"


def default_openapi_path() -> Path:
    """`$DISCORD_OPENAPI_PATH`, else the description vendored in `tests/fakediscord/spec/`."""
    configured = os.environ.get(OPENAPI_ENV)
    if configured:
        return Path(configured)
    return VENDORED_OPENAPI_PATH


@dataclass(frozen=True)
class SchemaViolation:
    """A body that does not match its operation's schema."""

    method: str
    path: str
    operation_id: str
    where: str  # "request" or "response"
    message: str
    pointer: str

    def __str__(self) -> str:
        return (f"{self.where} of {self.method} {self.path} ({self.operation_id}) at "
                f"{self.pointer or '/'}: {self.message}")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    operation_id: str
    pointer: str  # JSON pointer of the operation object in the document


class OpenAPIValidator:
    """Resolves operations and validates bodies; build it with `load_validator()`."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self._routes = [_compile(template) for template in document["paths"]]
        self._validators: dict[str, Draft202012Validator] = {}

    def operation_for(self, method: str, path: str) -> Operation | None:
        best: tuple[int, str] | None = None
        for template, pattern, params in self._routes:
            if pattern.fullmatch(path) and (best is None or params < best[0]):
                best = (params, template)
        if best is None:
            return None
        template = best[1]
        operation = self._document["paths"][template].get(method.lower())
        if operation is None:
            return None
        pointer = f"/paths/{_escape(template)}/{method.lower()}"
        return Operation(method.upper(), template, operation.get("operationId", "?"), pointer)

    def validate_request(self, method: str, path: str,
                         body: Any) -> list[SchemaViolation] | None:
        """Violations of the request body (a multipart body's `payload_json` is checked
        against the JSON schema); None when the description has no schema for it."""
        operation = self.operation_for(method, path)
        if operation is None or body is None:
            return None
        content = self._lookup(operation.pointer).get("requestBody", {}).get("content", {})
        kind = "application/json" if "application/json" in content else "multipart/form-data"
        if kind not in content:
            return None
        pointer = f"{operation.pointer}/requestBody/content/{_escape(kind)}/schema"
        return self._check(pointer, body, operation, path, "request")

    def validate_response(self, method: str, path: str, status: int,
                          body: Any) -> list[SchemaViolation]:
        operation = self.operation_for(method, path)
        if operation is None or body is None:
            return []
        responses = self._lookup(operation.pointer).get("responses", {})
        key = str(status) if str(status) in responses else f"{str(status)[0]}XX"
        response = responses.get(key)
        if response is None or "$ref" in response:
            return []
        if "application/json" not in response.get("content", {}):
            return []
        pointer = (f"{operation.pointer}/responses/{key}/content/"
                   f"{_escape('application/json')}/schema")
        return self._check(pointer, body, operation, path, "response")

    def _check(self, pointer: str, body: Any, operation: Operation, path: str,
               where: str) -> list[SchemaViolation]:
        validator = self._validators.get(pointer)
        if validator is None:
            schema = {"$ref": f"{DOCUMENT_URI}#{pointer}"}
            validator = Draft202012Validator(schema, registry=self._registry)
            self._validators[pointer] = validator
        errors = list(validator.iter_errors(body))
        if not errors:
            return []
        error = _deepest(best_match(errors))
        return [SchemaViolation(operation.method, path, operation.operation_id, where,
                                error.message[:300], error.json_path)]

    def _lookup(self, pointer: str) -> dict[str, Any]:
        node: Any = self._document
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node  # type: ignore[no-any-return]


def _deepest(error: ValidationError) -> ValidationError:
    """For oneOf/anyOf failures, the branch error that got furthest into the instance."""
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _compile(template: str) -> tuple[str, re.Pattern[str], int]:
    params = template.count("{")
    regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
    return template, re.compile(regex), params


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> OpenAPIValidator:
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    snowflake = document["components"]["schemas"]["SnowflakeType"]
    document["components"]["schemas"]["SnowflakeType"] = {
        "anyOf": [snowflake, {"type": "integer", "minimum": 0}]
    }
    return OpenAPIValidator(document)


def load_validator(path: Path | None = None) -> tuple[OpenAPIValidator | None, str | None]:
    """The validator for `path` (default: `default_openapi_path()`), or None and the reason."""
    path = path or default_openapi_path()
    try:
        stat = path.stat()
    except OSError as exc:
        return None, f"OpenAPI validation skipped: {path} is not readable ({exc.strerror})"
    try:
        return _load(str(path), stat.st_mtime_ns), None
    except (OSError, ValueError, KeyError) as exc:
        return None, f"OpenAPI validation skipped: {path} could not be loaded ({exc!r})"
