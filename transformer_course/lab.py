"""JupyterLab for a course role, with nbgrader's extensions switched on or off for that role.

`student`: a home folder where assignments are fetched; Assignment List and Validate.
`instructor`: the course folder; Formgrader, Course List, Create Assignment and Validate.

Each server gets its own throw-away JUPYTER_CONFIG_DIR, so the user's configuration is untouched.
The course id and exchange come from the course's nbgrader_config.py.
Run as `python -m transformer_course.lab student|instructor [--port N] [--course DIR]`.
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .course import ROOT, Course

# Off for every role: JupyterLab's news and update checks (a toast asking to fetch news online).
ALWAYS_DISABLED = ["@jupyterlab/apputils-extension:announcements"]
# nbgrader's JupyterLab plugins and server extensions that each role must NOT have.
DISABLED = {
    "student": {
        "lab": ["formgrader", "course-list", "create-assignment"],
        "server": ["formgrader", "course_list"],
    },
    "instructor": {
        "lab": ["assignment-list"],
        "server": ["assignment_list"],
    },
}


@dataclass
class Lab:
    """A running JupyterLab server."""
    role: str
    root: Path
    url: str
    token: str
    process: subprocess.Popen
    config_dir: Path

    def lab_url(self, path=""):
        """URL of a page of JupyterLab (e.g. `tree/x.ipynb`), logged in with the token."""
        return f"{self.url}lab/{path}?token={self.token}"


def write_config(config_dir, role, root, exchange, course_id):
    """Write the role's lab page config, server extension config and (student) nbgrader config.

    A student's nbgrader cache (their record of submissions) lives in their home folder `root`.
    """
    off = DISABLED[role]
    (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
    plugins = ALWAYS_DISABLED + [f"@jupyter/nbgrader:{name}" for name in off["lab"]]
    page = {"disabledExtensions": {plugin: True for plugin in plugins}}
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(page, indent=2))
    server = {"ServerApp": {"jpserver_extensions": {
        f"nbgrader.server_extensions.{name}": False for name in off["server"]}}}
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(server, indent=2))
    if role == "student":
        nbgrader = {"CourseDirectory": {"course_id": course_id},
                    "Exchange": {"root": str(exchange), "cache": str(root / ".nbgrader_cache")}}
        (config_dir / "nbgrader_config.json").write_text(json.dumps(nbgrader, indent=2))


def free_port():
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(role, root, exchange=None, port=None, timeout=60, course=ROOT):
    """Start JupyterLab for `role` in folder `root` and wait until it answers; return a Lab.

    `exchange` is the nbgrader exchange, passed on as $NBGRADER_EXCHANGE; without it, the exchange
    of the course in folder `course` (its nbgrader_config.py, which reads $NBGRADER_EXCHANGE).
    """
    if role not in DISABLED:
        raise ValueError(f"unknown role {role!r}: expected one of {sorted(DISABLED)}")
    root = Path(root).resolve()
    config = Course(course).config
    exchange = Path(exchange or config.Exchange.root).resolve()
    config_dir = Path(tempfile.mkdtemp(prefix=f"lab-{role}-"))
    write_config(config_dir, role, root, exchange, config.CourseDirectory.course_id)
    port = port or free_port()
    token = secrets.token_hex(24)
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(config_dir),
               JUPYTER_RUNTIME_DIR=str(config_dir / "runtime"),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               NBGRADER_EXCHANGE=str(exchange))
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
    with open(config_dir / "server.log", "wb") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    lab = Lab(role, root, f"http://127.0.0.1:{port}/", token, process, config_dir)
    try:
        wait_ready(lab, timeout)
    except BaseException:
        stop(lab)
        raise
    return lab


def wait_ready(lab, timeout):
    answering(lab.process, f"{lab.url}api/status?token={lab.token}", timeout, "JupyterLab", lambda: log_text(lab))


def answering(process, url, timeout, name, log, error=RuntimeError):
    """Poll `url` until the server answers; fail with `log()` if its process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise error(f"{name} exited ({process.returncode}):\n{log()}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise error(f"{name} not ready after {timeout} s:\n{log()}")


def log_text(lab):
    return (lab.config_dir / "server.log").read_text(errors="replace")


def stop(lab):
    """Stop the server (its whole process group, kernels included) and delete its config dir."""
    if lab.process.poll() is None:
        os.killpg(lab.process.pid, signal.SIGTERM)
        try:
            lab.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(lab.process.pid, signal.SIGKILL)
            lab.process.wait()
    shutil.rmtree(lab.config_dir, ignore_errors=True)


@contextmanager
def running(role, root, **kwargs):
    """`start` as a context manager that always stops the server."""
    lab = start(role, root, **kwargs)
    try:
        yield lab
    finally:
        stop(lab)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=sorted(DISABLED))
    parser.add_argument("--port", type=int)
    parser.add_argument("--course", type=Path, default=ROOT, help="course folder (default: this repository)")
    parser.add_argument("--root", type=Path,
                        help="folder to serve (default: the course folder for an instructor, "
                             "students/<user> in it for a student)")
    parser.add_argument("--exchange", type=Path,
                        help="nbgrader exchange (default: $NBGRADER_EXCHANGE, else the course's)")
    args = parser.parse_args(argv)
    # Stop cleanly on Ctrl-C and on `kill`, also when started in the background (SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    student_home = args.course / "students" / os.environ.get("USER", "student")
    root = args.root or (args.course if args.role == "instructor" else student_home)
    root.mkdir(parents=True, exist_ok=True)
    with running(args.role, root, exchange=args.exchange, port=args.port, course=args.course) as lab:
        print(f"JupyterLab ({args.role}) in {lab.root}: {lab.lab_url()}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        try:
            lab.process.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
