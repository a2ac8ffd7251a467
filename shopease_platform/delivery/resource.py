"""Where the delivery assets write their files."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from shopease_platform.settings import Settings

OUTPUT_DIR_VARIABLE = "SHOPEASE_OUTPUT_DIR"


def default_output_dir(env: Mapping[str, str] | None = None) -> Path:
    """SHOPEASE_OUTPUT_DIR, else `output/` in the state folder (`.shopease/output` by default)."""
    env = os.environ if env is None else env
    configured = env.get(OUTPUT_DIR_VARIABLE)
    if configured:
        return Path(configured).expanduser().resolve()
    return Settings.from_env(env).home / "output"


class DeliveryResource(dg.ConfigurableResource):
    """The output folder of the Tableau extracts and the HTML dashboard (created when missing)."""

    output_dir: str | None = None

    def path(self) -> Path:
        folder = Path(self.output_dir).expanduser().resolve() if self.output_dir else default_output_dir()
        folder.mkdir(parents=True, exist_ok=True)
        return folder
