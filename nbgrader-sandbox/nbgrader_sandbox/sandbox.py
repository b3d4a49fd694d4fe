"""A bubblewrap sandbox for the ipykernel that runs a student's notebook during autograding.

The kernel, without capabilities, sees the system read-only (``/usr``, harmless files of ``/etc``,
the Python installation), its own working folder read-write (a tmpfs of ``disk_limit`` bytes
into which the grader copies the notebook's folder, and from which it takes back only the
declared ``outputs``: disk.py), a private ``/tmp`` and nothing else: no home, no course folder (so
no gradebook, ``source/``, exchange or other students), no network. Its address space, CPU time,
file sizes, working folder and private /tmp and /dev/shm are capped, and, where cgroups can be
made (cgroup.py), the tasks and memory of the whole sandbox. It talks to the grader over ZMQ
``ipc`` sockets in a folder bound into the sandbox.

Settings: ``c.Sandbox.memory_limit = BYTES`` etc. in ``nbgrader_config.py``; ``SafeExecute``
passes them to the kernel's launcher (launcher.py) as ``--Sandbox.*`` arguments.
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile

from traitlets import Integer, List, Unicode, default
from traitlets.config import Configurable

from .cgroup import Cgroup

GiB = 2**30


class SandboxError(RuntimeError):
    """bubblewrap is missing or cannot create the sandbox."""


class Sandbox(Configurable):
    """The limits and mounts of the sandbox, and the bwrap command line that applies them."""

    bwrap = Unicode("bwrap", help="The bubblewrap executable.").tag(config=True)

    memory_limit = Integer(2 * GiB, help="Address-space limit (RLIMIT_AS) of the kernel in bytes.").tag(config=True)
    cpu_limit = Integer(600, help="CPU seconds for the whole kernel (RLIMIT_CPU).").tag(config=True)
    file_limit = Integer(256 * 2**20, help="Largest file the kernel may write (RLIMIT_FSIZE) in bytes.").tag(
        config=True)
    process_limit = Integer(
        128, help="Processes and threads of the whole sandbox together, where cgroups can be created "
        "(cgroup.py); elsewhere not capped."
    ).tag(config=True)
    cgroup_parent = Unicode(
        "", help="A cgroup below this process's own under which the sandboxes' cgroups are made, e.g. one "
        "that root delegated to the grading account (cgroup.py); empty: below this process's own."
    ).tag(config=True)
    tmp_limit = Integer(
        256 * 2**20, help="Size in bytes of each of the private /tmp and /dev/shm (tmpfs, so in memory)."
    ).tag(config=True)
    disk_limit = Integer(
        256 * 2**20, help="Size in bytes of the kernel's working folder (a tmpfs, so in memory, holding a copy "
        "of the notebook's folder): all the kernel writes there together."
    ).tag(config=True)
    outputs = List(
        Unicode(), help="Files the kernel writes in its working folder that are kept (copied back beside the "
        "graded notebook): glob patterns matched against the path relative to that folder, e.g. '*.png', "
        "'results/*.csv'. Everything else it writes is discarded; notebooks are never copied back."
    ).tag(config=True)
    readonly_paths = List(
        Unicode(), help="Paths visible read-only (top-level symlinks stay symlinks, missing ones are skipped); "
        "the Python installation is always added. Only harmless files of /etc by default."
    ).tag(config=True)
    environment = List(
        Unicode(), ["LANG", "LC_ALL", "TZ", "NBGRADER_EXECUTION"],
        help="Variables passed through; the rest of the environment is cleared."
    ).tag(config=True)

    @default("readonly_paths")
    def _readonly_paths_default(self):
        etc = ["ld.so.cache", "localtime", "passwd", "group", "nsswitch.conf", "hosts", "mime.types",
               "alternatives", "fonts", "ssl"]
        return ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", *(f"/etc/{name}" for name in etc)]

    def arguments(self):
        """Command-line arguments that reproduce this configuration in the launcher."""
        names = sorted(self.trait_names(config=True))
        # JSON throughout, but an empty string as nothing: traitlets reads '""' as two quotes
        return [f"--Sandbox.{name}={json.dumps(value) if value != '' else ''}"
                for name in names for value in [getattr(self, name)]]

    def _mounts(self):
        python = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))}
        # The private /tmp first: a Python installation under /tmp is bound on top of it. /dev is
        # read-only but for its devices and a private /dev/shm; both tmpfs have a size limit.
        size = str(self.tmp_limit)
        args = ["--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm", "--remount-ro", "/dev", "--proc", "/proc",
                "--size", size, "--tmpfs", "/tmp"]
        for path in list(self.readonly_paths) + sorted(python):
            if os.path.islink(path) and os.path.dirname(path) == "/":
                args += ["--symlink", os.readlink(path), path]
            elif os.path.exists(path):
                args += ["--ro-bind", path, path]
        return args

    def command(self, argv, cwd, writable=(), readable=()):
        """bwrap command running argv in cwd, an empty tmpfs of disk_limit bytes (disk.py fills it), with
        extra writable and read-only bind mounts."""
        cmd = [self.bwrap, "--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "--new-session",
               *self._mounts()]
        for path in writable:
            cmd += ["--bind", path, path]
        cmd += ["--size", str(self.disk_limit), "--tmpfs", cwd]
        for path in readable:
            cmd += ["--ro-bind", path, path]
        # Inside, the parent of the kernel is bwrap's init (pid 1): JPY_PARENT_PID=1 turns off
        # ipykernel's parent polling and its console banner.
        cmd += ["--remount-ro", "/", "--chdir", cwd, "--clearenv", "--setenv", "PATH", "/usr/bin:/bin",
                "--setenv", "HOME", "/tmp", "--setenv", "JPY_PARENT_PID", "1"]
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            cmd += ["--setenv", name, "1"]
        for name in self.environment:
            if name in os.environ:
                cmd += ["--setenv", name, os.environ[name]]
        return cmd + ["--", *argv]

    def limits(self):
        """{resource name: (soft, hard)} of the kernel's resource limits."""
        return {"RLIMIT_AS": (self.memory_limit, self.memory_limit),
                "RLIMIT_CPU": (self.cpu_limit, self.cpu_limit + 5),
                "RLIMIT_FSIZE": (self.file_limit, self.file_limit)}

    def cgroup(self):
        """A new cgroup capping the sandbox's tasks at process_limit and its memory at memory_limit
        plus its three tmpfs; None where the machine lets us create none."""
        memory = self.memory_limit + 2 * self.tmp_limit + self.disk_limit
        return Cgroup.create({"pids": self.process_limit, "memory": memory}, self.cgroup_parent)

    def apply_limits(self):
        """Set the resource limits on this process; they are inherited by bwrap and the kernel."""
        for name, value in self.limits().items():
            resource.setrlimit(getattr(resource, name), value)

    def check(self):
        """Raise SandboxError unless bwrap can create this sandbox here."""
        if shutil.which(self.bwrap) is None:
            raise SandboxError(f"bubblewrap ({self.bwrap!r}) is not installed: `apt-get install bubblewrap`, "
                               "or set c.SafeExecute.sandbox = False to grade without a sandbox")
        with tempfile.TemporaryDirectory() as cwd:
            probe = subprocess.run(self.command(["true"], cwd), capture_output=True, text=True)
        if probe.returncode != 0:
            raise SandboxError(f"bubblewrap cannot create the sandbox: {probe.stderr.strip()} (user namespaces "
                               "disabled? see `sysctl kernel.unprivileged_userns_clone` and AppArmor's "
                               "`kernel.apparmor_restrict_unprivileged_userns`), or set c.SafeExecute.sandbox = False")
