"""Tableau data source files (.tds) that open an extract lying beside them.

The .tds names the extract by a relative path, so the pair can be copied or shared as a folder, and it
declares each column's role: identifiers, names, dates and ranks are dimensions, counts and amounts are
measures, and state columns carry the State/Province geographic role (with the United States as the country)
so a map is one double-click away. It describes the first table of the extract, the order lines; the
extract's other tables sit beside it in the `Extract` schema, ready to be related on the data source page.

Every measure carries its default aggregation, so a sheet built by double-clicking gives the right total at
any level of detail: amounts and units are summed, prices averaged, and distinct counts (orders, customers)
are COUNTD calculations on the line table, the `orders` and `distinct_customers` metrics of
dbt/models/semantic/metrics.yml. No pre-aggregated count is exposed as a measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from tableauhyperapi import SqlType, TypeTag

from shopease_platform.delivery.files import write_text_atomic

_DATATYPES = {
    TypeTag.SMALL_INT: "integer",
    TypeTag.INT: "integer",
    TypeTag.BIG_INT: "integer",
    TypeTag.NUMERIC: "real",
    TypeTag.DOUBLE: "real",
    TypeTag.BOOL: "boolean",
    TypeTag.DATE: "date",
    TypeTag.TIMESTAMP: "datetime",
    TypeTag.TIMESTAMP_TZ: "datetime",
}
# Whole numbers that identify or order things rather than measure them.
_ORDINAL_NUMBERS = ("year", "month", "quarter", "line_number", "customer_order_number", "days_before", "days_after")
# Measures that are not summed by default; every other measure is.
_AGGREGATIONS = {"unit_price": "Avg"}


@dataclass(frozen=True)
class TdsCalculation:
    """A calculated measure: Tableau evaluates `formula` at the sheet's level of detail."""

    name: str
    caption: str
    formula: str
    datatype: str = "integer"


# The metrics that are not sums of a column of the order lines (dbt/models/semantic/metrics.yml).
LINE_CALCULATIONS = (
    TdsCalculation("orders", "Orders", "COUNTD([order_id])"),
    TdsCalculation("distinct_customers", "Customers", "COUNTD([customer_id])"),
    TdsCalculation("average_order_value", "Average order value", "SUM([line_revenue]) / COUNTD([order_id])", "real"),
)


@dataclass(frozen=True)
class TdsColumn:
    name: str
    hyper_type: SqlType
    semantic_role: str | None = None


def _role(column: TdsColumn) -> tuple[str, str, str]:
    """(datatype, role, type) as Tableau spells them."""
    datatype = _DATATYPES.get(column.hyper_type.tag, "string")
    is_key = column.name.endswith("_id") or "rank" in column.name or column.name in _ORDINAL_NUMBERS
    if datatype in ("integer", "real") and not is_key:
        return datatype, "measure", "quantitative"
    if datatype in ("integer", "date", "datetime"):
        return datatype, "dimension", "ordinal"
    return datatype, "dimension", "nominal"


def render_tds(
    extract_file: str,
    caption: str,
    table: str,
    columns: Sequence[TdsColumn],
    calculations: Sequence[TdsCalculation] = (),
) -> str:
    connection_name = f"hyper.{Path(extract_file).stem}"
    source = ET.Element(
        "datasource", {"formatted-name": caption, "inline": "true", "source-platform": "linux", "version": "18.1"}
    )
    federated = ET.SubElement(source, "connection", {"class": "federated"})
    named = ET.SubElement(ET.SubElement(federated, "named-connections"), "named-connection",
                          {"caption": Path(extract_file).stem, "name": connection_name})  # fmt: skip
    ET.SubElement(named, "connection", {
        "class": "hyper", "dbname": extract_file, "default-settings": "yes", "schema": "Extract", "sslmode": "",
        "tablename": table, "username": "tableau_internal_user",
    })  # fmt: skip
    ET.SubElement(federated, "relation", {
        "connection": connection_name, "name": table, "table": f"[Extract].[{table}]", "type": "table",
    })  # fmt: skip
    ET.SubElement(source, "aliases", {"enabled": "yes"})
    for column in columns:
        datatype, role, kind = _role(column)
        attributes = {
            "caption": column.name.replace("_", " ").title(),
            "datatype": datatype,
            "name": f"[{column.name}]",
            "role": role,
            "type": kind,
        }
        if role == "measure":
            attributes["aggregation"] = _AGGREGATIONS.get(column.name, "Sum")
        if column.semantic_role:
            attributes["semantic-role"] = column.semantic_role
        ET.SubElement(source, "column", attributes)
    for calculation in calculations:
        element = ET.SubElement(source, "column", {
            "caption": calculation.caption, "datatype": calculation.datatype, "name": f"[{calculation.name}]",
            "role": "measure", "type": "quantitative",
        })  # fmt: skip
        ET.SubElement(element, "calculation", {"class": "tableau", "formula": calculation.formula})
    ET.SubElement(source, "layout", {"dim-ordering": "alphabetic", "measure-ordering": "alphabetic"})
    if any(column.semantic_role for column in columns):
        values = ET.SubElement(source, "semantic-values")
        ET.SubElement(values, "semantic-value", {"key": "[Country].[Name]", "value": '"United States"'})
    ET.indent(source, space="  ")
    return "<?xml version='1.0' encoding='utf-8' ?>\n" + ET.tostring(source, encoding="unicode") + "\n"


def write_tds(
    target: Path,
    extract_file: str,
    caption: str,
    table: str,
    columns: Sequence[TdsColumn],
    calculations: Sequence[TdsCalculation] = (),
) -> Path:
    write_text_atomic(target, render_tds(extract_file, caption, table, columns, calculations))
    return target
