"""The simulation: deterministic, never repeating, well-formed, and carrying its planted ground truth."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from shopease_platform.simulation import (
    SimulationConfig,
    build_catalog,
    build_stores,
    customer_documents,
    customers_for_window,
    order_columns_for_window,
    orders_for_window,
    price_at,
    price_events_for_window,
    price_timeline,
    restocks_for_window,
    window_index,
    window_start_for,
)
from shopease_platform.simulation.prices import PROMOTION_END, PROMOTION_START
from shopease_platform.simulation.windows import WINDOWS_PER_DAY

START = datetime(2026, 1, 1, tzinfo=UTC)
CONFIG = SimulationConfig(seed=7, n_products=600, start=START)


def test_same_seed_and_window_give_identical_documents() -> None:
    window = datetime(2026, 5, 3, 9, tzinfo=UTC)
    again = SimulationConfig(seed=7, n_products=600, start=START)
    assert orders_for_window(CONFIG, window) == orders_for_window(again, window)
    assert customers_for_window(CONFIG, window) == customers_for_window(again, window)
    assert build_catalog(CONFIG).documents() == build_catalog(again).documents()
    other_seed = SimulationConfig(seed=8, n_products=600, start=START)
    assert orders_for_window(other_seed, window) != orders_for_window(CONFIG, window)


def test_orders_never_repeat_across_windows() -> None:
    ids: set[str] = set()
    fingerprints: set[tuple] = set()
    for index in range(0, 240):
        for order in orders_for_window(CONFIG, window_start_for(CONFIG, index)):
            assert order["_id"] not in ids
            ids.add(order["_id"])
            lines = tuple((i["product_id"], i["quantity"]) for i in order["items"])
            fingerprint = (order["customer_id"], order["ordered_at"], lines)
            assert fingerprint not in fingerprints
            fingerprints.add(fingerprint)
    assert len(ids) > 20_000


def test_orders_are_well_formed() -> None:
    window = datetime(2026, 11, 27, 18, tzinfo=UTC)
    orders = orders_for_window(CONFIG, window)
    prices = dict(zip(build_catalog(CONFIG).product_ids, price_at(CONFIG, window).tolist(), strict=True))
    stores = {s["_id"] for s in build_stores(CONFIG)}
    signups = {c["_id"]: c for c in customers_for_window(CONFIG, window)}
    assert len(orders) > 100
    for order in orders:
        assert window <= order["ordered_at"] < window + timedelta(hours=3)
        assert order["store_id"] in stores
        products = [i["product_id"] for i in order["items"]]
        assert len(products) == len(set(products)) >= 1
        assert [i["line_number"] for i in order["items"]] == list(range(1, len(products) + 1))
        for item in order["items"]:
            assert item["quantity"] >= 1
            assert item["unit_price"] == prices[item["product_id"]] > 0
        assert order["order_total"] == pytest.approx(sum(i["quantity"] * i["unit_price"] for i in order["items"]))
        if order["customer_id"] in signups:
            assert signups[order["customer_id"]]["created_at"] <= order["ordered_at"]
        else:
            assert window_index(CONFIG, window) > int(order["customer_id"].split("-")[1])
    assert [o["ordered_at"] for o in orders] == sorted(o["ordered_at"] for o in orders)


def test_customers_regenerate_from_their_ids_and_have_unique_emails() -> None:
    window = datetime(2026, 2, 2, 12, tzinfo=UTC)
    customers = customers_for_window(CONFIG, window)
    assert customer_documents(CONFIG, [c["_id"] for c in customers]) == customers
    emails = [c["email"] for i in range(40) for c in customers_for_window(CONFIG, window_start_for(CONFIG, i))]
    assert len(emails) == len(set(emails))
    assert all(len(c["address"]["state"]) == 2 and c["created_at"] >= window for c in customers)


def test_price_events_chain_and_match_prices_in_force() -> None:
    timeline = price_timeline(CONFIG)
    catalog = build_catalog(CONFIG)
    product = int(timeline.product[0])
    moments = timeline.window[timeline.product == product]
    previous = catalog.base_price[product]
    for window in moments[:6].tolist():
        moment = window_start_for(CONFIG, window)
        events = [e for e in price_events_for_window(CONFIG, moment) if e["product_id"] == catalog.product_ids[product]]
        assert len(events) == 1
        assert events[0]["old_price"] == previous
        assert price_at(CONFIG, moment)[product] == events[0]["new_price"]
        assert price_at(CONFIG, moment - timedelta(hours=3))[product] == previous
        previous = events[0]["new_price"]


def test_restocks_cover_each_product_once_per_cadence() -> None:
    cycle = CONFIG.ground_truth.restock_cadence_days * WINDOWS_PER_DAY
    seen: list[str] = []
    for index in range(cycle, 2 * cycle):
        seen.extend(r["product_id"] for r in restocks_for_window(CONFIG, window_start_for(CONFIG, index)))
    launched = int((build_catalog(CONFIG).launched_window <= cycle).sum())
    assert len(seen) == len(set(seen)) >= launched


def test_bad_configuration_names_the_field() -> None:
    with pytest.raises(ValueError, match="start must be a 3-hour window boundary"):
        SimulationConfig(start=datetime(2026, 1, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="base_orders_per_window"):
        SimulationConfig(base_orders_per_window=-1)
    with pytest.raises(ValueError, match="not a 3-hour window boundary"):
        orders_for_window(CONFIG, datetime(2026, 1, 1, 1, tzinfo=UTC))


class Year:
    """One simulated year as dense arrays: orders per window, units per (product, window)."""

    def __init__(self, config: SimulationConfig) -> None:
        windows = 365 * WINDOWS_PER_DAY
        catalog = build_catalog(config)
        self.config = config
        self.orders = np.zeros(windows)
        self.units = np.zeros((len(catalog), windows))
        for index in range(windows):
            columns = order_columns_for_window(config, window_start_for(config, index))
            self.orders[index] = len(columns)
            np.add.at(self.units[:, index], columns.product, columns.quantity)
        self.months = np.array([window_start_for(config, i).month for i in range(windows)])
        years = np.arange(windows) / WINDOWS_PER_DAY / 365.2425
        self.growth = np.exp(math.log1p(config.ground_truth.annual_growth) * years)


@pytest.fixture(scope="module")
def year() -> Year:
    return Year(SimulationConfig(seed=11, n_products=800, start=START, base_orders_per_window=150.0))


@pytest.mark.slow
def test_november_december_peak_matches_the_planted_factor(year: Year) -> None:
    truth = year.config.ground_truth
    detrended = year.orders / year.growth
    peak = detrended[np.isin(year.months, (11, 12))].mean() / detrended.mean()
    planted = (truth.season_curve[10] + truth.season_curve[11]) / 2 / np.mean(truth.season_curve)
    assert peak == pytest.approx(planted, rel=0.05)
    assert peak > 1.3


@pytest.mark.slow
def test_category_seasons_show_against_a_flat_category(year: Year) -> None:
    truth = year.config.ground_truth
    category = build_catalog(year.config).category
    flat = truth.category_index("Home & Kitchen")

    def relative_share(name: str, months: tuple[int, ...]) -> float:
        in_months = np.isin(year.months, months)
        own = year.units[category == truth.category_index(name)][:, in_months].sum()
        return own / year.units[category == flat][:, in_months].sum()

    for name, high, low in (("Outdoor & Garden", (6, 7), (12, 1)), ("Heating & Comfort", (12, 1), (6, 7))):
        season = truth.categories[truth.category_index(name)].season
        planted = (season[high[0] - 1] + season[high[1] - 1]) / (season[low[0] - 1] + season[low[1] - 1])
        observed = relative_share(name, high) / relative_share(name, low)
        assert observed == pytest.approx(planted, rel=0.25), name


@pytest.mark.slow
def test_promotions_lift_demand_by_the_planted_elasticity(year: Year) -> None:
    """Units during a promotion vs the 14 days before it, against ``(new / old) ** elasticity``."""
    truth = year.config.ground_truth
    timeline = price_timeline(year.config)
    elasticity = build_catalog(year.config).elasticity()
    before_windows = 14 * WINDOWS_PER_DAY
    observed = expected = flat_expected = 0.0
    starts = np.flatnonzero(timeline.kind == PROMOTION_START)
    for pos in starts.tolist():
        product, begin = int(timeline.product[pos]), int(timeline.window[pos])
        end_pos = pos + 1
        if end_pos >= len(timeline.kind) or timeline.kind[end_pos] != PROMOTION_END:
            continue
        end = int(timeline.window[end_pos])
        if begin < before_windows or end > year.units.shape[1]:
            continue
        changes_before = (timeline.product == product) & (timeline.window >= begin - before_windows)
        if (changes_before & (timeline.window < begin)).any():
            continue
        rate_before = year.units[product, begin - before_windows : begin].sum() / before_windows
        observed += year.units[product, begin:end].sum()
        ratio = timeline.new_price[pos] / timeline.old_price[pos]
        expected += rate_before * (end - begin) * ratio ** elasticity[product]
        flat_expected += rate_before * (end - begin)
    assert observed == pytest.approx(expected, rel=0.1)
    assert observed > 1.2 * flat_expected
    assert min(c.elasticity for c in truth.categories) < -2
