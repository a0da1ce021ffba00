"""Latency of a single-note claim through the pre-bill adapters, beside in-process ``check_note`` in the same run
(run by hand, not in CI; loopback only, bounded request counts).

Rows: ``check_note`` in-process (the engine floor); ``ClaimChecker.check`` in-process (claim rules, audit write);
a warm ``rtaudit hook`` process fed one JSON line at a time over a pipe; the same hook answering re-sent claims
from the audit trail; ``rtaudit serve`` on 127.0.0.1 under N concurrent keep-alive clients. Every claim id is new,
so nothing is answered from the audit trail except in the re-send row. Target: p95 <= 50 ms warm.

    python benchmarks/hook_latency.py [--requests 200] [--clients 4] [--workers 1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "tests" / "fixtures" / "claims" / "notes"
CASES = [("sim_complex", ["77290"]), ("sim_4dct", ["77290", "77293"]), ("plan_3d", ["77295"]),
         ("imrt_plan", ["77301"]), ("brachy_second_sim", ["77290"])]
MAX_REQUESTS = 2000
RTAUDIT = [sys.executable, "-m", "rtaudit.cli"]


def claims(count: int, tag: str) -> list[dict]:
    """``count`` single-note claims with unique ids, cycling through the fixture notes."""
    texts = {name: (NOTES / f"{name}.txt").read_text(encoding="utf-8") for name, _ in CASES}
    out = []
    for n in range(count):
        name, codes = CASES[n % len(CASES)]
        out.append({"claim_id": f"{tag}-{n}", "payer": "medicare", "place_of_service": "11",
                    "lines": [{"code": c, "modifiers": ["26"], "date_of_service": "2025-03-18", "note": "n"}
                              for c in codes],
                    "notes": [{"id": "n", "text": texts[name]}]})
    return out


def summary(name: str, seconds: list[float]) -> tuple[str, int, float, float, float]:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return name, len(ms), statistics.median(ms), p95, ms[-1]


def in_process(requests: int, audit_dir: Path) -> list[tuple]:
    from rtaudit.api import check_note
    from rtaudit.claims.audit import AuditLog
    from rtaudit.claims.decide import ClaimChecker
    from rtaudit.claims.model import Claim

    batch = claims(requests, "inproc")
    check_note(batch[0]["notes"][0]["text"], ["77290"])  # load the pipeline
    note_times = []
    for claim in batch:
        start = time.perf_counter()
        check_note(claim["notes"][0]["text"], [line["code"] for line in claim["lines"]])
        note_times.append(time.perf_counter() - start)
    checker = ClaimChecker(audit=AuditLog(audit_dir / "inproc.sqlite3"))
    claim_times = []
    for claim in batch:
        model = Claim.model_validate(claim)
        start = time.perf_counter()
        checker.check(model)
        claim_times.append(time.perf_counter() - start)
    return [summary("check_note, in-process", note_times),
            summary("ClaimChecker.check, in-process + audit", claim_times)]


def hook(requests: int, audit_dir: Path) -> list[tuple]:
    process = subprocess.Popen([*RTAUDIT, "hook", "--audit-db", str(audit_dir / "hook.sqlite3")],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdin and process.stdout

    def ask(claim: dict) -> float:
        start = time.perf_counter()
        process.stdin.write(json.dumps(claim).encode() + b"\n")
        process.stdin.flush()
        answer = process.stdout.readline()
        elapsed = time.perf_counter() - start
        assert json.loads(answer)["claim_id"] == claim["claim_id"]
        return elapsed

    ask(claims(1, "warm-hook")[0])
    batch = claims(requests, "hook")
    fresh = [ask(claim) for claim in batch]
    replayed = [ask(claim) for claim in batch[: max(1, requests // 4)]]
    process.stdin.close()
    process.wait(30)
    return [summary("rtaudit hook, warm process (pipe)", fresh),
            summary("rtaudit hook, re-sent claim (audit replay)", replayed)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(requests: int, clients: int, workers: int, audit_dir: Path) -> list[tuple]:
    token = secrets.token_urlsafe(24)
    token_file = audit_dir / "token"
    token_file.write_text(token, encoding="utf-8")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("RTAUDIT_TOKEN", "RTAUDIT_TOKEN_FILE")}
    process = subprocess.Popen([*RTAUDIT, "serve", "--host", "127.0.0.1", "--port", str(port), "--token-file",
                                str(token_file), "--audit-db", str(audit_dir / "serve.sqlite3"), "--workers",
                                str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        deadline = time.time() + 120
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                health = connection.getresponse()
                health.read()
                if health.status == 200:
                    break
            except OSError:
                if time.time() > deadline or process.poll() is not None:
                    raise RuntimeError("rtaudit serve did not start") from None
                time.sleep(0.25)
        for claim in claims(clients * workers * 2, "warm-serve"):  # every worker's pipeline loaded
            connection.request("POST", "/v1/claims", body=json.dumps(claim), headers=headers)
            connection.getresponse().read()
        batch = claims(requests, "serve")
        times: list[float] = []
        lock = threading.Lock()

        def client(share: list[dict]) -> None:
            own = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for claim in share:
                body = json.dumps(claim)
                start = time.perf_counter()
                own.request("POST", "/v1/claims", body=body, headers=headers)
                response = own.getresponse()
                response.read()
                elapsed = time.perf_counter() - start
                assert response.status == 200, response.status
                with lock:
                    times.append(elapsed)

        threads = [threading.Thread(target=client, args=(batch[i::clients],)) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        process.terminate()
        process.wait(30)
    plural = "s" if workers > 1 else ""
    return [summary(f"rtaudit serve, {clients} loopback clients, {workers} worker{plural}", times)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help=f"claims per row (at most {MAX_REQUESTS})")
    parser.add_argument("--clients", type=int, default=4, help="concurrent loopback clients for serve")
    parser.add_argument("--workers", type=int, default=1, help="serve worker processes")
    args = parser.parse_args()
    requests = max(1, min(args.requests, MAX_REQUESTS))
    with tempfile.TemporaryDirectory() as folder:
        audit_dir = Path(folder)
        rows = in_process(requests, audit_dir) + hook(requests, audit_dir) + serve(requests, args.clients,
                                                                                   args.workers, audit_dir)
    print(f"single-note claims, {requests} per row, {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    print(f"| {'path':<52} | {'n':>4} | {'p50 ms':>7} | {'p95 ms':>7} | {'max ms':>7} |")
    print(f"|{'-' * 54}|{'-' * 6}|{'-' * 9}|{'-' * 9}|{'-' * 9}|")
    for name, count, p50, p95, top in rows:
        print(f"| {name:<52} | {count:>4} | {p50:>7.1f} | {p95:>7.1f} | {top:>7.1f} |")


if __name__ == "__main__":
    main()
