"""Settings: defaults, validation naming the variable, and a README that documents every variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopease_platform.settings import SETTINGS, Settings, SettingsError, dbt_profile_env, redact

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_need_no_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"SHOPEASE_HOME": str(tmp_path)})
    assert settings.mongodb_uri is None and settings.postgres_url is None
    assert settings.seed == 42
    assert settings.dagster_home == tmp_path / "dagster_home"
    assert settings.raw_store == "mongodb" and settings.s3_endpoint_url is None
    assert (settings.s3_bucket, settings.s3_prefix) == ("shopease-raw", "shopease")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SHOPEASE_SEED", "x"),
        ("SHOPEASE_PRODUCTS", "3"),
        ("SHOPEASE_ORDERS_PER_WINDOW", "-1"),
        ("SHOPEASE_START_DATE", "2026-13-01"),
        ("SHOPEASE_POSTGRES_URL", "mysql://h/db"),
        ("SHOPEASE_POSTGRES_URL", "postgresql://host:5432"),
        ("SHOPEASE_MONGODB_URI", "localhost:27017"),
        ("SHOPEASE_DAGSTER_POSTGRES_URL", "nope"),
        ("SHOPEASE_MONGODB_DATABASE", "a.b"),
        ("SHOPEASE_RAW_STORE", "gcs"),
        ("SHOPEASE_S3_ENDPOINT_URL", "s3.amazonaws.com"),
        ("SHOPEASE_S3_ENDPOINT_URL", "http://host:99999"),
        ("SHOPEASE_S3_ENDPOINT_URL", "http://host:9000/bucket"),
        ("SHOPEASE_S3_BUCKET", "Raw_Data"),
        ("SHOPEASE_S3_PREFIX", "/raw"),
        ("SHOPEASE_S3_PREFIX", "a/../b"),
        ("SHOPEASE_MAX_REJECT_SHARE", "2"),
    ],
)
def test_malformed_values_name_their_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})


def test_dbt_profile_is_split_from_the_warehouse_url() -> None:
    env = dbt_profile_env("postgresql://ana:p%40ss@db.example:6543/shopease")
    assert env == {
        "SHOPEASE_DBT_WINDOW_HOURS": "3",
        "SHOPEASE_PG_HOST": "db.example",
        "SHOPEASE_PG_PORT": "6543",
        "SHOPEASE_PG_USER": "ana",
        "SHOPEASE_PG_PASSWORD": "p@ss",
        "SHOPEASE_PG_DATABASE": "shopease",
    }
    assert redact("postgresql://ana:secret@h:1/db") == "postgresql://ana:***@h:1/db"


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [s.name for s in SETTINGS if f"| `{s.name}` |" not in readme]
    assert not missing, f"README settings table lacks {missing}"


def test_state_folder_is_found_from_any_subfolder_of_the_project(tmp_path: Path) -> None:
    from shopease_platform.settings import default_home

    (tmp_path / "dbt" / "models").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shopease-platform"\n')
    assert default_home(tmp_path / "dbt" / "models") == tmp_path / ".shopease"
    assert default_home(tmp_path) == tmp_path / ".shopease"
    outside = tmp_path.parent / "elsewhere"
    assert default_home(outside) == outside / ".shopease"
