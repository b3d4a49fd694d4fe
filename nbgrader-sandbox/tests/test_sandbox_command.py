"""Sandbox: the bwrap command line, the rlimits, the launcher arguments and the documented traits,
checked without running bwrap."""
import sys

import pytest
from traitlets.config.loader import KVArgParseConfigLoader

from nbgrader_sandbox.execute import SafeExecute
from nbgrader_sandbox.launcher import SandboxLauncher
from nbgrader_sandbox.sandbox import Sandbox

ARGV = ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "/sockets/kernel.json"]


def options(cmd, flag, count):
    """The `count` arguments after each occurrence of `flag` in cmd, before the `--` separator."""
    cmd = cmd[:cmd.index("--")]
    return [tuple(cmd[i + 1:i + 1 + count]) for i, arg in enumerate(cmd) if arg == flag]


@pytest.fixture
def cmd(tmp_path):
    return Sandbox(bwrap="/opt/bwrap").command(ARGV, str(tmp_path / "work"), writable=["/sockets"],
                                                 readable=["/sockets/kernel.json"])


def test_command_starts_with_bwrap_and_isolation_flags(cmd):
    assert cmd[:6] == ["/opt/bwrap", "--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "--new-session"]


def test_command_runs_argv_after_separator(cmd):
    assert cmd[cmd.index("--") + 1:] == ARGV


def test_cwd_is_an_empty_tmpfs_capped_at_disk_limit_and_entered(cmd, tmp_path):
    """The kernel's folder is never the host's: a tmpfs of disk_limit bytes that the grader fills."""
    work = str(tmp_path / "work")
    assert work not in [source for source, _ in options(cmd, "--bind", 2) + options(cmd, "--ro-bind", 2)]
    assert (str(256 * 2**20), "--tmpfs", work) in options(cmd, "--size", 3)
    assert options(cmd, "--chdir", 1) == [(work,)]


@pytest.mark.parametrize("disk_limit", [16 * 2**20, 2**30])
def test_disk_limit_sizes_the_working_folder(tmp_path, disk_limit):
    cmd = Sandbox(disk_limit=disk_limit).command(ARGV, str(tmp_path / "work"))
    assert (str(disk_limit), "--tmpfs", str(tmp_path / "work")) in options(cmd, "--size", 3)


def test_working_folder_mounted_over_the_writable_binds(tmp_path):
    """The zygote's folder is inside its bound root: the tmpfs goes on top of that bind, before / turns
    read-only."""
    root, work = str(tmp_path), str(tmp_path / "disk")
    cmd = Sandbox().command(ARGV, work, writable=[root])
    pairs = list(zip(cmd, cmd[1:]))
    assert pairs.index(("--bind", root)) < pairs.index(("--tmpfs", work)) < pairs.index(("--remount-ro", "/"))


def test_extra_binds(cmd):
    assert ("/sockets", "/sockets") in options(cmd, "--bind", 2)
    assert ("/sockets/kernel.json", "/sockets/kernel.json") in options(cmd, "--ro-bind", 2)
    assert ("/sockets/kernel.json", "/sockets/kernel.json") not in options(cmd, "--bind", 2)


@pytest.mark.parametrize("tmp_limit", [64 * 2**20, 256 * 2**20])
def test_tmp_and_shm_are_tmpfs_capped_at_tmp_limit(tmp_path, tmp_limit):
    cmd = Sandbox(tmp_limit=tmp_limit).command(ARGV, str(tmp_path))
    sizes = [size for size in options(cmd, "--size", 3) if size[2] != str(tmp_path)]
    assert sorted(sizes) == [(str(tmp_limit), "--tmpfs", "/dev/shm"), (str(tmp_limit), "--tmpfs", "/tmp")]
    assert sorted(options(cmd, "--tmpfs", 1)) == sorted([("/dev/shm",), ("/tmp",), (str(tmp_path),)])
    assert len(options(cmd, "--size", 3)) == len(options(cmd, "--tmpfs", 1))  # every tmpfs is capped


def test_python_installation_read_only(cmd):
    assert (sys.prefix, sys.prefix) in options(cmd, "--ro-bind", 2)
    assert sys.prefix not in [source for source, _ in options(cmd, "--bind", 2)]


def test_missing_readonly_paths_skipped(tmp_path):
    present = tmp_path / "present"
    present.mkdir()
    cmd = Sandbox(readonly_paths=[str(present), str(tmp_path / "absent")]).command(ARGV, str(tmp_path))
    bound = [source for source, _ in options(cmd, "--ro-bind", 2)]
    assert str(present) in bound and str(tmp_path / "absent") not in bound


def test_root_remounted_read_only_after_the_binds(cmd):
    assert options(cmd, "--remount-ro", 1) == [("/dev",), ("/",)]
    last_bind = max(i for i, arg in enumerate(cmd) if arg in ("--bind", "--ro-bind"))
    assert list(zip(cmd, cmd[1:])).index(("--remount-ro", "/")) > last_bind


def test_environment_cleared_before_variables_set(cmd):
    setenv = options(cmd, "--setenv", 2)
    assert cmd.count("--clearenv") == 1
    assert cmd.index("--clearenv") < cmd.index("--setenv")
    assert ("JPY_PARENT_PID", "1") in setenv
    assert ("HOME", "/tmp") in setenv and ("PATH", "/usr/bin:/bin") in setenv


def test_only_set_environment_variables_passed_through(tmp_path, monkeypatch):
    monkeypatch.setenv("SANDBOX_TEST_SET", "value with spaces")
    monkeypatch.setenv("SANDBOX_TEST_EMPTY", "")
    monkeypatch.delenv("SANDBOX_TEST_UNSET", raising=False)
    monkeypatch.setenv("SANDBOX_TEST_NOT_LISTED", "secret")
    sandbox = Sandbox(environment=["SANDBOX_TEST_SET", "SANDBOX_TEST_UNSET", "SANDBOX_TEST_EMPTY"])
    setenv = options(sandbox.command(ARGV, str(tmp_path)), "--setenv", 2)
    assert [pair for pair in setenv if pair[0].startswith("SANDBOX_TEST")] == [
        ("SANDBOX_TEST_SET", "value with spaces"), ("SANDBOX_TEST_EMPTY", "")]


def test_limits_follow_traits():
    sandbox = Sandbox(memory_limit=3 * 2**30, cpu_limit=42, file_limit=2**20)
    assert sandbox.limits() == {"RLIMIT_AS": (3 * 2**30, 3 * 2**30), "RLIMIT_CPU": (42, 47),
                                "RLIMIT_FSIZE": (2**20, 2**20)}


def test_default_limits():
    assert Sandbox().limits() == {"RLIMIT_AS": (2 * 2**30, 2 * 2**30), "RLIMIT_CPU": (600, 605),
                                  "RLIMIT_FSIZE": (256 * 2**20, 256 * 2**20)}


CUSTOM = {
    "bwrap": "/opt/bubble wrap/bwrap", "memory_limit": 1234567, "cpu_limit": 7, "file_limit": 4096,
    "process_limit": 9, "cgroup_parent": "grader-x", "tmp_limit": 65536, "disk_limit": 2**20, "outputs": ["*.png", "out dir/*.csv"],
    "environment": ["LANG", "MY_VAR"],
    "readonly_paths": ["/opt/a b", "/x,y", '/q"uote', "/back\\slash", "/ünïcode", "/data=1"],
}


def values(sandbox):
    return {name: getattr(sandbox, name) for name in sandbox.trait_names(config=True)}


@pytest.mark.parametrize("traits", [
    pytest.param({}, id="defaults"),
    pytest.param(CUSTOM, id="custom"),
    pytest.param({"environment": [], "readonly_paths": ["/usr"]}, id="empty-and-single-lists"),
])
def test_arguments_round_trip_through_the_command_line(traits):
    """What the launcher (a traitlets Application with classes = [Sandbox]) parses is the sandbox."""
    sandbox = Sandbox(**traits)
    args = sandbox.arguments()
    assert all(arg.startswith("--Sandbox.") for arg in args)
    loaded = Sandbox(config=KVArgParseConfigLoader(argv=args, classes=[Sandbox]).load_config())
    assert values(loaded) == values(sandbox)
    launcher = SandboxLauncher()
    launcher.parse_command_line(["-f", "kernel.json", *args])
    assert values(Sandbox(parent=launcher)) == values(sandbox)


def test_arguments_cover_every_configurable_trait():
    names = [arg.split("=", 1)[0].removeprefix("--Sandbox.") for arg in Sandbox(**CUSTOM).arguments()]
    assert names == sorted(Sandbox.class_trait_names(config=True))
    assert set(CUSTOM) == set(names)


@pytest.mark.parametrize("cls, names", [
    pytest.param(Sandbox, Sandbox.class_trait_names(config=True), id="Sandbox"),
    pytest.param(SafeExecute, ["sandbox", "fork_kernels", "preload", "max_output_chars", "notebook_timeout"],
                 id="SafeExecute"),
])
def test_configurable_traits_documented(cls, names):
    traits = cls.class_traits(config=True)
    assert set(names) <= set(traits)
    assert {name: traits[name].help.strip() for name in names if not traits[name].help.strip()} == {}


@pytest.mark.parametrize("variable, value", [
    ("COURSE_SANDBOX_MEMORY", "1"), ("SANDBOX_MEMORY_LIMIT", "1"), ("NBGRADER_SANDBOX_MEMORY_LIMIT", "1"),
    ("COURSE_SANDBOX", "0"), ("NBGRADER_SANDBOX", "0"),
])
def test_settings_ignore_environment(monkeypatch, variable, value):
    before = (values(Sandbox()), SafeExecute().sandbox, SafeExecute().fork_kernels)
    monkeypatch.setenv(variable, value)
    assert (values(Sandbox()), SafeExecute().sandbox, SafeExecute().fork_kernels) == before
    assert Sandbox().memory_limit == 2 * 2**30 and SafeExecute().sandbox is True
