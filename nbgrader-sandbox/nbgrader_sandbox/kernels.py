"""Faster kernel start for autograde (Linux): kernels forked from a warm zygote, not a new Python.

A fresh `python -m ipykernel_launcher` spends most of its life importing ipykernel and then, in
the notebook's setup cell, its libraries (NumPy, matplotlib, ...). With ``c.SafeExecute.fork_kernels``
the kernel manager's kernels are forked from a zygote process (zygote.py, one per grading
process) that imported those once. The forked kernel is a process and session of its own with the
same command line, environment and folder as a fresh kernel, no notebook code run. What differs:
those modules are already imported (before the shell, not by the setup cell) and the str hash seed
is the zygote's. Grades are unchanged (tests/test_quickstart.py compares them with stock nbgrader).

Sandboxed kernels are forked the same way: the zygote then lives in a bubblewrap sandbox of its
own (the same mounts and limits as a sandboxed kernel) that binds one private folder of the
grading process, for the kernels' sockets. One kernel at a time runs in the sandbox's working
folder (a size-capped tmpfs that the grader fills with a copy of the notebook's folder and empties
afterwards: disk.py), and the zygote wipes the rest of the sandbox between kernels.
"""
import ast
import errno
import importlib.util
import json
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from multiprocessing.util import Finalize
from pathlib import Path
from queue import Empty

import nbformat
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Instance, List, Type

from .launcher import LAUNCHER, READY
from .sandbox import Sandbox
from .zygote import remove


def notebook_imports(*paths):
    """Top-level modules imported by the read-only cells (setup and helpers) of the notebooks."""
    modules = []
    cells = [cell for path in paths for cell in nbformat.read(path, as_version=4).cells]
    for cell in cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("locked") or meta.get("grade"):
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                modules += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.append(node.module)
    return list(dict.fromkeys(modules))


STARTUP = 300  # seconds the zygote may take to import the notebook's modules
TIMEOUT = 30  # seconds it may take to answer a request; after that it is killed


class ZygoteError(RuntimeError):
    """The zygote died or stopped answering (and is killed): its kernels are gone."""


class Zygote:
    """A zygote process (zygote.py) and its request pipe; in its own sandbox when given one."""

    def __init__(self, preload, sandbox=None):
        script = str(Path(__file__).with_name("zygote.py"))
        argv = [sys.executable, script, *preload]
        self.sandboxed = sandbox is not None
        group = None
        if self.sandboxed:
            limits = json.dumps(sandbox.limits())
            argv = sandbox.command([sys.executable, script, f"--sandbox={limits}", *preload], disk_folder(),
                                   writable=[sandbox_root()], readable=[script])
            group = sandbox.cgroup()
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        preexec_fn=group and group.join)
        self.close = Finalize(self, _stop, args=(self.process, group), exitpriority=10)
        if self._answer(STARTUP) != "ready":
            raise ZygoteError("the kernel zygote did not start; its error is on stderr")

    def request(self, **request):
        """Send one request; return its answer, or raise ZygoteError."""
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except OSError:
            pass
        return self._answer(TIMEOUT)

    def _answer(self, timeout):
        try:
            ready, _, _ = select.select([self.process.stdout], [], [], timeout)
            answer = self.process.stdout.readline() if ready else ""
        except OSError:
            answer = ""
        if not answer:
            self.close()
            raise ZygoteError("the kernel zygote exited or hung; its error is on stderr")
        return answer.strip()


def _stop(process, group):
    process.kill()
    process.wait()
    if group is not None:
        group.remove()


_zygotes = {}
_root = None


def sandbox_root():
    """This process's folder that sandboxed zygotes bind: kernels' sockets are in sub-folders of it."""
    global _root
    if _root is None:
        _root = tempfile.mkdtemp(prefix="nbgrader-sandbox-")
        os.mkdir(disk_folder())
        Finalize(None, shutil.rmtree, args=(_root, True), exitpriority=0)
    return _root


def disk_folder():
    """Where a sandboxed zygote's working folder, a tmpfs, is mounted: its kernels run in it."""
    return os.path.join(sandbox_root(), "disk")


def zygote(preload, sandbox=None):
    """This process's running zygote for these modules and sandbox, started on first use."""
    key = (tuple(preload), tuple(sandbox.arguments()) if sandbox else None)
    if key not in _zygotes or _zygotes[key].process.poll() is not None:
        _zygotes[key] = Zygote(preload, sandbox)
    return _zygotes[key]


class ForkedProcess:
    """The part of `Popen` a provisioner uses, for a kernel the zygote forked (and reaps).

    Signals go to the kernel's process group through the zygote (a sandboxed kernel's pid is one
    of the sandbox's PID namespace). A kernel whose zygote is gone is gone too.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid, zygote):
        self.pid = pid
        self.zygote = zygote
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            try:
                if self.zygote.request(op="poll", pid=self.pid) == "gone":
                    self.returncode = 0  # its exit status went to the zygote
            except ZygoteError:
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum):
        try:
            gone = self.zygote.request(op="signal", pid=self.pid, signal=int(signum)) == "gone"
        except ZygoteError:
            gone = True
        if gone:
            raise ProcessLookupError(errno.ESRCH, f"kernel {self.pid} is gone")

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class ForkingProvisioner(LocalProvisioner):
    """LocalProvisioner whose `python -m ipykernel_launcher` kernels come from the zygote; with the
    manager's sandbox, also the sandbox launcher's kernels that run in `disk_folder()`."""

    zygote = None

    async def launch_kernel(self, cmd, **kwargs):
        sandbox = self.parent.sandbox
        cwd = str(kwargs.get("cwd") or os.getcwd())
        if sandbox is None:
            forkable = cmd[1:3] == ["-m", "ipykernel_launcher"]
        else:
            forkable = cmd[1:1 + len(LAUNCHER)] == LAUNCHER and cwd == disk_folder()
        if sys.platform != "linux" or not forkable or Path(cmd[0]).resolve() != Path(sys.executable).resolve():
            return await super().launch_kernel(cmd, **kwargs)
        launcher = importlib.util.find_spec("ipykernel_launcher").origin
        env = None  # the sandbox's own
        if sandbox is None:
            env = dict(kwargs.get("env") or os.environ, JPY_PARENT_PID=str(os.getpid()))  # as launch_kernel
        self.zygote = zygote(self.parent.preload, sandbox)
        skip = 1 + (2 if sandbox is None else len(LAUNCHER))
        args = [arg for arg in cmd[skip:] if not arg.startswith("--Sandbox.")]  # the zygote's sandbox has them
        ready = os.path.join(os.path.dirname(self.parent.connection_file), READY)
        ready = ready if sandbox is not None and os.path.exists(ready) else None
        self.pid = int(self.zygote.request(op="fork", argv=[launcher, *args], env=env, cwd=cwd, ready=ready))
        self.process = ForkedProcess(self.pid, self.zygote)
        self.cwd = cwd
        return self.connection_info

    async def cleanup(self, restart=False):
        await super().cleanup(restart)
        if self.zygote is not None and self.zygote.sandboxed:
            try:
                self.zygote.request(op="reset")  # nothing of this kernel is left for the next
            except ZygoteError:
                pass  # closed: the next kernel gets a new sandbox


class ReadyClient(AsyncKernelClient):
    """AsyncKernelClient ready as soon as the kernel's reply to kernel_info came on the shell channel
    and its idle status on IOPub. jupyter_client then waits until IOPub has been silent for 0.2 s,
    half of a forked kernel's start, for nothing: nbclient reads only the messages of its cells."""

    async def wait_for_ready(self, timeout=None):
        deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        while True:
            request = self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply" and await self._idle(request):
                self._handle_kernel_info_reply(reply)
                return
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _idle(self, request):
        """Whether IOPub brings the kernel's idle status after `request`. Until a message of the
        request arrives IOPub may not be connected yet (ZeroMQ drops what a subscriber joins too late
        for), so that wait is short and the caller asks again."""
        timeout = 0.05
        while True:
            try:
                msg = await self.iopub_channel.get_msg(timeout=timeout)
            except Empty:
                return False
            if msg["parent_header"].get("msg_id") == request:
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return True
                timeout = 10


class ForkingKernelManager(AsyncKernelManager):
    """AsyncKernelManager with the ForkingProvisioner and the ReadyClient."""

    client_factory = Type(ReadyClient, klass=AsyncKernelClient)

    preload = List([], help="modules the zygote imports before it forks kernels").tag(config=True)
    sandbox = Instance(Sandbox, allow_none=True, help="fork sandboxed kernels in a zygote in this sandbox")

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkingProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec,
                                                  parent=self)
        return await super()._async_pre_start_kernel(**kw)


@contextmanager
def kernel_slot():
    """A fresh folder under `sandbox_root()` for one sandboxed kernel's connection file and sockets."""
    slot = tempfile.mkdtemp(dir=sandbox_root())
    try:
        yield slot
    finally:
        remove(slot)
