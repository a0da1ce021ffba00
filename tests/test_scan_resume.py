"""Interrupted runs: ``kill -9`` and Ctrl-C leave a valid output, and ``--resume`` finishes it with every note
exactly once, keeping done notes (same path and file SHA-256) and redoing changed, torn or new ones."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixtures.scan.note_files import NOTES, write_txt
from rtaudit.cli import app

RTAUDIT = [sys.executable, "-m", "rtaudit.cli"]
runner = CliRunner()


def _export(folder: Path, count: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    texts = list(NOTES.values())
    paths = []
    for index in range(count):
        text = texts[index % len(texts)].replace("MRN: TST-000101", f"MRN: TST-{index:06d}")
        paths.append(str(write_txt(folder / f"note_{index:04d}.txt", text)))
    return paths


def _complete_lines(path: Path) -> list[str]:
    data = path.read_bytes().decode("utf-8")
    lines = data.split("\n")
    return lines[:-1]  # what follows the last newline is at most a torn record


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _wait_for_lines(path: Path, count: int, process: subprocess.Popen, limit: float = 90.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= count:
            return
        assert process.poll() is None, "the scan ended before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError("the scan wrote nothing in time")


def _resume(folder: Path, out: Path, *extra: str):
    return runner.invoke(app, ["scan", str(folder), "--out", str(out), "--resume", "-w", "1", *extra])


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the worker processes")
def test_kill_9_leaves_a_valid_file_and_resume_finishes_it_exactly_once(tmp_path):
    paths = _export(tmp_path / "export", 400)
    out = tmp_path / "results.jsonl"
    process = subprocess.Popen([*RTAUDIT, "scan", str(tmp_path / "export"), "--out", str(out), "--workers", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_lines(out, 20, process)
    workers = _children(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = _complete_lines(out)
    assert 20 <= len(before) < 400
    assert all(json.loads(line)["outcome"] for line in before)  # every whole line is a whole record
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.2)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "orphaned workers still running"

    result = _resume(tmp_path / "export", out)
    assert result.exit_code == 1, result.output
    after = out.read_text().splitlines()
    assert sorted(json.loads(line)["note"]["path"] for line in after) == sorted(paths)
    assert after[: len(before)] == before  # done notes kept as they were, first
    assert f"{len(before)} kept from the earlier run" in result.output


def test_ctrl_c_stops_cleanly_then_resume(tmp_path):
    paths = _export(tmp_path / "export", 300)
    out = tmp_path / "results.jsonl"
    process = subprocess.Popen([*RTAUDIT, "scan", str(tmp_path / "export"), "--out", str(out), "--workers", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _wait_for_lines(out, 10, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted" in stderr and "--resume" in stderr and "Traceback" not in stderr
    data = out.read_text()
    assert data.endswith("\n") and all(json.loads(line) for line in data.splitlines())
    _resume(tmp_path / "export", out)
    assert sorted(json.loads(line)["note"]["path"] for line in out.read_text().splitlines()) == sorted(paths)


def test_resume_redoes_torn_changed_and_new_notes_and_drops_removed_ones(tmp_path):
    folder = tmp_path / "export"
    paths = _export(folder, 4)
    out = tmp_path / "r.jsonl"
    assert runner.invoke(app, ["scan", str(folder), "--out", str(out), "-w", "1"]).exit_code == 1
    first = {json.loads(line)["note"]["path"]: line for line in out.read_text().splitlines()}
    torn = first.pop(paths[3])
    out.write_text("".join(line + "\n" for line in first.values()) + torn[: len(torn) // 2])  # killed mid-line
    Path(paths[1]).write_text(NOTES["unsigned"])  # changed since: must be checked again
    Path(paths[2]).unlink()  # gone since: its record goes
    _export(folder / "new", 1)  # a note added since
    result = _resume(folder, out)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    by_path = {r["note"]["path"]: r for r in records}
    assert len(records) == len(by_path) == 4
    assert set(by_path) == {paths[0], paths[1], paths[3], str(folder / "new" / "note_0000.txt")}
    assert by_path[paths[1]]["outcome"] == "unsupported"  # re-checked
    assert "1 kept from the earlier run" in result.output


def test_resume_when_nothing_is_left_to_do(tmp_path):
    folder = tmp_path / "export"
    _export(folder, 2)
    out = tmp_path / "r.jsonl"
    runner.invoke(app, ["scan", str(folder), "--out", str(out), "-w", "1"])
    before = out.read_text()
    result = _resume(folder, out)
    assert out.read_text() == before and "2 kept from the earlier run" in result.output


def test_csv_resume_trims_a_torn_row(tmp_path):
    folder = tmp_path / "export"
    paths = _export(folder, 4)
    out = tmp_path / "r.csv"
    runner.invoke(app, ["scan", str(folder), "--out", str(out), "--format", "csv", "--bom", "-w", "1"])
    data = out.read_bytes()
    out.write_bytes(data[: data.rfind(b"\r\n", 0, len(data) - 2) + 2] + b'"' + data[-40:-2])  # half a row
    result = _resume(folder, out, "--format", "csv", "--bom")
    text = out.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf") and text.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.DictReader(text.decode("utf-8-sig").splitlines()))
    assert sorted(r["path"] for r in rows) == sorted(paths)
    assert "3 kept from the earlier run" in result.output


def test_resume_needs_a_file(tmp_path):
    result = runner.invoke(app, ["scan", str(tmp_path), "--out", "-", "--resume"])
    assert result.exit_code == 2 and "--resume needs an output file" in result.output
