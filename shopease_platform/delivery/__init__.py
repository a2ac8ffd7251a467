"""Delivery: Tableau extracts, the read-only reporting role and the HTML dashboard, all built from the marts."""

from shopease_platform.delivery.dashboard import DashboardResult, write_dashboard
from shopease_platform.delivery.hyper_extracts import (
    EXTRACTS,
    PRODUCT_POPULARITY,
    STATE_POPULARITY,
    ExtractResult,
    ExtractSpec,
    write_extract,
)
from shopease_platform.delivery.reporting_role import REPORTING_ROLE, RoleReport, ensure_reporting_role
from shopease_platform.delivery.resource import DeliveryResource, default_output_dir

__all__ = [
    "EXTRACTS",
    "PRODUCT_POPULARITY",
    "REPORTING_ROLE",
    "STATE_POPULARITY",
    "DashboardResult",
    "DeliveryResource",
    "ExtractResult",
    "ExtractSpec",
    "RoleReport",
    "default_output_dir",
    "ensure_reporting_role",
    "write_dashboard",
    "write_extract",
]
