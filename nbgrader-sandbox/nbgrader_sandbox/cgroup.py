"""A control group per sandbox: caps that hold for all its processes together.

Resource limits (setrlimit) bind one process each, and RLIMIT_NPROC not at all for root, so a
kernel that forks in a loop could fill the machine's process table or, a process at a time, its
memory. Where the machine lets this user create cgroups (v1 or v2, e.g. root), a sandbox joins a
new cgroup that caps its tasks (``pids.max``) and its memory (``memory.max`` /
``memory.limit_in_bytes``); a cgroup may also cap CPU time, in cores (``cpu.max`` /
``cpu.cfs_quota_us``). Elsewhere `create` returns None and only the rlimits apply.

Cgroups live under ``<hierarchy>/<this process's cgroup>[/<under>]/nbgrader-sandbox/<owner pid>-<n>``;
one whose owner is gone is removed the next time a cgroup is created. ``under`` names a cgroup
below this process's own, e.g. one that root delegated to a user who is not root (cgroups v1: root
made it and gave the user the folder, its ``cgroup.procs`` and ``tasks``); with cgroups v2 a process
may only move into a delegated cgroup from inside the delegated subtree.
"""
import functools
import itertools
import os

BASE = "nbgrader-sandbox"
LIMIT_FILES = {"pids": ("pids.max", "pids.max"), "memory": ("memory.limit_in_bytes", "memory.max"),
               "cpu": ("cpu.cfs_quota_us", "cpu.max")}
CPU_PERIOD = 100_000  # microseconds: a CPU cap of n cores allows n * CPU_PERIOD of CPU time per period
_serial = itertools.count()


def hierarchies(mounts_file="/proc/self/mounts", cgroup_file="/proc/self/cgroup", under=""):
    """{controller: (folder of this process's cgroup, or of `under` below it, cgroup version)} for
    pids, memory and cpu."""
    mounts = {}
    with open(mounts_file) as f:
        for line in f:
            _, point, kind, options = line.split()[:4]
            if kind == "cgroup2":
                mounts[""] = point
            elif kind == "cgroup":
                for name in options.split(","):
                    mounts[name] = point
    found = {}
    with open(cgroup_file) as f:
        for line in f:
            _, names, path = line.rstrip("\n").split(":", 2)
            for name in names.split(",") if names else [""]:
                if name in mounts:
                    folder = os.path.join(mounts[name], path.lstrip("/"), under.strip("/")).rstrip("/")
                    if os.path.isdir(folder):  # not so inside some cgroup namespaces
                        found[name] = folder
    result = {}
    for name in LIMIT_FILES:
        if name in found:
            result[name] = (found[name], 1)
        elif "" in found and name in _read(os.path.join(found[""], "cgroup.controllers")).split():
            result[name] = (found[""], 2)
    return result


def limit_files(controller, version, value):
    """[(file, text)] that set a controller's limit: tasks, bytes, or cores (a float) for cpu;
    "max" for no limit."""
    if controller != "cpu":
        return [(LIMIT_FILES[controller][version - 1], str(value))]
    quota = "max" if value == "max" else str(max(1000, round(float(value) * CPU_PERIOD)))
    if version == 2:
        return [("cpu.max", f"{quota} {CPU_PERIOD}")]
    return [("cpu.cfs_period_us", str(CPU_PERIOD)), ("cpu.cfs_quota_us", "-1" if quota == "max" else quota)]


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _prune(base):
    """Remove the cgroups of base whose owner process is gone (a busy cgroup refuses)."""
    for name in os.listdir(base):
        owner = name.split("-")[0]
        if owner.isdigit() and not _alive(int(owner)):
            try:
                os.rmdir(os.path.join(base, name))
            except OSError:
                pass


def _make(parent, controllers, version):
    """parent/BASE/<pid>-<n>, able to use the controllers (v2: enabled on the way), or None."""
    base = os.path.join(parent, BASE)
    try:
        try:
            os.mkdir(base)
        except FileExistsError:
            pass
        if version == 2:
            for folder in (parent, base):  # refused where parent has processes: checked below
                try:
                    with open(os.path.join(folder, "cgroup.subtree_control"), "w") as f:
                        f.write(" ".join(f"+{name}" for name in controllers))
                except OSError:
                    pass
        _prune(base)
        folder = os.path.join(base, f"{os.getpid()}-{next(_serial)}")
        os.mkdir(folder)
    except OSError:
        return None
    return folder


class Cgroup:
    """New cgroups (one per hierarchy) with the given limits; a process joins them all."""

    def __init__(self, folders):
        self.folders = folders  # {controller: folder}
        self._procs = [os.open(os.path.join(folder, "cgroup.procs"), os.O_WRONLY)
                       for folder in sorted(set(folders.values()))]

    @classmethod
    def create(cls, limits, under=""):
        """Cgroups with limits {"pids": tasks, "memory": bytes, "cpu": cores}, or None where the
        machine has none (a controller it cannot cap is left out of `folders`); made below the cgroup
        `under` this process's own, if given."""
        wanted = {}
        for controller, (parent, version) in hierarchies(under=under).items():
            if controller in limits:
                wanted.setdefault((parent, version), []).append(controller)
        folders = {}
        for (parent, version), controllers in wanted.items():
            folder = _make(parent, controllers, version)
            if folder is None:
                continue
            for controller in controllers:
                try:
                    for name, text in limit_files(controller, version, limits[controller]):
                        with open(os.path.join(folder, name), "w") as f:
                            f.write(text)
                    folders[controller] = folder
                except OSError:
                    pass
            if folder not in folders.values():
                os.rmdir(folder)
        return cls(folders) if folders else None

    def join(self):
        """Move the calling process into the cgroups; safe as Popen's preexec_fn (it only writes)."""
        for fd in self._procs:
            os.write(fd, b"0")

    def remove(self):
        """Remove the cgroups once their processes are gone."""
        for fd in self._procs:
            os.close(fd)
        self._procs = []
        for folder in set(self.folders.values()):
            try:
                os.rmdir(folder)
            except OSError:
                pass


@functools.cache
def available(under=""):
    """Whether this process can create cgroups that cap tasks (below `under`; checked once)."""
    group = Cgroup.create({"pids": "max"}, under)
    if group is not None:
        group.remove()
    return group is not None and "pids" in group.folders
