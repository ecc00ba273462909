"""One policy, one reading of a cut-off: the rules a resolution runs under are one value that the
resolver records and the explanations read back, and every cut-off option reads a time the same
way, whatever the machine's time zone."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

import pytest

from support.fakes import FakeIndex, rel
from tagpip.errors import UsageError
from tagpip.requirements import parse_line
from tagpip.resolution import Policy, downgrades, parse_cutoff, resolve
from tagpip.target import target_from_flags

UTC = datetime.timezone.utc
TARGET = target_from_flags(["manylinux2014_x86_64"], "3.12", None, [])


@pytest.mark.parametrize("option", ["--exclude-newer", "--uploaded-prior-to"])
def test_a_cut_off_without_a_zone_is_utc_for_every_option(option: str) -> None:
    assert parse_cutoff("2024-02-01", option=option) == datetime.datetime(2024, 2, 1, tzinfo=UTC)
    assert parse_cutoff("2024-02-01T12:30:00", option=option) == datetime.datetime(
        2024, 2, 1, 12, 30, tzinfo=UTC
    )
    east = datetime.timezone(datetime.timedelta(hours=2))
    assert parse_cutoff("2024-02-01T12:30:00+02:00", option=option) == datetime.datetime(
        2024, 2, 1, 12, 30, tzinfo=east
    )
    assert parse_cutoff("2024-02-01T12:30:00Z", option=option) == datetime.datetime(
        2024, 2, 1, 12, 30, tzinfo=UTC
    )
    days = parse_cutoff("P7D", option=option)
    assert days is not None
    ago = datetime.datetime.now(UTC) - days
    assert datetime.timedelta(days=7) <= ago < datetime.timedelta(days=7, minutes=5)
    assert parse_cutoff(None, option=option) is None


def test_the_machines_time_zone_changes_nothing() -> None:
    """The same words give the same instant on a machine set to another zone (the local-zone
    reading of --uploaded-prior-to and the UTC one of --exclude-newer once disagreed)."""
    code = (
        "from tagpip.resolution import parse_cutoff\n"
        "for option in ('--exclude-newer', '--uploaded-prior-to'):\n"
        "    print(parse_cutoff('2024-02-01T00:00:00', option=option).isoformat())\n"
    )
    environment = {**os.environ, "TZ": "America/New_York"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True
    )
    assert result.stdout.split() == ["2024-02-01T00:00:00+00:00"] * 2


def test_a_cut_off_that_is_no_time_names_its_option() -> None:
    with pytest.raises(UsageError) as raised:
        parse_cutoff("last tuesday", option="--uploaded-prior-to")
    assert raised.value.message == (
        "--uploaded-prior-to: 'last tuesday' is not an ISO 8601 date or time, "
        "nor P<n>D (n days ago)"
    )
    assert raised.value.hint == "for example 2024-01-31, 2024-01-31T12:00:00Z or P7D"


def test_the_resolution_records_its_policy_and_lines() -> None:
    policy = Policy(pre=True, exclude_newer=datetime.datetime(2030, 1, 1, tzinfo=UTC))
    requirements = [parse_line("a", source="r.txt", line=1)]
    constraints = [parse_line("a<3", source="c.txt", line=1)]
    index = FakeIndex({"a": {"1.0": rel(), "2.0b1": rel()}})
    resolution = resolve(requirements, TARGET, index, constraints=constraints, policy=policy)
    assert str(resolution["a"].version) == "2.0b1"
    assert resolution.policy == policy
    assert resolution.requirements == tuple(requirements)
    assert resolution.constraints == tuple(constraints)


def test_a_release_the_cut_off_left_out_is_no_downgrade() -> None:
    """The downgrade notes read the resolution's policy: a newer release whose files came after
    the cut-off was never on offer, so the target did not force the older one."""
    old = datetime.datetime(2020, 1, 1, tzinfo=UTC)
    new = datetime.datetime(2024, 1, 1, tzinfo=UTC)
    index = FakeIndex(
        {"a": {"1.0": rel(uploaded=old), "2.0": rel("cp313-cp313-win_amd64", uploaded=new)}}
    )
    lines = [parse_line("a", source="r.txt", line=1)]
    forced = downgrades(resolve(lines, TARGET, index), index)
    assert [d.describe() for d in forced] == [
        "a 1.0, not 2.0: 2.0 ships no wheel for CPython 3.12 on manylinux2014 x86_64"
    ]
    cut = Policy(exclude_newer=datetime.datetime(2022, 1, 1, tzinfo=UTC))
    assert downgrades(resolve(lines, TARGET, index, policy=cut), index) == []
