"""Issue 10: the API fuzzed from its OpenAPI (schemathesis) as each signed-in role: never a server error.

``make test`` draws a few cases per operation and role (PERMITCARD_FUZZ_EXAMPLES, default 2);
``make test-deep`` many more."""

from __future__ import annotations

import os
import warnings
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from permitcard.auth.domain import Role
from permitcard.db import Database
from tests.card_factories import INSTANT_BRANCH, branch_id, seed_branches
from tests.factories import api_login, make_employer, make_user

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("PERMITCARD_FUZZ_EXAMPLES", "2"))
# Signing out or changing one's own password would end the fuzzing session, not find a bug.
SKIP = {("DELETE", "/api/v1/session"), ("POST", "/api/v1/session"), ("POST", "/api/v1/me/password")}


def _sign_in(db: Database, client: TestClient, role: Role, kw: dict[str, Any], n: int = 0) -> None:
    email = f"fuzz-{role.value}-{n}@example.com"
    if role == Role.EMPLOYER and not kw:
        kw["employer_id"] = make_employer(db)
    if role == Role.BANK_CLERK and not kw:
        seed_branches(db)
        kw["branch_id"] = branch_id(db, INSTANT_BRANCH)
    make_user(db, role, email, **kw)
    api_login(client, email)


def _send(client: TestClient, case: Any) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://127.0.0.1")
    headers = {k: v for k, v in (kwargs.get("headers") or {}).items()
               if k.lower() not in ("connection", "accept-encoding", "user-agent")}
    request: dict[str, Any] = {"params": kwargs.get("params") or None, "headers": headers}
    for key in ("json", "data", "files"):
        if kwargs.get(key) is not None:
            request[key] = kwargs[key]
    if "files" in request:
        request["files"] = [(name, value if value[0] is not None else (None, str(value[1]).encode()))
                            for name, value in request["files"]]
    return client.request(kwargs["method"], kwargs["url"], **request)


@pytest.mark.parametrize("role", list(Role))
def test_no_server_error_for_any_role(db: Database, client: TestClient, role: Role,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Passwords the fuzzer sends are hashed cheaply here: the hash's cost is not what is tested.
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr("permitcard.shared.passwords._hasher", cheap)  # the one hasher every check uses
    bound: dict[str, Any] = {}
    _sign_in(db, client, role, bound)
    accounts = [0]
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if (op.method.upper(), op.path) not in SKIP]
    assert len(operations) > 50
    strategies = st.tuples(*[op.as_strategy() for op in operations])

    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(cases=strategies)
    def run(cases: tuple[Any, ...]) -> None:
        failures = []
        for case in cases:
            r = _send(client, case)
            if r.status_code in (401, 403) and client.get("/api/v1/me").status_code in (401, 403):
                # an operation ended our session (disabled our account, reset our second factor): a new one
                accounts[0] += 1
                _sign_in(db, client, role, bound, accounts[0])
            if r.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {r.status_code}\n"
                                f"{case.as_curl_command()}")
        assert not failures, "\n".join(failures)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run()
