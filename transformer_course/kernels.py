"""Faster kernel start for autograde (Linux): kernels forked from a warm zygote, not a new Python.

A fresh `python -m ipykernel_launcher` spends most of its life importing ipykernel and then, in
the notebook's setup cell, NumPy, matplotlib and seaborn. `ForkingExecute` is nbgrader's Execute
with a kernel manager whose kernels are forked from a zygote process (one per grading process)
that imported those once. The forked kernel is a process and session of its own with the same
command line, environment and folder as a fresh kernel, no notebook code run. What differs: those
modules are already imported (before the shell, not by the setup cell) and the str hash seed is
the zygote's. Grades are unchanged; tests/test_parallel.py and the benchmark compare them.
"""
import ast
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from multiprocessing.util import Finalize
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbgrader.preprocessors import Execute
from traitlets import List

from .safe_execute import SafeExecute

_zygote = None


def notebook_imports(path):
    """Top-level modules imported by the notebook's read-only cells (setup and helpers)."""
    modules = []
    for cell in nbformat.read(path, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("locked") or meta.get("grade"):
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                modules += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.append(node.module)
    return list(dict.fromkeys(modules))


def fork_kernel(argv, env, cwd, preload):
    """Ask this process's zygote (started on first use) for a kernel; return its pid."""
    global _zygote
    if _zygote is None or _zygote.poll() is not None:
        _zygote = subprocess.Popen([sys.executable, str(Path(__file__).with_name("zygote.py")), *preload],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        Finalize(_zygote, _zygote.kill, exitpriority=10)
    _zygote.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": str(cwd)}) + "\n")
    _zygote.stdin.flush()
    pid = _zygote.stdout.readline()
    if not pid:
        raise RuntimeError("the kernel zygote exited; its error is on stderr")
    return int(pid)


class ForkedProcess:
    """The part of `Popen` a provisioner uses, for a kernel the zygote forked (and reaps)."""

    stdin = stdout = stderr = None

    def __init__(self, pid):
        self.pid = pid
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # gone; its exit status went to the zygote
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum):
        os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class ForkingProvisioner(LocalProvisioner):
    """LocalProvisioner whose `python -m ipykernel_launcher` kernels come from the zygote."""

    async def launch_kernel(self, cmd, **kwargs):
        forkable = sys.platform == "linux" and cmd[1:3] == ["-m", "ipykernel_launcher"]
        if not forkable or Path(cmd[0]).resolve() != Path(sys.executable).resolve():
            return await super().launch_kernel(cmd, **kwargs)
        launcher = Path(sys.modules["ipykernel"].__file__).parent.parent / "ipykernel_launcher.py"
        env = dict(kwargs.get("env") or os.environ, JPY_PARENT_PID=str(os.getpid()))  # as launch_kernel
        self.pid = self.pgid = fork_kernel([str(launcher), *cmd[3:]], env, kwargs.get("cwd") or os.getcwd(),
                                           self.parent.preload)
        self.process = ForkedProcess(self.pid)
        self.cwd = kwargs.get("cwd", Path.cwd())
        return self.connection_info


class ForkingKernelManager(AsyncKernelManager):
    """AsyncKernelManager with the ForkingProvisioner."""

    preload = List([], help="modules the zygote imports before it forks kernels").tag(config=True)

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkingProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec,
                                                  parent=self)
        return await super()._async_pre_start_kernel(**kw)


class ForkingExecute(Execute):
    """nbgrader's Execute preprocessor (same config, same execution) on forked kernels."""

    def __init__(self, **kwargs):
        kwargs.setdefault("kernel_manager_class", ForkingKernelManager)
        super().__init__(**kwargs)


class ForkingSafeExecute(SafeExecute):
    """SafeExecute on forked kernels when the sandbox is off; sandboxed kernels start as usual."""

    def __init__(self, **kwargs):
        kwargs.setdefault("kernel_manager_class", ForkingKernelManager)
        super().__init__(**kwargs)
