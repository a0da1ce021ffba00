"""A bounded schemathesis run against the service's own OpenAPI schema: generated requests (valid and invalid) get
documented status codes and JSON bodies that match the schema, and /v1 enforces its token.

A schema-valid claim may still be refused with 422 for what a schema cannot say (a line naming a note the claim
does not carry, a note path that does not exist), so 422 is an accepted answer to valid data."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from rtaudit.server import ServerSettings, create_app

TOKEN = "schema-test-token"
NOTES = Path(__file__).parent / "fixtures" / "claims" / "notes"

schemathesis.serializer.alias("x-application/hl7-v2+er7", "text/plain")
app = create_app(ServerSettings(token=TOKEN, notes_dir=NOTES, max_body_bytes=200_000, warm=False))
config = schemathesis.Config.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "422"]}}})
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


@schema.parametrize()
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
