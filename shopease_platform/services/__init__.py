"""Embedded MongoDB and PostgreSQL servers for a laptop or CI, and the endpoints the platform uses."""

from shopease_platform.services.manager import Endpoints, ServiceManager
from shopease_platform.services.state import ServiceError

__all__ = ["Endpoints", "ServiceError", "ServiceManager"]
