"""Customer identities: a function of the seed and the customer id alone, in any process and any window order."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

from faker.providers.address.en_US import Provider as AddressProvider

from shopease_platform.simulation import SimulationConfig, customer_documents, customers_for_window, window_start_for
from shopease_platform.simulation.customers import _history, cohort
from shopease_platform.simulation.ids import customer_id

SEED, PRODUCTS = 11, 300
CONFIG = SimulationConfig(seed=SEED, n_products=PRODUCTS, start=datetime(2026, 1, 1, tzinfo=UTC))
WINDOWS = (0, 7, 250, 1_000, 2_900)

_CHILD = """
import json, sys
from datetime import UTC, datetime
from shopease_platform.simulation import SimulationConfig, customer_documents
config = SimulationConfig(seed={seed}, n_products={products}, start=datetime(2026, 1, 1, tzinfo=UTC))
ids = json.load(sys.stdin)
json.dump(customer_documents(config, ids), sys.stdout, default=lambda value: value.isoformat())
"""


def _ids() -> list[str]:
    return [customer_id(w, s) for w in WINDOWS for s in range(len(cohort(CONFIG, w)))]


def _fresh_caches() -> None:
    cohort.cache_clear()
    _history.cache_clear()


def test_same_id_gives_the_same_document_in_another_process() -> None:
    ids = _ids()[::-1]
    child = subprocess.run(
        [sys.executable, "-c", _CHILD.format(seed=SEED, products=PRODUCTS)],
        input=json.dumps(ids),
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "random"},
    )
    here = json.loads(json.dumps(customer_documents(CONFIG, ids), default=lambda value: value.isoformat()))
    assert json.loads(child.stdout) == here


def test_documents_do_not_depend_on_which_windows_came_first() -> None:
    _fresh_caches()
    forward = {d["_id"]: d for w in WINDOWS for d in customers_for_window(CONFIG, window_start_for(CONFIG, w))}
    _fresh_caches()
    backward = {
        d["_id"]: d for w in reversed(WINDOWS) for d in customers_for_window(CONFIG, window_start_for(CONFIG, w))
    }
    _fresh_caches()
    shuffled = _ids()
    shuffled = shuffled[1::2] + shuffled[::2]
    by_id = {d["_id"]: d for d in customer_documents(CONFIG, shuffled)}
    assert forward == backward == by_id
    assert len(forward) > 50


def test_identities_follow_faker_formats_and_the_customer_state() -> None:
    documents = customer_documents(CONFIG, _ids())
    for document in documents:
        address = document["address"]
        low, high = AddressProvider.states_postcode[address["state"]]
        assert low <= int(address["postal_code"]) <= high and len(address["postal_code"]) == 5
        assert address["street"].split(" ")[0].isdigit() and address["city"]
        assert document["email"].endswith(("@example.com", "@example.net", "@example.org"))
        assert document["email"] == document["email"].lower()
    assert len({d["last_name"] for d in documents}) > len(documents) // 3
    other_seed = SimulationConfig(seed=SEED + 1, n_products=PRODUCTS, start=CONFIG.start)
    assert customer_documents(other_seed, _ids()[:20]) != documents[:20]
