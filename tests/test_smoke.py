"""The 53-day example of 000 end to end, through the core and the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from protectcalc.cli import app
from tests.conftest import timeline_for

MOSCOW = ZoneInfo("Europe/Moscow")


def test_accidental_confirmation_gives_the_53_day_plan() -> None:
    result = timeline_for(shipped="2026-02-10", confirmed="2026-03-01", tz="Europe/Moscow")
    end = result.milestone("protection_end")
    assert end is not None and end.at == datetime(2026, 3, 16, tzinfo=MOSCOW)
    safe = result.milestone("safe_dispute_open")
    assert safe is not None and safe.day.isoformat() == "2026-03-15"
    assert result.summary.total_days == 53
    assert result.summary.escalation == datetime(2026, 3, 1, tzinfo=MOSCOW) + timedelta(days=53)


def test_cli_json_contract(runner: CliRunner) -> None:
    outcome = runner.invoke(
        app,
        [
            "timeline",
            "--confirmed",
            "2026-03-01",
            "--tz",
            "Europe/Moscow",
            "--format",
            "json",
            "--as-of",
            "2026-03-02",
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    data = json.loads(outcome.stdout)
    assert data["schema"] == 1
    assert data["summary"]["total_days"] == 53
    assert data["summary"]["protection_end"] == "2026-03-16T00:00+03:00"
    assert data["phase"] == "confirmed"
