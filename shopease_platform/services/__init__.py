"""Embedded MongoDB and PostgreSQL servers for a laptop or CI, and the endpoints the platform uses.

`Endpoints` and `ServiceManager` load on first use, so the resources can import `services.state`, `probes` and
`s3_endpoint` (how to reach a server) without importing the manager that starts embedded ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shopease_platform.services.state import ServiceError

if TYPE_CHECKING:
    from shopease_platform.services.manager import Endpoints, ServiceManager

__all__ = ["Endpoints", "ServiceError", "ServiceManager"]


def __getattr__(name: str) -> Any:
    if name in ("Endpoints", "ServiceManager"):
        from shopease_platform.services import manager

        return getattr(manager, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
