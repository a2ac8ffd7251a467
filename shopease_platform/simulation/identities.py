"""Customer identities (names, email, phone, street address) composed from Faker's en_US data, by customer id.

Calling Faker per customer costs about 17 calls and several milliseconds (its weighted name picks rebuild a
7,000-entry cumulative table on every call), and a seeded Faker only repeats itself when a whole window is
replayed in the same order. Here the tables of Faker's own en_US providers (weighted first and last names,
street and city formats with their suffixes and prefixes, state zip ranges, safe email domains) are read once,
and each part of an identity picks from them with a counter-based hash of ``(seed, window, seq, part)``.
numpy does the picking for any number of ids at once, and an identity depends on nothing but the seed and the
id, so it is the same in every process and whatever windows were generated before it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from faker.providers.address.en_US import Provider as AddressProvider
from faker.providers.internet import Provider as InternetProvider
from faker.providers.person.en_US import Provider as PersonProvider

from shopease_platform.simulation.geography import STATE_CODES
from shopease_platform.simulation.windows import STREAM_IDENTITIES

# Parts of an identity, each drawn from its own hash stream; the numbers are part of the data contract.
(
    _FIRST, _LAST, _DOMAIN, _PHONE, _BUILDING, _SECONDARY, _STREET_FORMAT, _STREET_NAME, _STREET_SUFFIX,
    _CITY_FORMAT, _CITY_PREFIX, _CITY_NAME, _CITY_SUFFIX, _ZIP, _BUILDING_DIGITS,
) = range(15)  # fmt: skip

_U64 = np.uint64
_GOLDEN = 0x9E3779B97F4A7C15
_FALLBACK_ZIPS = (501, 99950)
"""Faker's whole zip range, for a state its table lacks."""


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of uint64 whose outputs look independent for consecutive inputs."""
    x = x ^ (x >> _U64(30))
    x = x * _U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U64(27))
    x = x * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


@dataclass(frozen=True)
class Weighted:
    """A Faker frequency table: values and their cumulative share, for picking by a uniform draw."""

    values: np.ndarray
    cumulative: np.ndarray

    @classmethod
    def of(cls, table: dict[str, float]) -> Weighted:
        cumulative = np.cumsum(np.fromiter(table.values(), dtype=np.float64, count=len(table)))
        return cls(np.array(list(table), dtype=object), cumulative / cumulative[-1])

    def pick(self, uniform: np.ndarray) -> np.ndarray:
        return self.values[np.minimum(np.searchsorted(self.cumulative, uniform, side="right"), len(self.values) - 1)]


@dataclass(frozen=True)
class FakerTables:
    """The parts of Faker's en_US providers that identities are composed from."""

    first_names: Weighted
    last_names: Weighted
    street_suffixes: np.ndarray
    city_prefixes: np.ndarray
    city_suffixes: np.ndarray
    domains: np.ndarray
    zip_low: np.ndarray
    """Per state (`geography.STATES` order): the state's lowest zip code."""
    zip_span: np.ndarray


@functools.lru_cache(maxsize=1)
def faker_tables() -> FakerTables:
    ranges = [AddressProvider.states_postcode.get(code, _FALLBACK_ZIPS) for code in STATE_CODES]
    return FakerTables(
        first_names=Weighted.of(PersonProvider.first_names),
        last_names=Weighted.of(PersonProvider.last_names),
        street_suffixes=np.array(AddressProvider.street_suffixes, dtype=object),
        city_prefixes=np.array(AddressProvider.city_prefixes, dtype=object),
        city_suffixes=np.array(AddressProvider.city_suffixes, dtype=object),
        domains=np.array(InternetProvider.safe_domain_names, dtype=object),
        zip_low=np.array([low for low, _ in ranges], dtype=np.int64),
        zip_span=np.array([high - low + 1 for low, high in ranges], dtype=np.int64),
    )


class _Draws:
    """Independent uint64 draws per customer and part: ``mix(mix(mix(seed key ^ window) ^ seq) + part x golden)``."""

    def __init__(self, seed: int, windows: np.ndarray, seqs: np.ndarray) -> None:
        key = _mix(np.array([(seed * STREAM_IDENTITIES + 1) % 2**64], dtype=_U64))[0]
        self.base = _mix(_mix(key ^ windows.astype(_U64)) ^ seqs.astype(_U64))

    def raw(self, part: int) -> np.ndarray:
        return _mix(self.base + _U64((part + 1) * _GOLDEN % 2**64))

    def below(self, part: int, n: int | np.ndarray) -> np.ndarray:
        """Integers in [0, n) (n may be a column); the bias of a 64-bit modulo is far below anything visible."""
        return ((self.raw(part) >> _U64(1)).astype(np.int64) % n).astype(np.int64)

    def uniform(self, part: int) -> np.ndarray:
        return (self.raw(part) >> _U64(11)).astype(np.float64) / float(1 << 53)

    def element(self, part: int, pool: np.ndarray) -> np.ndarray:
        return pool[self.below(part, len(pool))]


@dataclass(frozen=True)
class Identities:
    """Identity fields of many customers, as lists in the order of the ids asked for."""

    first_name: list[str]
    last_name: list[str]
    email: list[str]
    phone: list[str]
    street: list[str]
    city: list[str]
    postal_code: list[str]


def identities(seed: int, windows: np.ndarray, seqs: np.ndarray, states: np.ndarray) -> Identities:
    """The identities of customers ``(windows[i], seqs[i])`` living in state index ``states[i]``.

    Every part follows Faker's en_US formats: streets are ``{building} {first or last name} {suffix}`` with an
    apartment or suite half of the time, cities one of Faker's four city formats, zip codes within the state.
    """
    tables = faker_tables()
    draws = _Draws(seed, windows, seqs)
    first = tables.first_names.pick(draws.uniform(_FIRST)).tolist()
    last = tables.last_names.pick(draws.uniform(_LAST)).tolist()
    emails = [
        f"{f}.{s}.{w:x}{q:03x}@{d}".lower()
        for f, s, w, q, d in zip(
            first, last, windows.tolist(), seqs.tolist(), draws.element(_DOMAIN, tables.domains).tolist(), strict=True
        )
    ]
    phones = draws.below(_PHONE, 10**10).tolist()
    return Identities(
        first_name=first,
        last_name=last,
        email=emails,
        phone=[f"({p // 10**7:03d}) {p // 10**4 % 1000:03d}-{p % 10**4:04d}" for p in phones],
        street=_streets(tables, draws),
        city=_cities(tables, draws),
        postal_code=[
            f"{z:05d}"
            for z in (tables.zip_low[states] + draws.below(_ZIP, tables.zip_span[states].astype(np.int64))).tolist()
        ],
    )


def _names(tables: FakerTables, draws: _Draws, part: int, use_last: np.ndarray) -> np.ndarray:
    uniform = draws.uniform(part)
    return np.where(use_last, tables.last_names.pick(uniform), tables.first_names.pick(uniform))


def _streets(tables: FakerTables, draws: _Draws) -> list[str]:
    """`{{building_number}} {{street_name}}[ {{secondary_address}}]`: 3-5 digit numbers, `Apt. ###`/`Suite ###`."""
    digits = 3 + draws.below(_BUILDING_DIGITS, 3)
    building = draws.below(_BUILDING, 10**digits).tolist()
    names = _names(tables, draws, _STREET_NAME, draws.below(_STREET_FORMAT, 2) == 1).tolist()
    suffixes = draws.element(_STREET_SUFFIX, tables.street_suffixes).tolist()
    secondary = draws.below(_SECONDARY, 2000).tolist()
    secondary_text = [
        "" if s < 1000 else f" Apt. {s % 1000:03d}" if s < 1500 else f" Suite {s % 1000:03d}" for s in secondary
    ]
    return [
        f"{b:0{n}d} {name} {suffix}{extra}"
        for b, n, name, suffix, extra in zip(building, digits.tolist(), names, suffixes, secondary_text, strict=True)
    ]


def _cities(tables: FakerTables, draws: _Draws) -> list[str]:
    """One of `{{city_prefix}} {{first_name}}{{city_suffix}}`, `{{city_prefix}} {{first_name}}`,
    `{{first_name}}{{city_suffix}}`, `{{last_name}}{{city_suffix}}`, uniformly, as Faker picks them."""
    formats = draws.below(_CITY_FORMAT, 4)
    names = _names(tables, draws, _CITY_NAME, formats == 3).tolist()
    prefixes = np.where(formats <= 1, draws.element(_CITY_PREFIX, tables.city_prefixes), "").tolist()
    suffixes = np.where(formats != 1, draws.element(_CITY_SUFFIX, tables.city_suffixes), "").tolist()
    return [
        f"{prefix} {name}{suffix}" if prefix else f"{name}{suffix}"
        for prefix, name, suffix in zip(prefixes, names, suffixes, strict=True)
    ]
