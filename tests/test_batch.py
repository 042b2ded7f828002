"""protectcalc batch: the columnar engine gives the scalar engine's answers, row for row."""

from __future__ import annotations

import importlib.util
import random
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("polars", reason="protectcalc[batch] (Polars) is not installed")

import polars as pl

from protectcalc.batch import rows as R
from protectcalc.batch.run import Options, Stats, evaluate_chunk, run_batch
from protectcalc.cli import run

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.batch_diff import compare, order_row

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CSV = (
    "order_id,placed,paid,shipped,delivered,confirmed,dispute_opened,seller_responded_1,"
    "buyer_responded_1,tz,buyer_country,delivery_days\n"
    """a,2026-01-01,2026-01-01T10:00,2026-01-03,,,,,,Europe/Moscow,,30
b,,,2026-01-03,2026-01-20,2026-01-21T12:30,2026-01-25,2026-01-27,2026-02-03,UTC,RU,
c,,,2026-01-03,2026-01-02,,,,,UTC,,
d,2026-02-30,,,,,,,,UTC,,
"""
)


ZONES = ("UTC", "America/New_York", "Australia/Lord_Howe")
"""Few zones in the test run: each (rule set, zone) group has a fixed cost; the benchmark-size
differential (benchmarks/batch_diff.py) covers many zones."""


def _items(count: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    items = [order_row(rng, index) for index in range(count)]
    for item in items:
        item["tz"] = rng.choice(ZONES)
    return items


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(min_value=0, max_value=2**31))
def test_columns_equal_the_scalar_engine(seed: int) -> None:
    items = _items(100, seed)
    compared, differ, shown = compare(items, ())
    assert (compared, differ) == (100, 0), "\n".join(shown)


def test_the_cli_writes_rows_and_reports_bad_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "orders.csv"
    source.write_text(CSV)
    out = tmp_path / "out.csv"
    code = run(["batch", str(source), "-o", str(out), "--as-of", "2026-02-01"])
    assert code == 1
    err = capsys.readouterr().err
    assert "protectcalc: row 3: delivered 2026-01-02: is before --shipped 2026-01-03" in err
    assert "protectcalc: row 4: placed 2026-02-30: is not a real date" in err
    frame = pl.read_csv(out, infer_schema=False)
    assert frame.get_column("order_id").to_list() == ["a", "b", "c", "d"]
    first = frame.row(0, named=True)
    assert first["phase"] == "in_transit"
    assert first["protection_end"] == "2026-02-02T00:00+03:00"
    assert first["summary_safe_dispute_date"] == "2026-02-01"
    assert first["warnings"] == "delivery_after_protection seeds_disagree"
    assert first["error"] is None
    second = frame.row(1, named=True)
    assert second["phase"] == "dispute_awaiting_seller"
    assert second["next_milestone"] == "seller_response_due_2"
    assert second["next_deadline"] == "2026-02-08T00:00+00:00"
    assert second["escalated_response_due"] == "2026-03-10"
    assert second["summary_total_days"] == "38"


def test_unknown_columns_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "orders.csv"
    source.write_text("order_id,placed,colour\n1,2026-01-01,red\n")
    assert run(["batch", str(source)]) == 2
    assert "colour: unknown column" in capsys.readouterr().err


def test_parquet_and_jsonl_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_text(CSV)
    frame = pl.read_csv(source, infer_schema=False)
    frame.write_parquet(tmp_path / "orders.parquet")
    frame.write_ndjson(tmp_path / "orders.jsonl")
    outs = []
    for name, out in (("orders.parquet", "o.parquet"), ("orders.jsonl", "o.jsonl")):
        assert (
            run(["batch", str(tmp_path / name), "-o", str(tmp_path / out), "--as-of", "2026-02-01"])
            == 1
        )
    outs.append(pl.read_parquet(tmp_path / "o.parquet"))
    outs.append(pl.read_ndjson(tmp_path / "o.jsonl", infer_schema_length=None))
    assert (
        outs[0].get_column("protection_end").to_list()
        == outs[1].get_column("protection_end").to_list()
    )
    assert outs[0].get_column("protection_end").to_list()[:2] == [
        "2026-02-02T00:00+03:00",
        "2026-02-05T12:30+00:00",
    ]


def _frame(count: int) -> pl.DataFrame:
    items = _items(count, 3)
    columns = ["order_id", *R.SCALAR_COLUMNS]
    columns += [f"{e}_{k}" for e in R.REPEATED_COLUMNS for k in range(1, 4)]
    return pl.DataFrame(
        [{c: i.get(c) for c in columns} for i in items],
        schema=dict.fromkeys(columns, pl.String),
        orient="row",
    )


@pytest.mark.skipif(
    importlib.util.find_spec("dask") is None or importlib.util.find_spec("distributed") is None,
    reason="protectcalc[dask] (dask.distributed) is not installed",
)
def test_a_two_worker_dask_cluster_gives_the_single_process_rows(tmp_path: Path) -> None:
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    from protectcalc.batch.distributed import compute_dask

    frame = _frame(200)
    folder = tmp_path / "orders"
    folder.mkdir()
    for index in range(4):
        frame.slice(index * 50, 50).write_parquet(folder / f"part-{index}.parquet")
    options = Options(now=NOW, zone=ZoneInfo("UTC"))
    single = evaluate_chunk(frame, options, Stats())
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
        Client(cluster),
    ):
        result = compute_dask(dd.read_parquet(str(folder)), options)
    got = pl.from_pandas(result["frame"]).select(single.columns)
    assert got.height == 200
    assert got.cast(pl.String).fill_null("").rows() == single.cast(pl.String).fill_null("").rows()


def test_a_csv_with_a_byte_order_mark_and_a_newline_in_a_quoted_cell(tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_bytes(b'\xef\xbb\xbforder_id,placed,tz\n"a\nb",2026-01-01,UTC\n')
    out = tmp_path / "out.csv"
    assert run(["batch", str(source), "-o", str(out), "--as-of", "2026-01-05"]) == 0
    frame = pl.read_csv(out, infer_schema=False)
    assert frame.get_column("order_id").to_list() == ["a\nb"]
    assert frame.get_column("payment_due").to_list() == ["2026-01-21T00:00+00:00"]


def test_skipped_hours_and_answers_out_of_order_are_refused_in_columns() -> None:
    """Worded as the command line words them, without the scalar engine (stats.scalar)."""
    frame = pl.DataFrame(
        {
            "order_id": ["gap", "gap-later", "answers", "closed", "fine"],
            "placed": ["2026-03-08T02:30", "2026-03-01", "2026-01-01", "2026-01-01", None],
            "paid": [None, "2026-03-08T02:15", None, None, None],
            "shipped": [None, "2026-03-08T02:30", "2026-01-03", "2026-01-03", "2026-01-03"],
            "dispute_opened": [None, None, "2026-01-25", "2026-01-25", None],
            "seller_responded_1": [None, None, "2026-01-27", "2026-01-27", None],
            "buyer_responded_1": [None, None, "2026-01-26T10:00", "2026-01-28", None],
            "dispute_closed": [None, None, None, "2026-01-27T08:00", None],
            "tz": ["America/New_York"] * 5,
        }
    )
    stats = Stats()
    result = evaluate_chunk(frame, Options(now=NOW, zone=ZoneInfo("UTC")), stats)
    assert result.get_column("error").to_list() == [
        "placed 2026-03-08T02:30: does not exist in America/New_York "
        "(clocks skip it for daylight saving)",
        "paid 2026-03-08T02:15: does not exist in America/New_York "
        "(clocks skip it for daylight saving)",
        "buyer_responded 2026-01-26T10:00-05:00: is before --seller-responded 2026-01-27",
        "dispute_closed 2026-01-27T08:00-05:00: is before --buyer-responded 2026-01-28",
        None,
    ]
    assert (stats.failed, stats.scalar) == (4, 0)
    for item in frame.iter_rows(named=True):
        expected = R.scalar_row(
            item,
            rules=None,
            readings=(),
            as_of=None,
            now=NOW,
            zone=ZoneInfo("UTC"),
            milestone_ids=[],
        )
        assert (
            result.row(by_predicate=pl.col("order_id") == item["order_id"], named=True)["error"]
            == expected["error"]
        )


def test_jsonl_is_read_chunk_by_chunk_with_the_same_rows(tmp_path: Path) -> None:
    """JSON Lines are read a chunk of lines at a time (memory does not grow with the file):
    chunks of two rows give the rows one chunk gives, blank lines are skipped, and types
    inferred per chunk (a number in one, a text in another) become the same text."""
    from protectcalc.batch.run import read_chunks

    lines = [
        '{"order_id": "a", "shipped": "2026-01-03", "delivery_days": 30}',
        "",
        '{"order_id": "b", "shipped": "2026-01-03", "delivery_days": "30"}',
        '{"order_id": "c", "placed": "2026-01-01"}',
        '{"order_id": "d", "confirmed": "2026-01-21T12:30", "tz": "Europe/Moscow"}',
        '{"order_id": "e", "shipped": "2026-01-05"}',
    ]
    source = tmp_path / "orders.jsonl"
    source.write_text("\n".join(lines) + "\n")
    whole = pl.concat(read_chunks(str(source), 1000), how="diagonal")
    small = list(read_chunks(str(source), 2))
    assert len(small) == 3
    assert pl.concat(small, how="diagonal").select(whole.columns).equals(whole)
    assert whole.get_column("delivery_days").to_list() == ["30", "30", None, None, None]
    outputs = []
    for rows in (1000, 2):
        target = tmp_path / f"out{rows}.csv"
        stats = run_batch(str(source), str(target), Options(now=NOW, chunk_rows=rows))
        assert (stats.orders, stats.failed) == (5, 0)
        outputs.append(target.read_text())
    assert outputs[0] == outputs[1]


def test_jsonl_refusals_leave_no_output(tmp_path: Path) -> None:
    from protectcalc.batch.run import run_batch as batch
    from protectcalc.errors import InputError

    source = tmp_path / "orders.jsonl"
    target = tmp_path / "out.csv"
    later = ['{"order_id": "a", "placed": "2026-01-01"}'] * 3 + ['{"order_id": "z", "colour": 1}']
    source.write_text("\n".join(later) + "\n")
    with pytest.raises(InputError, match="colour"):  # an unknown key in the second chunk
        batch(str(source), str(target), Options(now=NOW, chunk_rows=3))
    assert not target.exists() and list(tmp_path.glob(".out.csv*")) == []
    source.write_text("\n\n")
    with pytest.raises(InputError, match="no JSON lines"):
        batch(str(source), str(target), Options(now=NOW, chunk_rows=3))
    assert not target.exists()


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_csv_on_stdin_streams_and_equals_the_file(tmp_path: Path, bom: bytes) -> None:
    """CSV on stdin (a real pipe: its header is peeked, the rows streamed in chunks) gives the
    rows the same file gives; the unknown column is refused before any row."""
    import subprocess

    source = tmp_path / "orders.csv"
    source.write_bytes(bom + CSV.encode())
    command = [sys.executable, "-m", "protectcalc", "batch", "--as-of", "2026-02-01"]
    from_file = subprocess.run([*command, str(source)], capture_output=True, check=False)
    piped = subprocess.run(
        [*command, "-"], input=bom + CSV.encode(), capture_output=True, check=False
    )
    assert (piped.returncode, from_file.returncode) == (1, 1)
    assert piped.stdout == from_file.stdout
    assert piped.stdout.decode().splitlines()[1].startswith("a,aliexpress,Europe/Moscow,")
    blank_first = subprocess.run(  # no header on the first line: stdin is read whole
        [*command, "-"], input=b"\n" + CSV.encode(), capture_output=True, check=False
    )
    assert (blank_first.returncode, blank_first.stdout) == (1, from_file.stdout)
    bad = subprocess.run(
        [*command, "-"], input=b"order_id,colour\nx,red\n", capture_output=True, check=False
    )
    assert bad.returncode == 2 and bad.stdout == b""
    assert b"colour: unknown column" in bad.stderr
