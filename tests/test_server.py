"""``rtaudit serve`` through FastAPI's TestClient: auth, the four endpoints, the size limit, JSON errors that never
echo the request, the audit trail, and the start-up refusal without a token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rtaudit.cli import app as cli
from rtaudit.server import ServerSettings, create_app, read_token, startup_problem

NOTES = Path(__file__).parent / "fixtures" / "claims" / "notes"
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SIM = (NOTES / "sim_complex.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def audit_db(tmp_path_factory):
    return tmp_path_factory.mktemp("serve") / "audit.sqlite3"


@pytest.fixture(scope="module")
def client(audit_db):
    settings = ServerSettings(token=TOKEN, audit_db=audit_db, notes_dir=NOTES, max_body_bytes=64_000, warm=False)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def claim(claim_id="S-1", code="77290", **note):
    note = note or {"text": SIM}
    return {"claim_id": claim_id, "payer": "medicare", "place_of_service": "11",
            "lines": [{"code": code, "modifiers": ["26"], "date_of_service": "2025-03-04", "note": "n"}],
            "notes": [{"id": "n", **note}]}


def test_healthz_needs_no_token(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": TOKEN}, {"Authorization": "Bearer s3cret-tokenX"}])
@pytest.mark.parametrize("method,path", [("get", "/v1/checklists"), ("post", "/v1/check"), ("post", "/v1/claims")])
def test_missing_or_wrong_token_is_401_json(client, headers, method, path):
    response = getattr(client, method)(path, headers=headers, **({"json": claim()} if method == "post" else {}))
    assert response.status_code == 401
    assert response.json() == {"error": "missing or invalid bearer token"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_checklists_lists_codes_rules_and_versions(client):
    body = client.get("/v1/checklists", headers=AUTH).json()
    assert {"77290", "77293", "77301"} <= {c["code"] for c in body["checklists"]}
    assert "imrt-planning-bundle" in {r["id"] for r in body["claim_rules"]}
    assert all(c["sources"] for c in body["checklists"]) and set(body["versions"]) == {"checklists", "rules"}


def test_check_returns_the_json_contract(client):
    response = client.post("/v1/check", headers=AUTH, json={"text": SIM, "codes": ["77290"]})
    assert response.status_code == 200, response.text
    report = response.json()
    assert set(report) == {"note", "elements", "codes", "claim_findings"}
    assert report["codes"][0]["verdict"] == "supported" and len(report["note"]["sha256"]) == 64


def test_claim_decision_is_recorded_and_replayed(client, audit_db):
    from rtaudit.claims.audit import AuditLog

    first = client.post("/v1/claims", headers=AUTH, json=claim("S-REPLAY"))
    assert first.status_code == 200, first.text
    assert first.json()["decision"] == "pass" and first.json()["lines"][0]["verdict"] == "supported"
    before = AuditLog(audit_db).count()
    again = client.post("/v1/claims", headers=AUTH, json=claim("S-REPLAY"))
    assert again.json() == first.json() and AuditLog(audit_db).count() == before
    assert [r["channel"] for r in AuditLog(audit_db).rows()][-1] == "serve"


def test_claim_rules_hold_over_http(client):
    response = client.post("/v1/claims", headers=AUTH, json=claim("S-HOLD", code="77293"))
    body = response.json()
    assert response.status_code == 200 and body["decision"] == "hold"
    assert body["claim_findings"][0]["rule"] == "addon-without-primary"


def test_note_path_inside_the_notes_folder_and_escape_refused(client):
    assert client.post("/v1/claims", headers=AUTH, json=claim("S-P", path="sim_complex.txt")).status_code == 200
    response = client.post("/v1/claims", headers=AUTH, json=claim("S-ESC", path="../../../etc/passwd"))
    assert response.status_code == 422
    assert response.json()["claim_id"] == "S-ESC" and "'..' is not allowed" in response.json()["error"]


def test_invalid_claim_is_422_without_echoing_the_input(client):
    secret = "Quillon Vexmarrow"
    bad = claim("S-BAD", text=secret)
    bad["lines"][0]["units"] = secret
    response = client.post("/v1/claims", headers=AUTH, json=bad)
    assert response.status_code == 422 and secret not in response.text
    body = response.json()
    assert body["error"] == "invalid request" and any("units" in d["loc"] for d in body["detail"])


def test_malformed_json_body_is_422_json(client):
    response = client.post("/v1/claims", headers={**AUTH, "Content-Type": "application/json"}, content=b"{not json")
    assert response.status_code == 422 and response.json()["error"] == "invalid request"


def test_body_over_the_limit_is_413(client):
    big = claim("S-BIG", text="x" * 70_000)
    response = client.post("/v1/claims", headers=AUTH, json=big)
    assert response.status_code == 413 and "over 64000 bytes" in response.json()["error"]

    def chunks():
        for _ in range(10):
            yield b"x" * 10_000

    streamed = client.post("/v1/check", headers=AUTH, content=chunks())
    assert streamed.status_code == 413


def test_unknown_route_is_json_404(client):
    response = client.get("/v1/nothing", headers=AUTH)
    assert response.status_code == 404 and response.json() == {"error": "Not Found"}


def test_openapi_schema_documents_auth_and_errors(client):
    schema = client.get("/openapi.json").json()
    assert {"/v1/check", "/v1/claims", "/v1/checklists", "/healthz"} <= set(schema["paths"])
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert {"401", "413", "422"} <= set(schema["paths"]["/v1/claims"]["post"]["responses"])


def test_app_without_token_serves_unauthenticated():
    with TestClient(create_app(ServerSettings(token=None, warm=False))) as open_client:
        assert open_client.get("/v1/checklists").status_code == 200


# start-up policy
@pytest.mark.parametrize("host,token,no_token,refused", [
    ("127.0.0.1", "t", False, False), ("0.0.0.0", "t", False, False), ("127.0.0.1", None, True, False),
    ("127.0.0.1", None, False, True), ("0.0.0.0", None, True, True), ("localhost", None, True, True),
    ("127.0.0.1", "t", True, True)])
def test_startup_policy(host, token, no_token, refused):
    assert (startup_problem(host, token, no_token) is not None) is refused


def test_token_from_env_or_file(tmp_path, monkeypatch):
    monkeypatch.delenv("RTAUDIT_TOKEN", raising=False)
    monkeypatch.delenv("RTAUDIT_TOKEN_FILE", raising=False)
    assert read_token() is None
    path = tmp_path / "token"
    path.write_text("from-file\n", encoding="utf-8")
    assert read_token(path) == "from-file"
    monkeypatch.setenv("RTAUDIT_TOKEN", "from-env")
    assert read_token(path) == "from-env"
    monkeypatch.delenv("RTAUDIT_TOKEN")
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty"):
        read_token(path)


def test_serve_refuses_to_start_without_a_token(monkeypatch, tmp_path):
    monkeypatch.delenv("RTAUDIT_TOKEN", raising=False)
    monkeypatch.delenv("RTAUDIT_TOKEN_FILE", raising=False)
    runner = CliRunner()
    result = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--no-token"])
    assert result.exit_code == 2 and "refusing to start" in result.stderr
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 2 and "no bearer token" in result.stderr
    result = runner.invoke(cli, ["serve", "--token-file", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_app_from_env_refuses_without_token(monkeypatch):
    from rtaudit.server import app_from_env

    for name in ("RTAUDIT_TOKEN", "RTAUDIT_TOKEN_FILE", "RTAUDIT_NO_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="no bearer token"):
        app_from_env()


def test_error_bodies_are_json_objects(client):
    response = client.post("/v1/check", headers=AUTH, json={"text": "", "codes": ["7729"]})
    assert response.status_code == 422
    assert json.loads(response.text)["detail"][0]["loc"][0] == "body"


FIXTURES = NOTES.parent


@pytest.mark.parametrize("name,content_type,status,ids", [
    ("ro_batch.hl7", "x-application/hl7-v2+er7", "hold", ["DFT-1001", "DFT-1002"]),
    ("ro_bundle.json", "application/fhir+json", "pass", ["FHIR-2001"])])
def test_batch_endpoint_reads_hl7_and_fhir(client, name, content_type, status, ids):
    response = client.post("/v1/claims/batch", headers={**AUTH, "Content-Type": content_type},
                           content=(FIXTURES / name).read_bytes())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == status and [r["claim_id"] for r in body["results"]] == ids


def test_batch_endpoint_error_records_beside_decisions(client):
    lines = "\n".join([json.dumps(claim("B-1")), "{broken", json.dumps(claim("B-2", code="77293"))])
    response = client.post("/v1/claims/batch", headers=AUTH, content=lines.encode())
    body = response.json()
    assert response.status_code == 200 and body["status"] == "error"
    assert [(r["claim_id"], r["decision"]) for r in body["results"]] == [("B-1", "pass"), (None, "error"),
                                                                        ("B-2", "hold")]
    assert client.post("/v1/claims/batch", headers=AUTH, content=b"  ").status_code == 422
    assert client.post("/v1/claims/batch", content=lines.encode()).status_code == 401
