"""The simulated ShopEase marketplace: pure Python and numpy, no I/O, every output a function of config and window.

Entry points take a `SimulationConfig` and a window start (a 3-hour boundary in UTC) and return documents ready
for MongoDB; `order_columns_for_window` is the columnar fast path. The planted behaviour is `GroundTruth`.
"""

from shopease_platform.simulation.catalog import Catalog, build_catalog
from shopease_platform.simulation.config import CategorySpec, GroundTruth, SimulationConfig
from shopease_platform.simulation.customers import customer_documents, customers_for_window
from shopease_platform.simulation.orders import OrderColumns, order_columns_for_window, orders_for_window
from shopease_platform.simulation.prices import price_at, price_events_for_window, price_timeline
from shopease_platform.simulation.restocks import restocks_for_window
from shopease_platform.simulation.stores import build_stores
from shopease_platform.simulation.windows import WINDOW, window_index, window_start_for

__all__ = [
    "WINDOW",
    "Catalog",
    "CategorySpec",
    "GroundTruth",
    "OrderColumns",
    "SimulationConfig",
    "build_catalog",
    "build_stores",
    "customer_documents",
    "customers_for_window",
    "order_columns_for_window",
    "orders_for_window",
    "price_at",
    "price_events_for_window",
    "price_timeline",
    "restocks_for_window",
    "window_index",
    "window_start_for",
]
