"""US states with their populations, and the cities of ShopEase's physical branches.

Populations (2020 census, thousands) weight where new customers live; the codes match the `us_states` dbt seed.
"""

from __future__ import annotations

import numpy as np

STATES: tuple[tuple[str, str, int], ...] = (
    ("AL", "Alabama", 5024),
    ("AK", "Alaska", 733),
    ("AZ", "Arizona", 7152),
    ("AR", "Arkansas", 3012),
    ("CA", "California", 39538),
    ("CO", "Colorado", 5774),
    ("CT", "Connecticut", 3606),
    ("DE", "Delaware", 990),
    ("DC", "District of Columbia", 690),
    ("FL", "Florida", 21538),
    ("GA", "Georgia", 10712),
    ("HI", "Hawaii", 1455),
    ("ID", "Idaho", 1839),
    ("IL", "Illinois", 12813),
    ("IN", "Indiana", 6786),
    ("IA", "Iowa", 3190),
    ("KS", "Kansas", 2938),
    ("KY", "Kentucky", 4506),
    ("LA", "Louisiana", 4658),
    ("ME", "Maine", 1362),
    ("MD", "Maryland", 6177),
    ("MA", "Massachusetts", 7030),
    ("MI", "Michigan", 10077),
    ("MN", "Minnesota", 5706),
    ("MS", "Mississippi", 2961),
    ("MO", "Missouri", 6155),
    ("MT", "Montana", 1084),
    ("NE", "Nebraska", 1962),
    ("NV", "Nevada", 3105),
    ("NH", "New Hampshire", 1378),
    ("NJ", "New Jersey", 9289),
    ("NM", "New Mexico", 2118),
    ("NY", "New York", 20201),
    ("NC", "North Carolina", 10439),
    ("ND", "North Dakota", 779),
    ("OH", "Ohio", 11799),
    ("OK", "Oklahoma", 3959),
    ("OR", "Oregon", 4237),
    ("PA", "Pennsylvania", 13003),
    ("RI", "Rhode Island", 1097),
    ("SC", "South Carolina", 5118),
    ("SD", "South Dakota", 887),
    ("TN", "Tennessee", 6911),
    ("TX", "Texas", 29146),
    ("UT", "Utah", 3272),
    ("VT", "Vermont", 643),
    ("VA", "Virginia", 8631),
    ("WA", "Washington", 7705),
    ("WV", "West Virginia", 1794),
    ("WI", "Wisconsin", 5894),
    ("WY", "Wyoming", 577),
)

STATE_CODES: tuple[str, ...] = tuple(code for code, _, _ in STATES)
STATE_INDEX: dict[str, int] = {code: i for i, code in enumerate(STATE_CODES)}
POPULATION_WEIGHTS: np.ndarray = np.array([pop for _, _, pop in STATES], dtype=np.float64) / sum(
    pop for _, _, pop in STATES
)

BRANCH_CITIES: tuple[tuple[str, str], ...] = (
    ("CA", "Los Angeles"),
    ("TX", "Houston"),
    ("FL", "Miami"),
    ("NY", "New York"),
    ("PA", "Philadelphia"),
    ("IL", "Chicago"),
    ("OH", "Columbus"),
    ("GA", "Atlanta"),
    ("NC", "Charlotte"),
    ("WA", "Seattle"),
    ("AZ", "Phoenix"),
    ("CO", "Denver"),
)
"""One physical branch per city, in this order (S001, S002, ...); S000 is the online store."""
