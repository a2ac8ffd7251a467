"""The dashboard's stylesheet, inlined into the page (no external file, no web font).

The rules are `dashboard.css` beside this module, read when the page is built.
"""

from importlib.resources import files

STYLE = files(__package__).joinpath("dashboard.css").read_text(encoding="utf-8")
