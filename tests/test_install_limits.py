"""``tagpip install --target`` for a preset whose place has a size limit (a Lambda's 250 MB
unzipped) warns in one line when the folder is over it, measured as ``bundle`` measures
(issue 36): a real install against the test index, with the limit lowered through the module
``bundle`` reads it from, so the real code path runs without writing 250 MB."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip import bundle
from tagpip.bundle import limits
from tagpip.cli import main

PRESET = ["--preset", "aws-lambda-python3.12-x86_64"]
MIB = 1024 * 1024


def noise(size: int) -> bytes:
    """``size`` bytes that do not compress (so the wheel is as big as its file), the same
    every run."""
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(counter.to_bytes(8, "big")).digest()
        counter += 1
    return out[:size]


@pytest.fixture
def heavy(index_server: IndexServer) -> IndexServer:
    """A project with a 600 KiB data file."""
    index_server.add_wheel("heavy", "1.0", extra_files={"heavy/data.bin": noise(600 * 1024)})
    return index_server


@pytest.fixture
def one_mib(monkeypatch: pytest.MonkeyPatch) -> bundle.Limits:
    """Lambda's limits lowered to 1 MiB unzipped, where install and bundle both read them."""
    lowered = dataclasses.replace(limits.LIMITS["aws-lambda"], unzipped=MIB)
    monkeypatch.setattr(limits, "LIMITS", {**limits.LIMITS, "aws-lambda": lowered})
    return lowered


def install(
    server: IndexServer, folder: Path, capsys: pytest.CaptureFixture[str], *more: str
) -> tuple[str, str]:
    status = main(
        [
            *("install", "heavy", "--target", str(folder), "-i", server.url),
            *("--no-cache-dir", *PRESET, *more),
        ]
    )
    out, err = capsys.readouterr()
    assert status == 0, err  # a warning, never a failure
    return out, err


def test_a_folder_over_the_presets_limit_is_warned_about_in_one_line(
    heavy: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], one_mib: bundle.Limits
) -> None:
    folder = tmp_path / "deps"
    folder.mkdir()
    # The user's own file counts: what is deployed is the whole folder. Alone, neither it nor
    # the project is over the limit; together they are.
    (folder / "model.bin").write_bytes(noise(600 * 1024))
    out, err = install(heavy, folder, capsys)
    assert out.splitlines() == ["Successfully installed heavy-1.0"]
    measured = bundle.unzipped_size(folder)
    assert measured > MIB
    assert err.splitlines() == [
        f"warning: --target {folder} is {measured / MIB:.1f} MiB unzipped, over the aws-lambda "
        f"limit of 1.0 MiB (1,048,576 bytes; {one_mib.source}); installed all the same "
        "(tagpip bundle refuses it, and its --slim and --exclude can drop weight)"
    ]
    assert (folder / "heavy" / "data.bin").is_file()
    # The one measure: what bundle's size table adds up for the same folder.
    table = bundle.sizes(folder, bundle.file_owners(folder), [], [], None)
    assert sum(row.unzipped for row in table) == measured


def test_under_the_limit_or_under_qq_nothing_is_said(
    heavy: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], one_mib: bundle.Limits
) -> None:
    _, err = install(heavy, tmp_path / "small", capsys)
    assert err == ""
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "model.bin").write_bytes(noise(600 * 1024))
    out, err = install(heavy, tmp_path / "big", capsys, "-qq")
    assert (out, err) == ("", "")


def test_without_a_preset_with_limits_the_folder_is_not_measured(
    heavy: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    one_mib: bundle.Limits,
) -> None:
    measured: list[Path] = []

    def measure(root: Path) -> int:
        measured.append(root)
        return 0

    monkeypatch.setattr(bundle, "unzipped_size", measure)
    status = main(
        [
            *("install", "heavy", "--target", str(tmp_path / "deps"), "-i", heavy.url),
            *("--no-cache-dir", "--platform", "manylinux2014_x86_64", "--python-version", "3.12"),
        ]
    )
    assert status == 0
    assert capsys.readouterr().err == ""
    assert measured == []


def test_the_documented_warning_is_the_one_install_prints(
    heavy: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    one_mib: bundle.Limits,
) -> None:
    text = (Path(__file__).parent.parent / "docs" / "install.md").read_text(encoding="utf-8")
    section = text[text.index("## Size limits") :]
    block = section[section.index("```text\n") + len("```text\n") :]
    (documented,) = block[: block.index("```")].splitlines()
    monkeypatch.chdir(tmp_path)
    Path("deps").mkdir()
    Path("deps", "model.bin").write_bytes(noise(600 * 1024))
    status = main(
        ["install", "heavy", "--target", "./deps", "-i", heavy.url, "--no-cache-dir", *PRESET]
    )
    assert status == 0
    (printed,) = capsys.readouterr().err.splitlines()
    # The same line, but for the sizes: the page's folder is 312.4 MiB against the real limit.
    measured = f"{bundle.unzipped_size(Path('deps')) / MIB:.1f} MiB"
    expected = documented.replace("312.4 MiB", measured).replace(
        "250.0 MiB (262,144,000 bytes", "1.0 MiB (1,048,576 bytes"
    )
    assert printed == expected
