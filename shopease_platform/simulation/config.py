"""Configuration and the planted ground truth of the simulation.

:class:`GroundTruth` is the single place where the behaviour of the simulated business is decided. The
generators read it, the unit tests recover it statistically from the generated data, and warehouse checks
can read the same numbers through :meth:`GroundTruth.as_dict` (JSON-ready) to test that the pipeline did
not distort them. Changing a value here changes the data; nothing else hard-codes these numbers.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shopease_platform.window import is_window_start

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

FLAT_SEASON: tuple[float, ...] = (1.0,) * 12


@dataclass(frozen=True)
class CategorySpec:
    """One product category and its planted demand behaviour."""

    name: str
    """Display name, e.g. ``"Outdoor & Garden"``."""
    code: str
    """Three upper-case letters used in SKUs (``SE-OUT-00042``)."""
    subcategories: tuple[str, ...]
    """Subcategory names; each product gets one, uniformly."""
    price_range: tuple[float, float]
    """Base prices (USD) are drawn log-uniformly in this range and end in .99."""
    elasticity: float
    """Price elasticity of demand: a product's choice weight is multiplied by
    ``(current_price / base_price) ** elasticity``. Negative: cheaper means more orders."""
    season: tuple[float, ...] = FLAT_SEASON
    """Twelve monthly multipliers (Jan..Dec) on the choice weight of every product in the category, on top of
    the store-wide :attr:`GroundTruth.season_curve` that shapes order volume."""
    catalog_share: float = 0.05
    """Fraction of the catalog's products in this category (normalised over all categories)."""


DEFAULT_CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "Electronics",
        "ELE",
        ("Headphones", "Speakers", "Chargers & Cables", "Smart Home", "Cameras"),
        (12.0, 600.0),
        -1.6,
        (0.9, 0.85, 0.9, 0.9, 0.9, 0.9, 0.95, 0.95, 0.95, 1.0, 1.25, 1.45),
        0.10,
    ),
    CategorySpec(
        "Computers & Tablets",
        "COM",
        ("Laptops", "Tablets", "Monitors", "Keyboards & Mice", "Storage"),
        (20.0, 1800.0),
        -1.3,
        (1.0, 0.9, 0.9, 0.9, 0.9, 0.95, 1.1, 1.35, 1.15, 0.9, 1.05, 1.2),
        0.06,
    ),
    CategorySpec(
        "Home & Kitchen",
        "HOM",
        ("Cookware", "Small Appliances", "Storage & Organization", "Tableware", "Bedding"),
        (8.0, 250.0),
        -1.1,
        FLAT_SEASON,
        0.12,
    ),
    CategorySpec(
        "Outdoor & Garden",
        "OUT",
        ("Grills", "Garden Tools", "Patio Furniture", "Planters", "Camping Gear"),
        (10.0, 900.0),
        -1.4,
        (0.4, 0.45, 0.75, 1.15, 1.5, 1.8, 1.85, 1.6, 1.05, 0.7, 0.45, 0.4),
        0.08,
    ),
    CategorySpec(
        "Heating & Comfort",
        "HEA",
        ("Space Heaters", "Electric Blankets", "Humidifiers", "Thermostats", "Fireplace Accessories"),
        (15.0, 400.0),
        -1.2,
        (1.9, 1.7, 1.2, 0.7, 0.45, 0.35, 0.35, 0.4, 0.6, 1.0, 1.5, 1.9),
        0.04,
    ),
    CategorySpec(
        "Toys & Games",
        "TOY",
        ("Board Games", "Building Sets", "Dolls & Figures", "Puzzles", "Outdoor Toys"),
        (6.0, 150.0),
        -1.8,
        (0.7, 0.7, 0.75, 0.8, 0.8, 0.85, 0.85, 0.85, 0.85, 0.95, 1.5, 2.6),
        0.08,
    ),
    CategorySpec(
        "Back to School & Office",
        "SCH",
        ("Backpacks", "Notebooks", "Writing Supplies", "Desk Organizers", "Calculators"),
        (2.0, 120.0),
        -2.2,
        (0.8, 0.75, 0.75, 0.75, 0.75, 0.9, 1.3, 2.2, 1.9, 0.9, 0.75, 0.8),
        0.06,
    ),
    CategorySpec(
        "Grocery & Pantry",
        "GRO",
        ("Snacks", "Coffee & Tea", "Baking", "Beverages", "Breakfast"),
        (2.0, 40.0),
        -0.5,
        (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.15),
        0.10,
    ),
    CategorySpec(
        "Health & Beauty",
        "HBC",
        ("Skin Care", "Hair Care", "Vitamins", "Oral Care", "Fragrance"),
        (3.0, 120.0),
        -0.8,
        (1.05, 1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.15),
        0.09,
    ),
    CategorySpec(
        "Sports & Fitness",
        "SPO",
        ("Yoga", "Weights", "Cycling", "Running", "Team Sports"),
        (8.0, 700.0),
        -1.5,
        (1.5, 1.2, 1.05, 1.05, 1.05, 1.1, 1.05, 0.95, 0.9, 0.85, 0.8, 0.85),
        0.07,
    ),
    CategorySpec(
        "Clothing & Shoes",
        "CLO",
        ("Tops", "Outerwear", "Shoes", "Activewear", "Accessories"),
        (8.0, 250.0),
        -2.0,
        (1.0, 0.9, 1.0, 1.05, 1.05, 1.0, 0.95, 1.05, 1.05, 1.0, 1.05, 1.15),
        0.09,
    ),
    CategorySpec(
        "Pet Supplies",
        "PET",
        ("Dog Food", "Cat Food", "Pet Toys", "Pet Beds", "Grooming"),
        (3.0, 150.0),
        -0.7,
        FLAT_SEASON,
        0.05,
    ),
    CategorySpec(
        "Automotive",
        "AUT",
        ("Car Care", "Tools", "Interior Accessories", "Batteries", "Lighting"),
        (5.0, 400.0),
        -1.0,
        (1.1, 1.0, 1.0, 1.05, 1.05, 1.0, 1.0, 0.95, 0.95, 0.95, 0.95, 1.0),
        0.03,
    ),
    CategorySpec(
        "Books & Media",
        "BOO",
        ("Fiction", "Non-fiction", "Children's Books", "Music", "Movies"),
        (4.0, 60.0),
        -2.5,
        (0.95, 0.9, 0.9, 0.9, 0.9, 0.95, 1.0, 1.0, 0.95, 0.95, 1.1, 1.5),
        0.03,
    ),
)


@dataclass(frozen=True)
class GroundTruth:
    """The planted parameters of the simulated business, documented field by field.

    Volume per window is ``Poisson(base * hour_curve[slot] * weekday_factors[dow] * season_curve[month] *
    (1 + annual_growth) ** years_since_start)``; everything else below shapes *which* customer buys *what*.
    """

    hour_curve: tuple[float, ...] = (1.35, 1.1, 0.55, 0.35, 0.6, 1.05, 1.4, 1.6)
    """Order-volume multiplier of each 3-hour UTC window (00, 03, ..., 21 UTC); mean 1.0. The evening peak
    sits at 18-03 UTC because most customers live in US time zones."""
    weekday_factors: tuple[float, ...] = (0.97, 0.95, 0.96, 0.98, 1.05, 1.02, 1.07)
    """Order-volume multiplier by UTC weekday, Monday first; mean 1.0."""
    season_curve: tuple[float, ...] = (0.82, 0.78, 0.88, 0.93, 0.97, 0.93, 0.88, 0.93, 0.97, 0.96, 1.35, 1.6)
    """Order-volume multiplier by calendar month, Jan..Dec; mean 1.0, with the November-December peak."""
    annual_growth: float = 0.15
    """Yearly growth of order and new-customer volume, compounded continuously over fractional years."""
    categories: tuple[CategorySpec, ...] = DEFAULT_CATEGORIES
    """Product categories with their price ranges, elasticities and monthly seasons."""
    popularity_sigma: float = 1.25
    """Products' base popularity is lognormal(0, sigma): a few best-sellers, a long tail."""
    popularity_drift_amplitude: float = 0.35
    """Each product's popularity drifts as ``exp(a * sin(2*pi*days/period + phase))`` with ``a`` uniform
    in [0, this], so best-sellers rise and fade slowly; deterministic in time."""
    popularity_drift_period_days: tuple[float, float] = (120.0, 720.0)
    """Range of the drift periods (days), drawn uniformly per product."""
    regional_taste_strength: float = 0.35
    """Per-(state, category) taste multiplier is lognormal(0, strength), rescaled so that its
    population-weighted mean over the states is 1 for every category."""
    first_order_share: float = 0.8
    """Share of new customers who place their first order in the window they sign up in; the others never order
    (the "inactive customers" of the MongoDB report). Every other order of a window comes from a returning
    customer, so the repeat share follows from ``base_orders_per_window`` and ``base_new_customers_per_window``."""
    repeat_propensity_shape: tuple[float, float] = (1.5, 3.0)
    """Kumaraswamy(a, b) shape of a customer's repeat propensity in (0, 1) (mean about 0.37). A returning
    order picks an earlier customer with probability proportional to propensity times recency weight."""
    returning_recency_days: float = 45.0
    """Recency weight of a customer created ``age`` days ago: ``floor + (1 - floor) * exp(-age / this)``."""
    returning_recency_floor: float = 0.15
    """Long-tail floor of the recency weight, so old customers still come back now and then."""
    promotions_per_year: float = 3.0
    """Mean promotions per product per year (non-overlapping; gaps are exponential)."""
    promotion_discount: tuple[float, float] = (0.10, 0.35)
    """Promotion discount, whole percent drawn uniformly in this range."""
    promotion_days: tuple[float, float] = (3.0, 21.0)
    """Promotion length in days, uniform in this range; a promotion_end event restores the price."""
    increases_per_year: float = 1.5
    """Mean permanent price increases per product per year (Poisson); increases falling within a day of a
    promotion are dropped, so the realised rate is slightly lower."""
    increase_pct: tuple[float, float] = (0.03, 0.12)
    """Size of a permanent increase, uniform in this range, compounded on the regular price."""
    price_horizon_days: int = 3653
    """Price timelines are precomputed for this many days after ``start``; prices hold after it."""
    line_items_probs: tuple[float, ...] = (0.42, 0.26, 0.15, 0.09, 0.05, 0.03)
    """Probability of an order having 1, 2, ... distinct products (mean 2.18)."""
    quantity_probs: tuple[float, ...] = (0.78, 0.13, 0.05, 0.025, 0.015)
    """Probability of a line's quantity being 1, 2, ..., 5 (mean 1.37)."""
    online_share: float = 0.55
    """Fraction of orders placed in the online store S000; the rest go to branches."""
    home_branch_share: float = 0.85
    """A branch order goes to a branch in the customer's own state with this probability when that state
    has a branch; otherwise to any branch, uniformly."""
    restock_cadence_days: int = 7
    """Every product receives one delivery per cadence, in a product-specific window of the cycle."""
    initial_stock_days: float = 28.0
    """Initial stock covers this many days of the product's expected demand at ``start``."""
    reorder_point_days: float = 7.0
    """Reorder point (informational) covers this many days of expected demand."""
    supply_ratio: tuple[float, ...] = (1.0, 1.15)
    """A well-supplied product's deliveries are its expected demand until the next delivery times a
    per-product ratio uniform in this range."""
    undersupplied_share: float = 0.12
    """Fraction of products that are chronically under-supplied and run out of stock."""
    undersupplied_ratio: tuple[float, float] = (0.55, 0.85)
    """Supply ratio of the under-supplied products."""
    undersupplied_initial_stock_days: float = 6.0
    """Initial stock of the under-supplied products, in days of expected demand."""
    restock_noise_sigma: float = 0.15
    """Each delivery is multiplied by lognormal(0, sigma) noise."""

    def __post_init__(self) -> None:
        _check_curve("hour_curve", self.hour_curve, 8)
        _check_curve("weekday_factors", self.weekday_factors, 7)
        _check_curve("season_curve", self.season_curve, 12)
        if not self.categories:
            raise ValueError("ground_truth.categories must not be empty")
        codes = [c.code for c in self.categories]
        if len(set(codes)) != len(codes) or len({c.name for c in self.categories}) != len(codes):
            raise ValueError("category names and codes must be unique")
        for cat in self.categories:
            _check_curve(f"category {cat.name!r} season", cat.season, 12, require_mean=False)
            if not cat.subcategories:
                raise ValueError(f"category {cat.name!r} needs at least one subcategory")
            low, high = cat.price_range
            if not 0 < low < high:
                raise ValueError(f"category {cat.name!r}: price_range must satisfy 0 < low < high")
            if cat.elasticity >= 0 or cat.catalog_share <= 0:
                raise ValueError(f"category {cat.name!r}: elasticity must be < 0 and catalog_share > 0")
        for name in ("line_items_probs", "quantity_probs"):
            probs = getattr(self, name)
            if not probs or min(probs) < 0 or abs(sum(probs) - 1.0) > 1e-9:
                raise ValueError(f"{name} must be non-negative and sum to 1")
        for name in ("first_order_share", "online_share", "home_branch_share", "undersupplied_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        low, high = self.promotion_discount
        if not 0.0 < low <= high < 1.0:
            raise ValueError("promotion_discount must satisfy 0 < low <= high < 1")
        if not 0.0 < self.promotion_days[0] <= self.promotion_days[1]:
            raise ValueError("promotion_days must satisfy 0 < low <= high")
        if not 0.0 <= self.increase_pct[0] <= self.increase_pct[1]:
            raise ValueError("increase_pct must satisfy 0 <= low <= high")
        if self.restock_cadence_days < 1 or self.price_horizon_days < 1:
            raise ValueError("restock_cadence_days and price_horizon_days must be >= 1")

    @property
    def mean_line_items(self) -> float:
        """Expected distinct products per order."""
        return sum((k + 1) * p for k, p in enumerate(self.line_items_probs))

    @property
    def mean_quantity(self) -> float:
        """Expected quantity of one order line."""
        return sum((k + 1) * p for k, p in enumerate(self.quantity_probs))

    def category_index(self, name: str) -> int:
        """Position of the category called ``name`` (the ``category`` column of the catalog)."""
        for i, cat in enumerate(self.categories):
            if cat.name == name:
                return i
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        """Every field as plain JSON-ready values (lists, not tuples), plus a few derived means."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "categories":
                out[f.name] = [{g.name: _plain(getattr(c, g.name)) for g in dataclasses.fields(c)} for c in value]
            else:
                out[f.name] = _plain(value)
        out["mean_line_items"] = self.mean_line_items
        out["mean_quantity"] = self.mean_quantity
        out["months"] = list(MONTHS)
        out["weekdays"] = list(WEEKDAYS)
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _check_curve(name: str, values: tuple[float, ...], length: int, require_mean: bool = True) -> None:
    if len(values) != length or min(values) <= 0:
        raise ValueError(f"{name} needs {length} positive values")
    if require_mean and abs(sum(values) / length - 1.0) > 0.02:
        raise ValueError(f"{name} must have mean 1.0 (got {sum(values) / length:.4f})")


@dataclass(frozen=True)
class SimulationConfig:
    """Inputs of the simulation; every output is a deterministic function of this and a window.

    Instances are hashable and used as cache keys (catalog, price timelines, volume blocks), so the hash is
    computed once at construction instead of walking the nested ground truth on every lookup.
    """

    seed: int = 42
    n_products: int = 2000
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    """First window (index 0). Returning customers only come from windows at or after it."""
    base_orders_per_window: float = 120.0
    """Mean orders of an average window at ``start`` before hour/weekday/season/growth shaping."""
    base_new_customers_per_window: float = 40.0
    """Mean new customers of an average window at ``start``, shaped like order volume."""
    ground_truth: GroundTruth = GroundTruth()
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError("seed must be a non-negative integer")
        if self.n_products < len(self.ground_truth.categories):
            raise ValueError("n_products must be at least the number of categories")
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError("start must be timezone-aware (UTC)")
        start = self.start.astimezone(UTC)
        if not is_window_start(start):
            raise ValueError("start must be a 3-hour window boundary (00, 03, ..., 21 UTC, whole hour)")
        for name in ("base_orders_per_window", "base_new_customers_per_window"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0")
        object.__setattr__(self, "start", start)
        key = (
            self.seed,
            self.n_products,
            start,
            self.base_orders_per_window,
            self.base_new_customers_per_window,
            self.ground_truth,
        )
        object.__setattr__(self, "_hash", hash(key))

    def __hash__(self) -> int:
        return self._hash
