"""A tile-grid map of the 50 states and DC: one equal square per state, placed roughly where the state lies.

Real state outlines would add hundreds of kilobytes to a file meant to open offline; a tile grid gives every
state the same visual weight (small north-eastern states stay readable) and the page says it is not to scale.
"""

from __future__ import annotations

# (state code, column, row) on a 12 x 8 grid, north-west at (0, 0).
TILE_GRID: tuple[tuple[str, int, int], ...] = (
    ("AK", 0, 0), ("ME", 11, 0),
    ("VT", 10, 1), ("NH", 11, 1),
    ("WA", 1, 2), ("ID", 2, 2), ("MT", 3, 2), ("ND", 4, 2), ("MN", 5, 2), ("IL", 6, 2), ("WI", 7, 2),
    ("MI", 8, 2), ("NY", 9, 2), ("RI", 10, 2), ("MA", 11, 2),
    ("OR", 1, 3), ("NV", 2, 3), ("WY", 3, 3), ("SD", 4, 3), ("IA", 5, 3), ("IN", 6, 3), ("OH", 7, 3),
    ("PA", 8, 3), ("NJ", 9, 3), ("CT", 10, 3),
    ("CA", 1, 4), ("UT", 2, 4), ("CO", 3, 4), ("NE", 4, 4), ("MO", 5, 4), ("KY", 6, 4), ("WV", 7, 4),
    ("VA", 8, 4), ("MD", 9, 4), ("DE", 10, 4),
    ("AZ", 2, 5), ("NM", 3, 5), ("KS", 4, 5), ("AR", 5, 5), ("TN", 6, 5), ("NC", 7, 5), ("SC", 8, 5),
    ("DC", 9, 5),
    ("OK", 4, 6), ("LA", 5, 6), ("MS", 6, 6), ("AL", 7, 6), ("GA", 8, 6),
    ("HI", 0, 7), ("TX", 4, 7), ("FL", 9, 7),
)  # fmt: skip

STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
