"""schemathesis over the OpenAPI schema: generated requests (valid and not) never cause a server error."""

from __future__ import annotations

import pytest
import schemathesis
from api_testkit import SECRETS
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from api.config import ApiConfig
from api.main import create_app

ADMIN_PATHS = ("/api/users", "/api/station-keys", "/api/incidents/review", "/api/auth/")


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
