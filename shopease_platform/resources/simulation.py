"""The simulation's knobs as a Dagster resource, so a run's config shows exactly which business was simulated."""

from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg

from shopease_platform.simulation import SimulationConfig


class SimulationResource(dg.ConfigurableResource):
    """Seed and volume of the simulated marketplace (see `shopease_platform.simulation.GroundTruth`)."""

    seed: int = 42
    products: int = 2000
    orders_per_window: float = 120.0
    new_customers_per_window: float = 40.0
    start_date: str = "2026-01-01"

    def config(self) -> SimulationConfig:
        day = date.fromisoformat(self.start_date)
        return SimulationConfig(
            seed=self.seed,
            n_products=self.products,
            start=datetime(day.year, day.month, day.day, tzinfo=UTC),
            base_orders_per_window=self.orders_per_window,
            base_new_customers_per_window=self.new_customers_per_window,
        )
