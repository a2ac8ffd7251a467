"""Source-side contracts: `$jsonSchema` validators on `orders`, `order_items`, `customers` and `products`.

MongoDB refuses (`validationAction: "error"`) any insert or update that breaks them, so a malformed document
from the platform's own writers never lands: the write fails with MongoDB's message and, inside the window
transaction, nothing of the window is written. The schemas ask of each field what the ETL's flatteners ask of
it (`etl/validation.py`), so a document the validator admits is one the loader can read. What needs other
documents (a known product, customer or store, distinct lines, an `order_total` equal to its lines) stays with
the ETL, whose quarantine is also the second line of defence for documents written with
`bypassDocumentValidation` (migrations, repairs, other tools). Extra fields are allowed: the contract fixes
what readers rely on, not everything a writer may add.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pymongo.database import Database
from pymongo.errors import BulkWriteError, WriteError

_DOCUMENT_FAILED_VALIDATION = 121

TEXT = {"bsonType": "string", "minLength": 1}
OPTIONAL_TEXT = {"bsonType": ["string", "null"]}
INTEGER = {"bsonType": ["int", "long"]}
NUMBER = {"bsonType": ["int", "long", "double"]}
PRICE = {"bsonType": ["int", "long", "double"], "minimum": 0, "exclusiveMinimum": True}
QUANTITY = {"bsonType": ["int", "long"], "minimum": 1}
DATE = {"bsonType": "date"}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"bsonType": "object", "required": list(required), "properties": {**required, **(optional or {})}}


ORDER_LINE = _object({"line_number": INTEGER, "product_id": TEXT, "quantity": QUANTITY, "unit_price": PRICE})

SCHEMAS: dict[str, dict[str, Any]] = {
    "orders": _object(
        {
            "_id": TEXT,
            "customer_id": TEXT,
            "store_id": TEXT,
            "ordered_at": DATE,
            "items": {"bsonType": "array", "minItems": 1, "items": ORDER_LINE},
            "order_total": NUMBER,
        },
        {"status": OPTIONAL_TEXT, "currency": OPTIONAL_TEXT},
    ),
    "order_items": _object(
        {
            "_id": TEXT,
            "order_id": TEXT,
            "customer_id": TEXT,
            "store_id": TEXT,
            "ordered_at": DATE,
            "line_number": INTEGER,
            "product_id": TEXT,
            "quantity": QUANTITY,
            "unit_price": PRICE,
        }
    ),
    "customers": _object(
        {
            "_id": TEXT,
            "first_name": TEXT,
            "last_name": TEXT,
            "email": TEXT,
            "created_at": DATE,
            "repeat_propensity": NUMBER,
            "address": _object(
                {"state": {"bsonType": "string", "minLength": 2, "maxLength": 2}},
                {"street": OPTIONAL_TEXT, "city": OPTIONAL_TEXT, "postal_code": OPTIONAL_TEXT},
            ),
        },
        {"phone": OPTIONAL_TEXT},
    ),
    "products": _object(
        {
            "_id": TEXT,
            "sku": TEXT,
            "name": TEXT,
            "category": TEXT,
            "base_price": PRICE,
            "price": PRICE,
            "initial_stock": INTEGER,
            "stock": INTEGER,
            "reorder_point": INTEGER,
            "launched_at": DATE,
            "updated_at": DATE,
        },
        {"subcategory": OPTIONAL_TEXT, "brand": OPTIONAL_TEXT, "price_effective_at": DATE},
    ),
}

VALIDATION = {"validationLevel": "strict", "validationAction": "error"}


def validator_options(collection: str) -> dict[str, Any]:
    """`create` / `collMod` options that put the collection's contract in force; {} for collections without one."""
    if collection not in SCHEMAS:
        return {}
    return {"validator": {"$jsonSchema": SCHEMAS[collection]}, **VALIDATION}


def ensure_validators(db: Database) -> list[str]:
    """Bring every contract in force (again, after a migration relaxed one); returns the collections changed.

    Options are compared first, so an unchanged collection costs one listing and takes no lock.
    """
    current = {info["name"]: info.get("options", {}) for info in db.list_collections(filter={"type": "collection"})}
    changed = []
    for name in SCHEMAS:
        wanted = validator_options(name)
        options = current.get(name)
        if options is not None and any(options.get(key) != value for key, value in wanted.items()):
            db.command("collMod", name, **wanted)
            changed.append(name)
    return changed


class DocumentRefused(ValueError):
    """MongoDB's validator refused a document: the write (and its transaction) did not happen."""


@contextmanager
def refusals_explained(collection: str) -> Iterator[None]:
    """Re-raise a validation failure as `DocumentRefused` naming the collection, the document and the rule."""
    try:
        yield
    except BulkWriteError as error:
        refused = [e for e in error.details.get("writeErrors", []) if e.get("code") == _DOCUMENT_FAILED_VALIDATION]
        if not refused:
            raise
        raise DocumentRefused(refusal_message(collection, refused[0])) from error
    except WriteError as error:
        if error.code != _DOCUMENT_FAILED_VALIDATION:
            raise
        raise DocumentRefused(refusal_message(collection, error.details or {})) from error


def refusal_message(collection: str, write_error: Mapping[str, Any]) -> str:
    """MongoDB's message and the rules the document broke, e.g. `items.0.quantity: minimum (considered 0)`."""
    info = write_error.get("errInfo", {})
    rules = "; ".join(_broken_rules(info.get("details", {}), [])) or "see errInfo"
    document = info.get("failingDocumentId", "?")
    return (
        f"{collection}: document {document!r} refused by the collection's validator: "
        f"{write_error.get('errmsg', 'Document failed validation')} ({rules})"
    )


def _broken_rules(node: Any, path: list[str]) -> Iterator[str]:
    """Walk MongoDB's `errInfo.details` tree down to the rules that failed, keeping the field path."""
    if isinstance(node, list):
        for child in node:
            yield from _broken_rules(child, path)
        return
    if not isinstance(node, Mapping):
        return
    here = path
    if "propertyName" in node:
        here = [*path, str(node["propertyName"])]
    if "itemIndex" in node:
        here = [*here, str(node["itemIndex"])]
    children = [node[key] for key in ("schemaRulesNotSatisfied", "propertiesNotSatisfied", "details") if key in node]
    if children:
        for child in children:
            yield from _broken_rules(child, here)
        return
    rule = node.get("operatorName", "rule")
    missing = node.get("missingProperties")
    detail = f"missing {', '.join(missing)}" if missing else f"considered {node.get('consideredValue', '?')!r}"
    yield f"{'.'.join(here) or 'document'}: {rule} ({detail})"
