"""The dashboard's script, inlined into the page: a small SVG charting kit and the two tabs' logic.

Plain ES2020, no library. Every drawn number carries `data-value` (amounts rounded to cents) and every mark a
`data-key`, so tests and other tools read what the page shows without parsing formatted text.

Orders are a distinct count: the script adds order counts up across months, days, stores and states (an order
has one of each) and never across categories or products. All-categories figures come from the rollup rows
whose category is null. Shares are ratios of sums. Customer concentration is shown only for the periods
it is computed for.

The code is `dashboard.js` beside this module, read when the page is built.
"""

from importlib.resources import files

SCRIPT = files(__package__).joinpath("dashboard.js").read_text(encoding="utf-8")
