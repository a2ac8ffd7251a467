"""dbt's Jinja context as sqlfluff's jinja templater sees it when linting this project.

sqlfluff's dbt templater compiles every node with a live warehouse connection (it opens one even for views,
and `is_incremental()` and `run_query` need it), so linting would need a running PostgreSQL. The jinja
templater renders the same files offline: it supplies `ref`, `source`, `config`, `this`, `is_incremental`
and `return` itself (`apply_dbt_builtins`) and loads the project's macros; this package adds the rest of
what those macros call, with the values dbt has while parsing (`execute` is false, so no query runs).
Every name at the top level of this package is a variable of the templates.
"""

import datetime as _datetime
import os as _os
import re as _re
from pathlib import Path as _Path
from types import SimpleNamespace as _SimpleNamespace

import pytz as _pytz
import yaml as _yaml

_PROJECT_VARS = _yaml.safe_load((_Path(__file__).parent.parent / "dbt_project.yml").read_text())["vars"]
_NO_DEFAULT = object()

# As while dbt parses: macros take their parse-time branch and never query the warehouse.
execute = False

# The Python modules dbt exposes to Jinja as `modules`.
modules = _SimpleNamespace(datetime=_datetime, re=_re, pytz=_pytz)


class LintTemplateError(Exception):
    """A template called `exceptions.raise_compiler_error` while being rendered for linting."""


def _raise_compiler_error(message: str) -> None:
    raise LintTemplateError(message)


exceptions = _SimpleNamespace(raise_compiler_error=_raise_compiler_error)


def var(name: str, default: object = _NO_DEFAULT) -> object:
    """A var of dbt_project.yml, so models render with the values dbt gives them when no --vars are passed."""
    if name in _PROJECT_VARS:
        return _PROJECT_VARS[name]
    if default is _NO_DEFAULT:
        raise LintTemplateError(f"var {name!r} is not declared under `vars:` in dbt/dbt_project.yml")
    return default


def env_var(name: str, default: object = _NO_DEFAULT) -> object:
    """dbt's env_var: the environment variable, else the default, else an error as in dbt."""
    if name in _os.environ:
        return _os.environ[name]
    if default is _NO_DEFAULT:
        raise LintTemplateError(f"environment variable {name!r} is not set and the template gives no default")
    return default
