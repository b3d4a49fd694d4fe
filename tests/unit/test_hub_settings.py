"""The hub's pure parts: account names, the deployment's settings, what the environment is built from."""
import json

import pytest

from transformer_course import hub
from transformer_course.course import CourseError
from transformer_course.lifecycle.roster import write_roster


@pytest.mark.parametrize("name", ["alice", "s_12", "jdoe-2", "_x"])
def test_account_names_that_useradd_takes(name):
    assert hub.check_name(name) == name


@pytest.mark.parametrize("name", ["Alice", "12345", "a b", "../root", "x" * 33, ""])
def test_account_names_refused_before_useradd(name):
    with pytest.raises(CourseError, match="cannot be a Unix account"):
        hub.check_name(name)


def test_roster_ids_are_the_accounts(tmp_path):
    rows = [{"id": "alice", "first_name": "A", "last_name": "L", "email": "a@x"},
            {"id": "Bob", "first_name": "B", "last_name": "B", "email": "b@x"}]
    with pytest.raises(CourseError, match="'Bob'"):
        hub.roster_students(write_roster(tmp_path / "r.csv", rows))
    rows[1]["id"] = "bob"
    assert hub.roster_students(write_roster(tmp_path / "r.csv", rows)) == ["alice", "bob"]


def test_settings_are_saved_for_root_only_and_read_back(tmp_path, monkeypatch):
    settings = hub.Settings(course_id="c", course="/srv/x/c", grader="grader-c", exchange="/srv/x/ex",
                            state=str(tmp_path), students=["alice"], instructors=["ta"])
    settings.save()
    assert (tmp_path / "hub.json").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("COURSE_HUB_STATE", str(tmp_path))
    assert hub.Settings.load() == settings
    assert json.loads((tmp_path / "hub.json").read_text())["students"] == ["alice"]
    with pytest.raises(CourseError, match="prepare the hub first"):
        hub.Settings.load(tmp_path / "nowhere")


def test_servers_get_their_role_configuration_and_the_environment_first_on_path(tmp_path):
    settings = hub.Settings(course_id="c", course="/c", grader="g", exchange="/ex", state=str(tmp_path),
                            env="/opt/env", instructors=["ta"])
    assert settings.role("ta") == "instructor" and settings.role("alice") == "student"
    environment = settings.server_environment("student", "/home/alice")
    assert environment["JUPYTER_CONFIG_DIR"] == str(tmp_path / "jupyter" / "student")
    assert environment["PATH"].split(":")[0] == "/opt/env/bin"
    assert environment["JUPYTERLAB_WORKSPACES_DIR"].startswith("/home/alice/")
    assert environment["NBGRADER_EXCHANGE"] == "/ex"


def test_the_environment_is_rebuilt_when_its_sources_change(tmp_path):
    for name in hub.ENV_SOURCES:
        path = tmp_path / name
        if "." in path.name:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(name)
        else:
            (path / "mod.py").parent.mkdir(parents=True, exist_ok=True)
            (path / "mod.py").write_text("x = 1\n")
    before = hub.env_digest(tmp_path)
    (tmp_path / "transformer_course" / "__pycache__").mkdir()
    (tmp_path / "transformer_course" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    assert hub.env_digest(tmp_path) == before
    (tmp_path / "transformer_course" / "mod.py").write_text("x = 2\n")
    assert hub.env_digest(tmp_path) != before


def test_role_configurations_give_the_grader_its_delegated_cgroup(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "open_up", lambda folder, mode: None)  # it opens tmp_path's parents to all users
    settings = hub.Settings(course_id="c", course="/c", grader="grader-c", exchange="/ex", state=str(tmp_path),
                            grader_cgroup="grader-c")
    assert (settings.cpu_limit, settings.memory_limit, settings.task_limit) == (1.0, 2 * 1024**3, 512)
    hub.write_role_configs(settings)
    read = {role: json.loads((settings.role_config(role) / "nbgrader_config.json").read_text())
            for role in ("student", "instructor", "grader")}
    assert read["grader"]["Sandbox"] == {"cgroup_parent": "grader-c"}
    assert read["student"]["CourseDirectory"] == {"course_id": "c"} and "Sandbox" not in read["student"]
    assert all(r["Exchange"] == {"root": "/ex", "path_includes_course": True} for r in read.values())
