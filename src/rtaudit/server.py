"""``rtaudit serve``: the HTTP adapter (FastAPI) over the public engine API and the claim checker.

POST /v1/check (a note and codes -> the JSON contract report), POST /v1/claims (a claim -> its decision, recorded
in the audit trail), GET /v1/checklists, GET /healthz. Bearer-token auth on /v1, a request-size limit, JSON errors
that never echo the request (it may hold note text).
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rtaudit.api import check_note
from rtaudit.claims.audit import AuditLog
from rtaudit.claims.decide import NLP_LOCK, ClaimChecker, overall
from rtaudit.claims.inputs import read_claims
from rtaudit.claims.model import CODE_PATTERN, MAX_NOTE_CHARS, Claim, Decision, InputError, Versions
from rtaudit.claims.notes import NoteError
from rtaudit.claims.rules import load_claim_rules
from rtaudit.report.model import Report

log = logging.getLogger("rtaudit.server")
DEFAULT_MAX_BODY = 5 * 1024 * 1024
LOOPBACK = "127.0.0.1"
BEARER = HTTPBearer(auto_error=False, description="the token given to rtaudit serve")


def read_token(token_file: str | Path | None = None) -> str | None:
    """The bearer token: $RTAUDIT_TOKEN, else the first line of ``token_file`` (or of $RTAUDIT_TOKEN_FILE)."""
    token = os.environ.get("RTAUDIT_TOKEN", "").strip()
    if token:
        return token
    path = token_file or os.environ.get("RTAUDIT_TOKEN_FILE")
    if not path:
        return None
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"token file {path}: cannot read ({exc.strerror})") from None
    token = lines[0].strip() if lines else ""
    if not token:
        raise ValueError(f"token file {path}: empty")
    return token


def startup_problem(host: str, token: str | None, no_token: bool) -> str | None:
    """Why the server must not start, or None: a token is needed unless bound to 127.0.0.1 with --no-token."""
    if token and no_token:
        return "a token is configured and --no-token was given; choose one"
    if token:
        return None
    if not no_token:
        return "no bearer token: set RTAUDIT_TOKEN or --token-file (or --no-token on 127.0.0.1 only)"
    if host != LOOPBACK:
        return f"--no-token is allowed only when bound to {LOOPBACK}, not {host}"
    return None


@dataclass(frozen=True)
class ServerSettings:
    """How the app runs; ``token`` None serves without auth (only after :func:`startup_problem` allowed it)."""

    token: str | None
    audit_db: Path | None = None
    notes_dir: Path | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY
    claim_rules: str | None = None
    warm: bool = True

    @classmethod
    def from_env(cls) -> ServerSettings:
        """Settings from the RTAUDIT_* environment (the way ``rtaudit serve`` hands them to its workers)."""
        token = read_token()
        if token is None and os.environ.get("RTAUDIT_NO_TOKEN") != "1":
            raise RuntimeError("no bearer token configured (RTAUDIT_TOKEN or RTAUDIT_TOKEN_FILE)")
        notes = os.environ.get("RTAUDIT_NOTES_DIR")
        audit = os.environ.get("RTAUDIT_AUDIT_DB")
        return cls(token=token, audit_db=Path(audit) if audit else None, notes_dir=Path(notes) if notes else None,
                   max_body_bytes=int(os.environ.get("RTAUDIT_MAX_BODY_BYTES", DEFAULT_MAX_BODY)),
                   claim_rules=os.environ.get("RTAUDIT_CLAIM_RULES") or None)


class ErrorBody(BaseModel):
    """Every error response."""

    error: str
    claim_id: str | None = None
    detail: list[dict[str, Any]] | None = None


class CheckRequest(BaseModel):
    """One note and the codes billed for it (and the other codes on the claim)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)
    codes: list[Annotated[str, Field(pattern=CODE_PATTERN)]] = Field(default_factory=list, max_length=20)
    claim_codes: list[Annotated[str, Field(pattern=CODE_PATTERN)]] = Field(default_factory=list, max_length=50)


class ChecklistInfo(BaseModel):
    code: str
    title: str
    version: str
    ladder: str | None
    level: int | None
    sources: list[str]


class RuleInfo(BaseModel):
    id: str
    kind: str
    title: str
    severity: str
    sources: list[str]


class Checklists(BaseModel):
    """What the service decides with."""

    versions: Versions
    checklists: list[ChecklistInfo]
    claim_rules: list[RuleInfo]


class Health(BaseModel):
    status: str


class BatchResult(BaseModel):
    """``POST /v1/claims/batch``: one decision or error record per claim, in input order, and the hook's status."""

    status: Literal["pass", "hold", "error"]
    results: list[Decision | InputError]


def _error(status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content=body.model_dump(exclude_none=True), headers=headers)


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 before the app sees them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = _error(413, ErrorBody(error=f"request body over {self.max_bytes} bytes"))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await (too_large if declared.isdigit() else _error(400, ErrorBody(error="bad Content-Length")))(
                scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.max_bytes:
                await too_large(scope, receive, send)
                return
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorBody, "description": "missing or bad token"}}
_BODY_ERRORS: dict[int | str, dict[str, Any]] = _AUTH_ERRORS | {
    413: {"model": ErrorBody, "description": "request body too large"},
    422: {"model": ErrorBody, "description": "invalid request"},
    400: {"model": ErrorBody, "description": "bad request"}}


def create_app(settings: ServerSettings) -> FastAPI:
    """The FastAPI application."""
    rules = load_claim_rules(settings.claim_rules)
    audit = AuditLog(settings.audit_db) if settings.audit_db else None
    checker = ClaimChecker(rules=rules, notes_dir=settings.notes_dir, audit=audit, channel="serve")

    def require_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) -> None:
        if settings.token is None:
            return
        given = credentials.credentials.encode() if credentials else b""
        if not hmac.compare_digest(given, settings.token.encode()):
            raise HTTPException(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.warm:
            with NLP_LOCK:
                check_note("Warm-up.", ["77280"], checklists=checker.checklists)
        yield

    app = FastAPI(title="rtaudit", version="1", lifespan=lifespan,
                  description="Radiation-oncology documentation checks and pre-bill claim decisions.")
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    authed = [Depends(require_token)]

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()]
        return _error(422, ErrorBody(error="invalid request", detail=detail[:20]))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, ErrorBody(error=str(exc.detail)), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error on %s: %s", request.url.path, type(exc).__name__)
        return _error(500, ErrorBody(error="internal error"))

    @app.get("/healthz", response_model=Health)
    def healthz() -> Health:
        """Liveness (no auth)."""
        return Health(status="ok")

    @app.get("/v1/checklists", response_model=Checklists, dependencies=authed, responses=_AUTH_ERRORS)
    def checklists() -> Checklists:
        """The checklists and claim rules in force, with their versions and sources."""
        return Checklists(
            versions=checker.versions,
            checklists=[ChecklistInfo(code=c.code, title=c.title, version=c.version, ladder=c.ladder, level=c.level,
                                      sources=c.sources)
                        for c in sorted(checker.checklists.checklists.values(), key=lambda c: c.code)],
            claim_rules=[RuleInfo(id=r.id, kind=r.kind, title=r.title, severity=r.severity, sources=r.sources)
                         for r in rules.rules])

    @app.post("/v1/check", response_model=Report, dependencies=authed, responses=_BODY_ERRORS)
    def check(request: CheckRequest) -> Report:
        """Check one note against its billed codes (the JSON contract of ``rtaudit check --format json``)."""
        with NLP_LOCK:
            return check_note(request.text, request.codes, request.claim_codes, checklists=checker.checklists)

    @app.post("/v1/claims", response_model=Decision, dependencies=authed, responses=_BODY_ERRORS)
    def claims(claim: Claim) -> Decision | JSONResponse:
        """Decide one claim: pass or hold per line, with reasons; recorded in the audit trail."""
        try:
            return checker.check(claim)
        except NoteError as exc:
            return _error(422, ErrorBody(error=str(exc), claim_id=claim.claim_id))

    @app.post("/v1/claims/batch", response_model=BatchResult, dependencies=authed, responses=_BODY_ERRORS,
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": {}}, "application/fhir+json": {"schema": {}},
                  "x-application/hl7-v2+er7": {"schema": {}}}}})
    async def claims_batch(request: Request) -> BatchResult | JSONResponse:
        """Decide every claim of a body in any format ``rtaudit hook`` reads (JSON lines, a JSON claim or list,
        FHIR Claim/Bundle, HL7 v2 DFT^P03 + MDM^T02); bad claims get error records, the others are decided."""
        body = await request.body()
        if not body.strip():
            return _error(422, ErrorBody(error="empty request body"))
        items = list(read_claims(body.splitlines(keepends=True), name="body"))
        results = [await run_in_threadpool(checker.run, item, source) for source, item in items]
        return BatchResult(status=overall(r.decision for r in results), results=results)

    return app


def app_from_env() -> FastAPI:
    """uvicorn factory: the app configured from RTAUDIT_* variables (used by ``rtaudit serve`` workers)."""
    return create_app(ServerSettings.from_env())
