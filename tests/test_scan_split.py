"""Large multi-note files split into several jobs: every note exactly once (also with ``--resume``, a manifest's
``PATH#PART`` rows and a worker killed mid-chunk), the progress total, and small files left as they were."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.scan.multi_note import kill_worker_on_note, large_batch, three_message_batch, write_bytes
from fixtures.scan.note_files import COMPLEX_SIM, write_txt
from rtaudit.ingest.limits import ReadLimits
from rtaudit.scan import Job, Progress, ScanOptions, ScanRequest, read_manifest, run_scan, walk_folder
from rtaudit.scan.split import MIN_SPLIT_BYTES, NOTES_PER_JOB, SPLIT_ABOVE, split_job

KNOWN = ("77280", "77285", "77290", "77293", "77295", "77301")
NOTES = 300
IDS = [f"DOC-{index:04d}" for index in range(1, NOTES + 1)]


class Bar:
    """A progress display that remembers its total and how far it got."""

    def __init__(self) -> None:
        self.total = self.done = 0

    def hooks(self) -> Progress:
        def start(total: int) -> None:
            self.total = total

        def add_total(count: int) -> None:
            self.total += count

        def advance(record: dict) -> None:
            self.done += 1

        return Progress(start=start, advance=advance, add_total=add_total)


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _by_part(records: list[dict]) -> dict[str | None, dict]:
    """part -> record, failing on a note written twice."""
    counts = Counter(record["note"]["part"] for record in records)
    assert [part for part, count in counts.items() if count > 1] == []
    return {record["note"]["part"]: record for record in records}


def _scan(monkeypatch, folder: Path, out: Path, workers: int, **request) -> tuple[object, list[Job], Bar]:
    """``run_scan`` over ``folder``, with the jobs handed to the pool and the progress display."""
    import rtaudit.scan.runner as runner

    jobs: list[Job] = []
    real = runner.split_jobs

    def watched(*args, **kwargs) -> Iterator[Job]:
        for job in real(*args, **kwargs):
            jobs.append(job)
            yield job

    monkeypatch.setattr(runner, "split_jobs", watched)
    bar = Bar()
    manifest = request.pop("manifest", None)
    make_jobs = (lambda: iter(read_manifest(manifest, folder, KNOWN))) if manifest else (lambda: walk_folder(folder))
    summary = run_scan(ScanRequest(jobs=make_jobs, out=out, workers=workers, **request), bar.hooks())
    return summary, jobs, bar


def _chunks_of(jobs: list[Job], name: str) -> list[frozenset[str] | None]:
    return [job.only for job in jobs if os.path.basename(job.path) == name]


@pytest.fixture(scope="module")
def split_scan(tmp_path_factory):
    """A 300-message batch beside a three-message one and a text note, scanned with 2 workers."""
    folder = tmp_path_factory.mktemp("split") / "export"
    write_bytes(folder / "daily.hl7", large_batch(NOTES))
    write_bytes(folder / "small.hl7", three_message_batch())
    write_txt(folder / "single.txt", COMPLEX_SIM)
    out = folder.parent / "results.jsonl"
    with pytest.MonkeyPatch.context() as patch:
        summary, jobs, bar = _scan(patch, folder, out, 2)
    return folder, out, summary, jobs, bar


def test_a_300_message_batch_is_split_into_jobs_and_gives_300_records_exactly_once(split_scan):
    folder, out, summary, jobs, _ = split_scan
    chunks = _chunks_of(jobs, "daily.hl7")
    assert len(chunks) == -(-NOTES // NOTES_PER_JOB) and all(len(chunk) <= NOTES_PER_JOB for chunk in chunks)
    assert sorted(part for chunk in chunks for part in chunk) == IDS  # each note in exactly one chunk
    records = [r for r in _records(out) if r["note"]["path"] == str(folder / "daily.hl7")]
    parts = _by_part(records)
    assert sorted(parts) == IDS
    assert Counter(r["outcome"] for r in records) == {"supported": 200, "downcode": 100}
    assert len({r["note"]["file_sha256"] for r in records}) == 1


def test_small_and_single_note_files_stay_one_job_each(split_scan):
    _, _, _, jobs, _ = split_scan
    assert _chunks_of(jobs, "small.hl7") == [None] and _chunks_of(jobs, "single.txt") == [None]


def test_summary_counts_a_split_file_once(split_scan):
    _, _, summary, _, _ = split_scan
    assert summary.notes == NOTES + 4 and summary.errors == 1  # the small batch's bad base64
    assert len(summary.multi_note_files) == 2 and summary.multi_note_notes == NOTES + 3
    assert "files holding several notes: 2 (303 of the notes)" in summary.lines()


def test_progress_total_grows_to_the_notes_of_a_split_file(split_scan):
    *_, bar = split_scan
    assert bar.total == bar.done == NOTES + 4


def test_files_that_are_small_or_not_multi_note_are_never_listed(tmp_path, monkeypatch):
    import rtaudit.scan.worker as worker

    listed: list[str] = []
    monkeypatch.setattr(worker, "list_parts", lambda job, limits=None: listed.append(job.path) or ([], 0))
    folder = tmp_path / "export"
    write_bytes(folder / "sixty_four.hl7", large_batch(SPLIT_ABOVE))
    write_txt(folder / "long.txt", COMPLEX_SIM * (MIN_SPLIT_BYTES // len(COMPLEX_SIM) + 1))
    write_bytes(folder / "small.hl7", three_message_batch())
    options = ScanOptions()
    for job in walk_folder(folder):
        assert split_job(job, options).jobs == [job]
    assert listed == [str(folder / "sixty_four.hl7")]  # large and HL7: listed, 64 notes are not split
    assert split_job(Job(path="gone.hl7", file=str(tmp_path / "gone.hl7")), options).jobs[0].only is None


def test_resume_after_partial_output_of_a_split_batch_checks_only_the_missing_notes(split_scan, tmp_path,
                                                                                   monkeypatch):
    import rtaudit.ingest.hl7 as hl7
    import rtaudit.scan.worker as worker

    folder, first, *_ = split_scan
    daily = [line for line in first.read_text(encoding="utf-8").splitlines() if "daily.hl7" in line]
    kept = [line for line in daily if json.loads(line)["note"]["part"] in IDS[::3]]  # 100, spread over chunks
    torn = next(line for line in daily if json.loads(line)["note"]["part"] == "DOC-0002")
    out = tmp_path / "resumed.jsonl"
    out.write_text("".join(line + "\n" for line in kept) + torn[:100], encoding="utf-8")
    checked: list[str] = []
    real_check, real_parts = worker._FileRead.check, hl7.hl7_parts
    splits: list[str] = []

    def check(self, part, charges, options):
        checked.append(f"{os.path.basename(self.job.path)}#{part.id}")
        return real_check(self, part, charges, options)

    def hl7_parts(data, source, *args):
        splits.append(os.path.basename(source))
        return real_parts(data, source, *args)

    monkeypatch.setattr(worker._FileRead, "check", check)
    monkeypatch.setattr(hl7, "hl7_parts", hl7_parts)
    summary, jobs, bar = _scan(monkeypatch, folder, out, 1, resume=True)
    missing = sorted(set(IDS) - set(IDS[::3]))
    assert sorted(c.split("#")[1] for c in checked if c.startswith("daily.hl7")) == missing
    assert len(_chunks_of(jobs, "daily.hl7")) == -(-len(missing) // NOTES_PER_JOB)
    assert splits.count("daily.hl7") == 2  # listed once in the parent, split once for all its chunks
    parts = _by_part([r for r in _records(out) if r["note"]["path"] == str(folder / "daily.hl7")])
    assert sorted(parts) == IDS
    assert summary.resumed == 100 and bar.done == bar.total == NOTES + 4 - 100


def test_manifest_part_rows_inside_a_split_file_keep_their_own_codes(tmp_path, monkeypatch):
    folder = tmp_path / "export"
    write_bytes(folder / "daily.hl7", large_batch(NOTES))
    manifest = folder / "charges.csv"
    manifest.write_text("note,codes\ndaily.hl7,77290\ndaily.hl7#DOC-0200,77285\ndaily.hl7#DOC-0999,77290\n",
                        encoding="utf-8")
    out = tmp_path / "r.jsonl"
    summary, jobs, bar = _scan(monkeypatch, folder, out, 2, manifest=manifest)
    assert len(_chunks_of(jobs, "daily.hl7")) > 1
    parts = _by_part(_records(out))
    assert sorted(parts) == sorted([*IDS, "DOC-0999"])
    own, other = parts["DOC-0200"], parts["DOC-0201"]
    assert [c["code"] for c in own["codes"]] == ["77285"] and own["manifest"]["lines"] == [3]
    assert [c["code"] for c in other["codes"]] == ["77290"] and other["manifest"]["lines"] == [2]
    assert parts["DOC-0999"]["error"].startswith("no note 'DOC-0999' in this file, though the manifest names it")
    assert parts["DOC-0999"]["manifest"]["lines"] == [4]
    assert bar.done == bar.total == NOTES + 1 and summary.unlisted_notes == 0


def test_notes_a_manifest_leaves_out_of_a_split_file_are_counted_once(tmp_path, monkeypatch):
    folder = tmp_path / "export"
    write_bytes(folder / "daily.hl7", large_batch(NOTES))
    manifest = folder / "charges.csv"
    manifest.write_text("note,codes\n" + "".join(f"daily.hl7#{part},77290\n" for part in IDS[:100]),
                        encoding="utf-8")
    out = tmp_path / "r.jsonl"
    summary, jobs, bar = _scan(monkeypatch, folder, out, 2, manifest=manifest)
    assert sorted(part for chunk in _chunks_of(jobs, "daily.hl7") for part in chunk) == IDS[:100]
    assert sorted(_by_part(_records(out))) == IDS[:100]
    assert summary.unlisted_notes == 200 and bar.done == bar.total == 100
    assert "notes of multi-note files not named in the manifest (not scanned): 200" in summary.lines()


def test_a_worker_killed_mid_chunk_loses_only_its_note_and_the_progress_total_still_matches(tmp_path,
                                                                                          monkeypatch):
    """A chunk whose worker dies is run again alone, then note by note; the bar's total counted that chunk as one
    note, so it ended short of the notes the retries wrote (a progress bar past 100%)."""
    folder = tmp_path / "export"
    write_bytes(folder / "daily.hl7", large_batch(NOTES))
    kill_worker_on_note(monkeypatch, "DOC-0150")
    out = tmp_path / "r.jsonl"
    summary, jobs, bar = _scan(monkeypatch, folder, out, 2)
    parts = _by_part(_records(out))
    assert sorted(parts) == IDS
    assert "worker process checking this note died" in parts["DOC-0150"]["error"]
    assert summary.errors == 1 and len(_chunks_of(jobs, "daily.hl7")) > 1
    assert bar.done == bar.total == NOTES


def test_a_large_file_that_cannot_be_listed_is_the_same_error_record_as_before(tmp_path, monkeypatch):
    import rtaudit.scan.split as split

    folder = tmp_path / "export"
    write_bytes(folder / "daily.hl7", large_batch(NOTES))
    options = ScanOptions(limits=ReadLimits(max_parts=100))
    out = tmp_path / "r.jsonl"
    _, jobs, _ = _scan(monkeypatch, folder, out, 1, options=options)
    assert jobs == list(walk_folder(folder))
    monkeypatch.setattr(split, "SPLIT_ABOVE", 10**9)  # splitting off: what a scan wrote before
    before = tmp_path / "before.jsonl"
    _scan(monkeypatch, folder, before, 1, options=options)
    (record,) = _records(out)
    assert _records(before) == [record]
    assert record["note"]["part"] is None and "300 notes in one file, over the 100-note limit" in record["error"]


def test_a_reader_error_while_listing_a_large_file_in_the_parent_does_not_stop_the_scan(tmp_path, monkeypatch):
    import rtaudit.ingest.hl7 as hl7

    def broken(*args):
        raise RuntimeError("a reader bug")

    folder = tmp_path / "export"
    write_bytes(folder / "daily.hl7", large_batch(NOTES))
    write_txt(folder / "single.txt", COMPLEX_SIM)
    monkeypatch.setattr(hl7, "hl7_parts", broken)
    out = tmp_path / "r.jsonl"
    summary, jobs, _ = _scan(monkeypatch, folder, out, 1)
    assert jobs == list(walk_folder(folder))
    records = {os.path.basename(r["note"]["path"]): r for r in _records(out)}
    assert records["daily.hl7"]["note"]["part"] is None
    assert records["daily.hl7"]["error"].startswith("internal error (RuntimeError)")
    assert records["single.txt"]["outcome"] == "supported" and summary.notes == 2


def test_notes_of_a_chunk_gone_from_a_file_changed_after_the_split_are_error_records_not_lost(tmp_path):
    """A file rewritten between the split and its chunk's turn lost the chunk's notes without a record."""
    from rtaudit.scan.worker import check_job, prepare

    prepare(ScanOptions())
    batch = write_bytes(tmp_path / "daily.hl7", three_message_batch())
    job = Job(path=str(batch), file=str(batch), only=frozenset({"DOC-0001", "DOC-0404"}))
    result = check_job(job)
    outcomes = {b["note"]["part"]: (b["outcome"], b["error"]) for b in result["briefs"]}
    assert outcomes == {"DOC-0001": ("supported", None),
                        "DOC-0404": ("error", "no note 'DOC-0404' in this file any more (it changed while the "
                                              "scan ran)")}


def test_a_chunk_of_a_split_file_takes_a_round_trip_of_its_own():
    from rtaudit.scan.pool import CHUNK, _next_chunk

    small = [Job(path=f"{index}.txt", file=f"{index}.txt") for index in range(6)]
    chunk = Job(path="daily.hl7", file="daily.hl7", only=frozenset(IDS[:NOTES_PER_JOB]))
    jobs = iter([*small[:2], chunk, *small[2:]])
    assert _next_chunk(jobs) == (small[:2] + [chunk], True)
    assert _next_chunk(jobs) == (small[2:2 + CHUNK], True)
    assert _next_chunk(jobs) == ([], False)


def test_a_file_listed_by_its_content_not_its_name(tmp_path):
    """An HL7 batch saved as .txt is split like one saved as .hl7."""
    batch = write_bytes(tmp_path / "daily.txt", large_batch(2 * NOTES_PER_JOB + 1))
    jobs = split_job(Job(path=str(batch), file=str(batch)), ScanOptions()).jobs
    assert [len(job.only) for job in jobs] == [NOTES_PER_JOB, NOTES_PER_JOB, 1]
