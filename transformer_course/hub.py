"""A whole class on one JupyterHub: accounts, course folder, exchange and environment for the hub.

`deploy/jupyterhub_config.py` is the hub's configuration; it reads the deployment's settings
(`hub.json` in the state folder, root's only) with `Settings.load`. `prepare` writes them and
sets up what the hub's processes need, all as root (as nbgrader's JupyterHub demos do):

- an environment built from Debian's /usr/bin/python3 in a folder every user can read
  (`build_env`): students' servers and the grader's formgrader run from it as their own users;
- one Unix account per roster student and instructor, and a grader account that owns the deployed
  course folder and its gradebook (`sync_accounts`, `deploy_course`); a student removed from the
  roster keeps their files, but their account expires (PAM refuses it) and the hub forgets them;
- the exchange in a system folder whose permissions keep students apart (`prepare_exchange`);
- a Jupyter configuration folder per role with nbgrader's extensions of that role (`lab.py`);
- where cgroups are v1 and the hub may make them, a cgroup given to the grader, under which the
  sandboxes of its grading make theirs (`delegate_cgroup`).
"""
import hashlib
import json
import logging
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil
from nbgrader_sandbox import cgroup

from . import lab
from .course import ROOT, Course, CourseError
from .lifecycle.roster import read_roster

log = logging.getLogger(__name__)

CONFIG_FILE = ROOT / "deploy" / "jupyterhub_config.py"
STATE = Path("/srv/nbgrader/hub")
SRV = Path("/srv/nbgrader")
ENV = Path("/opt/transformer-course/venv")
PROXY = Path("/opt/transformer-course/chp/node_modules/.bin/configurable-http-proxy")
SYSTEM_PYTHON = "/usr/bin/python3"
# Debian's default NAME_REGEX of useradd (without machine accounts' trailing $), 32 characters.
ACCOUNT_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
FIRST_UID = 1000  # accounts below are the system's: never a student or an instructor
# Pins of constraints.txt that Debian's Python cannot install (soupsieve 4 needs 3.11.5, Debian
# 12 has 3.11.2): the servers' environment takes these versions instead.
SYSTEM_PYTHON_PINS = {"soupsieve": "2.10"}
# What the environment is built from: a change to any of these rebuilds it.
ENV_SOURCES = ("requirements.txt", "constraints.txt", "pyproject.toml", "nbgrader_config.py", "source",
               "transformer_course", "nbgrader-sandbox/pyproject.toml", "nbgrader-sandbox/README.md",
               "nbgrader-sandbox/nbgrader_sandbox")


@dataclass
class Settings:
    """The deployment, as `deploy/jupyterhub_config.py` reads it (`<state>/hub.json`)."""
    course_id: str
    course: str  # the grader's copy of the course folder
    grader: str  # the account that runs formgrader and owns the course folder
    exchange: str
    state: str = str(STATE)
    env: str = str(ENV)
    proxy: str = str(PROXY)
    students: list = field(default_factory=list)
    instructors: list = field(default_factory=list)
    removed: list = field(default_factory=list)  # students taken off the roster: blocked
    hub_port: int = 8081  # the hub's own API, on 127.0.0.1
    proxy_api_port: int = 8001
    service_port: int = 9999  # the formgrader service
    idle_timeout: int = 3600  # seconds before an idle server is stopped
    memory_limit: int = 2 * 1024**3  # bytes per student server (a cgroup, where writable)
    cpu_limit: float = 1.0  # cores per student server (a cgroup, where writable)
    task_limit: int = 512  # processes and threads per student server (a cgroup)
    grader_cgroup: str = ""  # a cgroup below the hub's own, delegated to the grader (cgroups v1)

    @classmethod
    def load(cls, state=None):
        path = Path(state or os.environ.get("COURSE_HUB_STATE") or STATE) / "hub.json"
        if not path.is_file():
            raise CourseError(f"no {path}: prepare the hub first (python -m transformer_course hub)")
        return cls(**json.loads(path.read_text()))

    def save(self):
        Path(self.state).mkdir(parents=True, exist_ok=True)
        path = Path(self.state) / "hub.json"
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        path.chmod(0o600)

    @property
    def private(self):
        """The hub's database, cookie secret, tokens and logs: root's only."""
        return Path(self.state) / "private"

    def role_config(self, role):
        """JUPYTER_CONFIG_DIR of the servers of a role: student, instructor or grader."""
        return Path(self.state) / "jupyter" / role

    @property
    def grader_home(self):
        return pwd.getpwnam(self.grader).pw_dir

    def role(self, user):
        return "instructor" if user in self.instructors else "student"

    def server_environment(self, role, home=None):
        """Environment of a server of `role`: its Jupyter configuration, the environment's bin."""
        environment = {"JUPYTER_CONFIG_DIR": str(self.role_config(role)),
                       "PATH": os.pathsep.join([str(Path(self.env) / "bin"), "/usr/local/bin",
                                                "/usr/bin", "/bin"]),
                       "NBGRADER_EXCHANGE": self.exchange, "LANG": "C.UTF-8"}
        if home:  # JupyterLab's settings and workspaces: the user's, not the role's (read-only)
            environment.update(HOME=home, JUPYTERLAB_SETTINGS_DIR=f"{home}/.jupyter/lab/user-settings",
                               JUPYTERLAB_WORKSPACES_DIR=f"{home}/.jupyter/lab/workspaces")
        return environment

    def secret(self, name):
        """A token kept in the private folder (made on first use)."""
        path = self.private / name
        if not path.is_file():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()


def run(*command, user=None, **kwargs):
    """Run a command (as `user`, with runuser); raise CourseError with its output if it fails."""
    command = [str(part) for part in command]
    if user:
        command = ["runuser", "-u", user, "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise CourseError(f"{' '.join(command)}: {(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout


def require_root():
    if os.geteuid() != 0:
        raise CourseError("the hub creates accounts and runs each user's server as that user: run it as root")


def open_up(folder, mode):
    """Add `mode` bits to `folder` and search (x) bits to its parents, so other users reach it."""
    folder = Path(folder)
    folder.chmod(folder.stat().st_mode | mode)
    for parent in folder.parents:
        if parent != Path("/"):
            parent.chmod(parent.stat().st_mode | 0o011)


# -- the servers' environment --------------------------------------------------------------------

def env_digest(source=ROOT):
    """A hash of what the environment is built from."""
    digest = hashlib.sha256()
    for name in ENV_SOURCES:
        path = Path(source) / name
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix != ".pyc") \
            if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(source)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def build_env(env=ENV, source=ROOT):
    """Build the servers' environment in `env`, or bring it up to date; True if it was (re)built.

    Debian's Python (the default `python3` may be a user's own, unreadable for others), the
    pinned requirements, this course and its grading engine installed from a copy in `env/src`
    (the checkout may be unreadable for others too), and the engine's sandboxed kernelspec.
    """
    env, source = Path(env), Path(source)
    stamp = env / ".built-from"
    digest = env_digest(source)
    if stamp.is_file() and stamp.read_text() == digest:
        return False
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        raise CourseError(f"no {SYSTEM_PYTHON}: apt-get install python3 python3-venv")
    log.info("building the servers' environment in %s (minutes the first time)", env)
    if not (env / "bin" / "python").exists():
        run(SYSTEM_PYTHON, "-m", "venv", env)
    python = env / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")  # Debian's is too old
    constraints = env / "constraints.txt"
    constraints.write_text("".join(
        f"{name}=={SYSTEM_PYTHON_PINS[name]}\n" if name in SYSTEM_PYTHON_PINS else line + "\n"
        for line in (source / "constraints.txt").read_text().splitlines()
        for name in [line.split("==")[0].strip().lower()]))
    run(python, "-m", "pip", "install", "--quiet", "-r", source / "requirements.txt", "-c", constraints)
    copy = env / "src"
    shutil.rmtree(copy, ignore_errors=True)
    for name in ENV_SOURCES[2:]:
        if (source / name).is_dir():
            shutil.copytree(source / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source / name, copy / name)
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall",
        "--editable", copy / "nbgrader-sandbox", "--editable", copy, cwd="/")
    run(python, "-m", "nbgrader_sandbox", "install", f"--prefix={env}")
    open_up(env, 0o755)
    stamp.write_text(digest)
    return True


# -- accounts ------------------------------------------------------------------------------------

def check_name(name):
    if not ACCOUNT_NAME.match(name):
        raise CourseError(f"{name!r} cannot be a Unix account: use lower-case letters, digits, - and _")
    return name


def account(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def ensure_account(name, system=False):
    """Create the account `name` with a private home folder, or reopen it if it had expired."""
    entry = account(check_name(name))
    if entry is None:
        run("useradd", "--create-home", "--shell", "/bin/bash", *(["--system"] if system else []), name)
        entry = account(name)
        Path(entry.pw_dir).chmod(0o700)
        log.info("account %s created", name)
    elif not system:
        if entry.pw_uid < FIRST_UID:
            raise CourseError(f"{name} is a system account (uid {entry.pw_uid}), not a student or instructor")
        run("usermod", "--expiredate", "", name)
    return entry


def close_account(name):
    """Expire the account (PAM refuses it from now on); its home folder and files stay."""
    if account(name) is not None:
        run("usermod", "--expiredate", "1", name)
        log.info("account %s expired, its files kept", name)


def sync_accounts(settings, students, instructors):
    """Make the accounts match the roster; return who was added and who removed since last time."""
    for name in [*students, *instructors]:
        check_name(name)
    listed = set(students) | set(instructors)
    removed = sorted((set(settings.students) | set(settings.instructors)) - listed)
    for name in removed:
        close_account(name)
    added = sorted(listed - set(settings.students) - set(settings.instructors))
    for name in [*students, *instructors]:
        ensure_account(name)
    ensure_account(settings.grader, system=True)
    settings.students, settings.instructors = list(students), list(instructors)
    settings.removed = sorted((set(settings.removed) | set(removed)) - listed)
    return added, removed


def roster_students(path):
    """The account names of a roster's students (its `id` column)."""
    return [check_name(row["id"]) for row in read_roster(path)]


# -- course folder, exchange, role configuration -------------------------------------------------

def chown_tree(path, user):
    entry = pwd.getpwnam(user)
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, f) for f in dirs + files)]:
            os.lchown(name, entry.pw_uid, entry.pw_gid)


def grader(settings, *args):
    """Run `python -m transformer_course <args>` on the deployed course, as the grader."""
    environment = {**settings.server_environment("grader", settings.grader_home), "MPLBACKEND": "Agg"}
    return run("env", *(f"{k}={v}" for k, v in environment.items()), Path(settings.env) / "bin" / "python",
               "-m", "transformer_course", "--course", settings.course, "--quiet", *args,
               user=settings.grader, cwd=settings.course)


def deploy_course(settings, source=ROOT, roster=None):
    """Copy the course (its config and source/) into the grader's folder, unless it is there.

    The copy is the grader's, closed to everyone else; a roster is imported into its gradebook.
    """
    target = Path(settings.course)
    if not (target / "nbgrader_config.py").is_file():
        Course.scratch(target, origin=source)
        log.info("course deployed in %s", target)
    open_up(target, 0)
    target.chmod(0o700)
    chown_tree(target, settings.grader)
    if roster:
        copy = target / "roster.csv"
        shutil.copy(roster, copy)
        chown_tree(copy, settings.grader)
        grader(settings, "roster", copy)


def prepare_exchange(settings):
    """The exchange root (anyone may add, sticky) and the course's folders, owned by the grader.

    outbound/ is read-only for students; inbound/ is write-only (a student cannot list it, nor,
    with the sticky bit, replace what another student submitted); feedback/ cannot be listed, only
    a student's own page read (its name is a hash of their submission).
    """
    root = Path(settings.exchange)
    root.mkdir(parents=True, exist_ok=True)
    open_up(root, 0)
    root.chmod(0o1777)
    entry = pwd.getpwnam(settings.grader)
    for name, mode in [("", 0o755), ("outbound", 0o755), ("inbound", 0o3733), ("feedback", 0o711)]:
        folder = root / settings.course_id / name
        folder.mkdir(exist_ok=True)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        folder.chmod(mode)


def delegate_cgroup(settings):
    """Give the grader a cgroup, `grader-<course>` below this process's own (the hub's) in each cgroup
    v1 hierarchy of pids, memory and cpu, under which its sandboxes make theirs (Sandbox.cgroup_parent):
    the grader owns the folder, its cgroup.procs and tasks. Returns its name, or "" where none was made.
    Not with cgroups v2, where a process may move only within a delegated subtree it started in."""
    entry = pwd.getpwnam(settings.grader)
    made = False
    for folder, version in set(cgroup.hierarchies().values()):
        if version != 1:
            continue
        target = os.path.join(folder, settings.grader)
        try:
            os.makedirs(target, exist_ok=True)
            for path in (target, os.path.join(target, "cgroup.procs"), os.path.join(target, "tasks")):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            made = True
        except OSError as error:
            log.warning("no cgroup for %s in %s: %s", settings.grader, folder, error)
    if not made:
        log.warning("the grader's sandboxes get no cgroup caps: no cgroup v1 hierarchy this process may write")
    return settings.grader if made else ""


def remove_cgroup(settings):
    """Remove the grader's cgroups (those of finished sandboxes first; a busy one stays)."""
    if not settings.grader_cgroup:
        return
    for folder, _ in set(cgroup.hierarchies(under=settings.grader_cgroup).values()):
        for path, _, _ in os.walk(folder, topdown=False):
            try:
                os.rmdir(path)
            except OSError:
                pass


def write_role_configs(settings):
    """A Jupyter configuration folder per role (lab.py's extension switches), readable by all.

    Every role uses nbgrader's JupyterHubAuthPlugin (courses from the hub's groups) and the
    exchange layout with the course in its paths; students' caches stay in their home folders.
    """
    nbgrader = {"Exchange": {"root": settings.exchange, "path_includes_course": True},
                "Authenticator": {"plugin_class": "nbgrader.auth.JupyterHubAuthPlugin"}}
    for role, lab_role in [("student", "student"), ("instructor", "instructor"), ("grader", "instructor")]:
        folder = settings.role_config(role)
        lab.write_config(folder, lab_role, Path("~"), Path(settings.exchange), settings.course_id)
        course = {"CourseDirectory": {"course_id": settings.course_id}} if role != "grader" else \
            {"Sandbox": {"cgroup_parent": settings.grader_cgroup}}
        (folder / "nbgrader_config.json").write_text(json.dumps({**nbgrader, **course}, indent=2))
        (folder / "migrated").touch()  # else jupyter_core tries to write it there, as the user
    for folder, dirs, files in os.walk(Path(settings.state) / "jupyter"):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    open_up(Path(settings.state) / "jupyter", 0o755)


def prepare(settings, source=ROOT, roster=None, instructors=None):
    """Everything the hub needs before it starts; returns the users added and removed."""
    require_root()
    if not Path(settings.proxy).exists():
        raise CourseError(f"no configurable-http-proxy at {settings.proxy}: make system installs it")
    build_env(settings.env, source)
    Path(settings.state).mkdir(parents=True, exist_ok=True)
    settings.private.mkdir(mode=0o700, exist_ok=True)
    settings.private.chmod(0o700)
    students = roster_students(roster) if roster else settings.students
    changes = sync_accounts(settings, students, settings.instructors if instructors is None else instructors)
    settings.grader_cgroup = delegate_cgroup(settings)
    prepare_exchange(settings)
    write_role_configs(settings)
    deploy_course(settings, source, roster)
    settings.save()
    return changes


# -- the running hub -----------------------------------------------------------------------------

@dataclass
class Hub:
    """A running JupyterHub of a deployment."""
    settings: Settings
    ip: str
    port: int
    process: subprocess.Popen

    @property
    def url(self):
        return f"http://{'127.0.0.1' if self.ip in ('', '0.0.0.0') else self.ip}:{self.port}/"

    @property
    def api(self):
        return f"{self.url}hub/api"


def start(settings, ip="127.0.0.1", port=8000, timeout=120):
    """Start JupyterHub (as root) with deploy/jupyterhub_config.py; wait until it answers."""
    env = dict(os.environ, COURSE_HUB_STATE=settings.state)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    command = [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG_FILE), f"--ip={ip}", f"--port={port}"]
    with open(settings.private / "jupyterhub.log", "ab") as out:
        process = subprocess.Popen(command, cwd=settings.private, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(settings, ip, port, process)
    try:
        wait_ready(hub, timeout)
    except BaseException:
        stop(hub)
        raise
    return hub


def hub_log(settings):
    path = settings.private / "jupyterhub.log"
    return path.read_text(errors="replace")[-5000:] if path.is_file() else ""


def wait_ready(hub, timeout):
    lab.answering(hub.process, f"{hub.api}/", timeout, "JupyterHub", lambda: hub_log(hub.settings), CourseError)


def stop(hub, servers=True):
    """Stop the hub, its proxy and its services, all at once (a hub stops its services one by one,
    slowly); with `servers`, also every process of the class's accounts, else their servers run on."""
    s = hub.settings
    users = [*s.students, *s.instructors, *s.removed]
    if hub.process.poll() is None:
        kept = set() if servers else {entry.pw_uid for entry in map(account, users) if entry}
        children = [p for p in psutil.Process(hub.process.pid).children() if _uid(p) not in kept]
        hub.process.terminate()
        try:
            stop_processes([*users, s.grader] if servers else [], children)
            hub.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(hub.process.pid, signal.SIGKILL)
            hub.process.wait()
    elif servers:
        stop_processes([*users, s.grader])
    stop_proxy(s)


def _uid(process):
    try:
        return process.uids().real
    except psutil.Error:
        return None


def restart(hub, timeout=120):
    """Restart the hub (not the users' servers: the new hub finds them running)."""
    stop(hub, servers=False)
    hub.process = start(hub.settings, hub.ip, hub.port, timeout).process


def stop_proxy(settings):
    pid_file = settings.private / "proxy.pid"
    try:
        process = psutil.Process(int(pid_file.read_text()))
        if "configurable-http-proxy" in " ".join(process.cmdline()):
            process.terminate()
            process.wait(10)
    except (OSError, ValueError, psutil.Error):
        pass


def stop_processes(names, others=()):
    """Terminate (then kill) every process that runs as one of the accounts `names`, and `others`."""
    uids = {entry.pw_uid for entry in map(account, names) if entry}
    victims = [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real in uids]
    victims += [p for p in others if p not in victims]
    for process in victims:
        try:
            process.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(victims, timeout=10)
    for process in alive:
        try:
            process.kill()
        except psutil.Error:
            pass


def api(settings, method, path, data=None):
    """Call the running hub's REST API with the course-admin service's token; None if it is down."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{settings.hub_port}/hub/api{path}", method=method,
        data=json.dumps(data).encode() if data is not None else None,
        headers={"Authorization": f"token {settings.secret('admin-token')}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            return json.loads(body) if body else {}
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return {}
        raise CourseError(f"hub API {method} {path}: {error.code} {error.read()[:300]!r}") from None
    except (urllib.error.URLError, ConnectionError):
        return None


def update_running_hub(settings, added, removed):
    """Bring a running hub up to date with the roster: add users to it and to the course's group,
    stop the servers of removed students and delete them from the hub (never their files)."""
    group = f"nbgrader-{settings.course_id}"
    for name in added:
        if api(settings, "POST", f"/users/{name}", {}) is None:
            return False  # the hub is not running: it reads the roster when it starts
    if added:
        api(settings, "POST", f"/groups/{group}/users", {"users": list(added)})
    for name in removed:
        if api(settings, "DELETE", f"/users/{name}/server") is None:
            return False
        for _ in range(60):
            user = api(settings, "GET", f"/users/{name}")
            if not user or not user.get("servers"):
                break
            time.sleep(1)
        api(settings, "DELETE", f"/users/{name}")
    stop_processes(removed)
    return True


def settings_for(course, state=None, exchange=None, env=None):
    """The deployment's settings: saved ones from `state` if any, else new ones for `course`."""
    state = Path(state or STATE)
    if (state / "hub.json").is_file():
        settings = Settings.load(state)
    else:
        course_id = course.config.CourseDirectory.course_id
        settings = Settings(course_id=course_id, course=str(SRV / course_id), grader=f"grader-{course_id}",
                            exchange=str(SRV / "exchange"), state=str(state))
    if exchange:
        settings.exchange = str(Path(exchange).resolve())
    if env:
        settings.env = str(Path(env).resolve())
    return settings
