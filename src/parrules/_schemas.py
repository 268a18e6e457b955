"""The JSON Schemas of the documents parrules writes, shipped with the package."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

SCHEMAS = ("ranking", "scorecard", "uncertainty")
"""The documents that have a JSON Schema: ``parrules score --format json`` (``scorecard``),
``parrules rank --format json`` (``ranking``) and ``parrules uncertainty --format json``
(``uncertainty``)."""


def schema_text(name: str) -> str:
    """The JSON Schema of a document as shipped (JSON text), to save or serve as it is."""
    if name not in SCHEMAS:
        raise ValueError(f"no JSON Schema named {name!r}: one of {', '.join(SCHEMAS)}")
    return (resources.files(__package__) / "schemas" / f"{name}.schema.json").read_text("utf-8")


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of ``scorecard``, ``ranking`` or ``uncertainty`` documents, to validate
    them against (e.g. with ``jsonschema.validate``)."""
    data: dict[str, Any] = json.loads(schema_text(name))
    return data
