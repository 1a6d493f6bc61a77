"""schemathesis over the OpenAPI schema: generated requests (valid and not) never cause a server error."""

from __future__ import annotations

import json

import pytest
import schemathesis
from api_testkit import SECRETS
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from api.config import ApiConfig
from api.main import create_app

ADMIN_PATHS = ("/api/users", "/api/station-keys", "/api/incidents/review", "/api/auth/", "/api/grids", "/api/audit")


def credentials(method: str, path: str) -> dict[str, str]:
    """A station key for station writes, an admin token for reading and reviewing."""
    station_write = method != "GET" and not path.startswith(ADMIN_PATHS) and "/incidents/{" not in path
    secret = SECRETS.keys["st-1"] if station_write else SECRETS.tokens["admin"]
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_no_server_errors(config: ApiConfig) -> None:
    app = create_app(config)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app).exclude(path="/api/live")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=credentials(case.method, case.path), checks=[not_a_server_error])

        try:
            check()
        except Exception as exc:  # collect every failing operation, then report them together
            failures.append(f"{operation.label}: {exc}")
    app.state.engine.dispose()
    assert operations >= 25
    assert failures == [], "\n\n".join(failures)


# --- hostile values: what the generated cases above never send (issue 14)


def _nest(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = {"a": [value]} if levels % 2 else {"a": value}
    return value


HOSTILE_JSON = st.one_of(
    st.sampled_from([float("nan"), float("inf"), float("-inf"), "\ud800", "x\udfff", {"\ud83d": 1}]),
    st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=3),
    st.integers(20, 400).map(_nest),
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: f != f or f in (float("inf"), float("-inf"))),
)
HOSTILE_QUERY = st.sampled_from(
    ["NaN", "Infinity", "-1e400", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "1e308,1e308,1,1"]
)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_no_server_errors_on_nan_surrogates_and_deep_nesting(config: ApiConfig) -> None:
    """Generated requests with one value replaced by NaN, Infinity, a lone surrogate or deep nesting: 4xx."""
    app = create_app(config)
    client = TestClient(app)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app).exclude(path="/api/live")
    failures: list[str] = []
    sent: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(), data=st.data())
        @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case, data: st.DataObject) -> None:
            query = dict(case.query or {})
            content = None
            if case.method.upper() in ("POST", "PUT", "PATCH") and isinstance(case.body, dict):
                body = dict(case.body)
                body[data.draw(st.sampled_from([*body, "details"]))] = data.draw(HOSTILE_JSON)
                content = json.dumps(body).encode()  # NaN as a bare word, surrogates as \\u escapes
            elif query:
                query[data.draw(st.sampled_from(sorted(query)))] = data.draw(HOSTILE_QUERY)
            headers = {**credentials(case.method, case.path), "Content-Type": "application/json"}
            resp = client.request(case.method, case.formatted_path, params=query, content=content, headers=headers)
            sent.append("body" if content else "query")
            assert resp.status_code < 500, f"{case.method} {case.formatted_path}: {resp.status_code} {resp.text}"

        try:
            check()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    app.state.engine.dispose()
    assert failures == [], "\n\n".join(failures)
    assert sent.count("body") >= 40 and sent.count("query") >= 20, (sent.count("body"), sent.count("query"))
