"""pip's configuration is honoured completely or said to be ignored (issue 16.7).

``constraint`` / ``PIP_CONSTRAINT`` applies as in pip (configured files first, ``-c`` adds);
``require-hashes`` applies; an option of pip's command that tagpip does not apply from the
configuration gets one warning line naming it and where it was set; options that only change
pip's presentation stay quiet; ``-v`` lists the files and variables read. Real config files in a
temporary HOME / ``PIP_CONFIG_FILE``; real pip 26 (the venv's) as the oracle where that is cheap.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main
from tagpip.config.pip import PIP_COMMAND_OPTIONS, QUIET_OPTIONS, ConfigFile, load_pip_settings


def _pip_version() -> tuple[int, ...]:
    from importlib.metadata import version

    try:
        return tuple(int(p) for p in version("pip").split(".")[:2])
    except Exception:
        return (0,)


needs_pip26 = pytest.mark.skipif(_pip_version() < (26, 0), reason="needs pip 26 as the oracle")


@pytest.fixture
def world(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> IndexServer:
    """Two versions of a project; an empty HOME; no pip configuration yet; cwd in tmp_path."""
    index_server.add_wheel("helper", "1.0")
    index_server.add_wheel("helper", "2.0")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "no-xdg"))
    monkeypatch.chdir(tmp_path)
    return index_server


def tagpip(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    """Run tagpip download; the status, the files downloaded, stderr."""
    dest = Path("wheels-tagpip")
    status = main(["download", *args, "-d", str(dest), "--no-cache-dir"])
    err = capsys.readouterr().err
    return status, sorted(p.name for p in dest.iterdir()) if dest.exists() else [], err


def pip(args: list[str]) -> list[str]:
    """Run real pip download in the same environment; the files downloaded."""
    dest = Path("wheels-pip")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", *args, "-d", str(dest)],
        check=True,
        capture_output=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return sorted(p.name for p in dest.iterdir())


@needs_pip26
def test_pip_constraint_variable_applies_as_in_pip(
    world: IndexServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("c.txt").write_text("helper<2\n")
    monkeypatch.setenv("PIP_CONSTRAINT", "c.txt")
    status, got, err = tagpip(["helper", "-i", world.url], capsys)
    assert (status, got, err) == (0, ["helper-1.0-py3-none-any.whl"], "")
    assert pip(["helper", "-i", world.url]) == got


@needs_pip26
def test_configured_constraints_come_first_and_dash_c_adds(
    world: IndexServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_wheel("helper", "1.5")
    Path("low.txt").write_text("helper<2\n")
    Path("high.txt").write_text("helper>1\n")
    conf = Path("pip.conf")
    conf.write_text(f"[global]\nconstraint = {Path('low.txt').resolve()}\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    status, got, err = tagpip(["helper", "-i", world.url, "-c", "high.txt"], capsys)
    assert (status, got, err) == (0, ["helper-1.5-py3-none-any.whl"], "")
    assert pip(["helper", "-i", world.url, "-c", "high.txt"]) == got


@needs_pip26
def test_the_environment_replaces_the_files_constraint(
    world: IndexServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_wheel("helper", "1.5")
    Path("low.txt").write_text("helper<1.5\n")
    Path("mid.txt").write_text("helper<2\n")
    conf = Path("pip.conf")
    conf.write_text("[download]\nconstraint = low.txt\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_CONSTRAINT", "mid.txt")
    status, got, _ = tagpip(["helper", "-i", world.url], capsys)
    assert (status, got) == (0, ["helper-1.5-py3-none-any.whl"])
    assert pip(["helper", "-i", world.url]) == got


def test_isolated_ignores_the_configured_constraint(
    world: IndexServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("c.txt").write_text("helper<2\n")
    monkeypatch.setenv("PIP_CONSTRAINT", "c.txt")
    status, got, _ = tagpip(["helper", "-i", world.url, "--isolated"], capsys)
    assert (status, got) == (0, ["helper-2.0-py3-none-any.whl"])


def test_a_missing_configured_constraints_file_is_a_clean_error(
    world: IndexServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PIP_CONSTRAINT", "absent.txt")
    status, got, err = tagpip(["helper", "-i", world.url], capsys)
    assert (status, got) == (1, [])
    assert (
        "pip's configuration (environment variable PIP_CONSTRAINT) names the constraints file "
        "absent.txt, which does not exist"
    ) in err
    assert "Traceback" not in err


def test_require_hashes_from_the_configuration_applies(
    world: IndexServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PIP_REQUIRE_HASHES", "yes")
    status, got, err = tagpip(["helper==1.0", "-i", world.url], capsys)
    assert (status, got) == (1, [])
    assert "--hash=sha256:" in err


def test_an_option_tagpip_does_not_apply_is_named_in_one_line(
    world: IndexServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = Path("pip.conf")
    conf.write_text("[download]\nprefer-binary = yes\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_NO_DEPS", "1")
    status, got, err = tagpip(["helper", "-i", world.url], capsys)
    assert (status, got) == (0, ["helper-2.0-py3-none-any.whl"])
    ending = (
        "which tagpip does not apply from pip's configuration: ignored "
        "(docs/package-indexes.md lists what applies)"
    )
    assert err.splitlines() == [
        f"warning: pip's configuration sets no-deps (environment variable PIP_NO_DEPS), {ending}",
        f"warning: pip's configuration sets prefer-binary ({conf} [download]), {ending}",
    ]
    # As pip: -q keeps warnings, -qq silences them.
    status, _, err = tagpip(["helper", "-i", world.url, "-q"], capsys)
    assert (status, len(err.splitlines())) == (0, 2)
    status, _, err = tagpip(["helper", "-i", world.url, "-qq"], capsys)
    assert (status, err) == (0, "")


def test_a_machine_like_setup_stays_quiet(
    world: IndexServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """This machine's own kind of setup (index options, a timeout, version-check and colour
    switches, a pip.conf in the user folder) prints nothing extra."""
    user = Path(os.environ["HOME"], ".config", "pip", "pip.conf")
    user.parent.mkdir(parents=True)
    user.write_text(
        f"[global]\nfind-links = {tmp_path / 'nowhere'}\nextra-index-url = {world.url}\n"
        "progress-bar = off\n[install]\nno-warn-script-location = false\ntarget = /x\n"
    )
    monkeypatch.delenv("PIP_CONFIG_FILE")
    for name, value in {
        "PIP_DEFAULT_TIMEOUT": "60",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_COLOR": "1",
        "PIP_NO_INPUT": "1",
        "PIP_FIND_LINKS": str(tmp_path / "nowhere"),
    }.items():
        monkeypatch.setenv(name, value)
    status, got, err = tagpip(["helper", "-i", world.url], capsys)
    assert (status, got, err) == (0, ["helper-2.0-py3-none-any.whl"], "")


def test_verbose_lists_the_files_and_variables_read(
    world: IndexServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = Path("pip.conf").resolve()
    conf.write_text("[global]\ntimeout = 30\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_RETRIES", "2")
    status, _, err = tagpip(["helper", "-i", world.url, "-v"], capsys)
    assert status == 0
    lines = err.splitlines()
    assert f"pip configuration file read: {conf}" in lines
    assert "pip environment variable read: PIP_CONFIG_FILE" in lines
    assert "pip environment variable read: PIP_RETRIES" in lines


def test_settings_precedence_and_classes(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text(
        "[global]\nconstraint = a.txt b.txt\nrequire-hashes = no\nno-deps = yes\n"
        "[download]\nrequire-hashes = yes\nverbose = 2\nplatform =\n[install]\ntarget = /t\n"
    )
    files = [ConfigFile("user", conf)]
    settings = load_pip_settings("download", {"HOME": str(tmp_path)}, files=files)
    assert settings.constraints == ("a.txt", "b.txt")
    assert settings.require_hashes is True
    assert [o.name for o in settings.unapplied] == ["no-deps"]  # target: not pip download's
    install = load_pip_settings("install", {"HOME": str(tmp_path)}, files=files)
    assert [o.name for o in install.unapplied] == ["no-deps", "target"]
    assert install.require_hashes is False  # [download] is not install's section


@needs_pip26
@pytest.mark.parametrize("command", ["download", "install"])
def test_the_option_table_is_pips_own(command: str) -> None:
    """Every long option real pip 26 gives the command, aliases included."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from pip._internal.commands import create_command\n"
            "parser = create_command(sys.argv[1]).parser\n"
            "print(' '.join(s[2:] for o in parser._get_all_options() for s in o._long_opts))",
            command,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    pips = set(done.stdout.split()) - {"help", "version"}
    if _pip_version() >= (26, 3):
        assert PIP_COMMAND_OPTIONS[command] == pips
    else:
        # An older pip 26 (the newest pip a Python 3.9 gets is 26.0) lacks some of 26.3's options.
        assert PIP_COMMAND_OPTIONS[command] >= pips
    assert PIP_COMMAND_OPTIONS["install"] >= QUIET_OPTIONS


def test_a_lock_file_is_fetched_as_locked_and_says_the_constraint_is_ignored(
    world: IndexServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lock", "helper", "-i", world.url, "--no-cache-dir", "-o", "req.lock"]) == 0
    capsys.readouterr()
    Path("c.txt").write_text("helper<2\n")
    monkeypatch.setenv("PIP_CONSTRAINT", "c.txt")
    status, got, err = tagpip(["-r", "req.lock", "-i", world.url], capsys)
    assert (status, got) == (0, ["helper-2.0-py3-none-any.whl"])
    assert err.splitlines() == [
        "warning: pip's configuration sets constraint (environment variable PIP_CONSTRAINT), "
        "which tagpip does not apply from pip's configuration: ignored "
        "(docs/package-indexes.md lists what applies)"
    ]


@needs_pip26
def test_verbose_lists_what_pip_config_debug_reads(
    world: IndexServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The files and variables ``-v`` names are the ones ``pip config debug`` reports as read
    (the global files of this machine, if any, take part in both)."""
    user = Path(os.environ["HOME"], ".config", "pip", "pip.conf")
    user.parent.mkdir(parents=True)
    user.write_text("[global]\ntimeout = 30\n")
    monkeypatch.delenv("PIP_CONFIG_FILE")
    monkeypatch.setenv("PIP_RETRIES", "2")
    debug = subprocess.run(
        [sys.executable, "-m", "pip", "config", "debug"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    pip_files = {line.strip()[: -len(", exists: True")] for line in debug if "exists: True" in line}
    at = debug.index("env_var:") + 1
    pip_variables = set()
    while at < len(debug) and debug[at].startswith("  "):
        pip_variables.add(debug[at].strip().split("=", 1)[0])
        at += 1
    status, _, err = tagpip(["helper", "-i", world.url, "-v"], capsys)
    assert status == 0
    lines = err.splitlines()
    files = {line.split(": ", 1)[1] for line in lines if "pip configuration file read" in line}
    variables = {line.split(": ", 1)[1] for line in lines if "pip environment variable" in line}
    assert str(user) in files
    assert (files, variables) == (pip_files, pip_variables)
