"""nbgrader's Execute step hardened for untrusted submissions: one preprocessor, set by traits.

- ``sandbox``: the kernel runs in the bubblewrap sandbox (sandbox.py) over ipc sockets; a missing
  or broken bwrap is an error, never a silent fallback.
- ``fork_kernels``: kernels are forked from a warm zygote (kernels.py) instead of started from a
  new Python; sandboxed, each runs in a copy of the notebook's folder (what it writes there is
  copied back), the zygote in a sandbox of its own.
- A cell that times out is interrupted (nbgrader's ``Execute.timeout``) and scores 0; the next
  cells still run. If the kernel does not come back, it is treated as dead.
- A notebook that runs past ``notebook_timeout`` seconds in all gets no further cells run: they
  score 0 and the checks that ran keep their credit.
- A dead kernel (``os._exit``, a crash, the memory or CPU cap) fails that cell and every later
  code cell instead of failing the whole submission, so the checks that ran keep their credit.
- Each output stream (stdout, stderr) of a cell, and each text value of a rich output, keeps at
  most ``max_output_chars`` characters, as the output arrives (LimitOutput then caps lines).
"""
import os
import tempfile
import time
from contextlib import contextmanager

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Unicode

from . import cgroup
from .kernels import ForkingKernelManager, kernel_copy
from .launcher import KERNEL_NAME, kernelspec_installed
from .sandbox import Sandbox, SandboxError

TRUNCATED = "\n... Output truncated (too many characters) ...\n"


def _error(ename, evalue):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class SafeExecute(Execute):
    """Execute in a sandboxed kernel; survive timeouts, dead kernels and huge outputs."""

    sandbox = Bool(True, help="Run the kernel in the bubblewrap sandbox (sandbox.py).").tag(config=True)
    fork_kernels = Bool(
        False, help="Fork kernels from a warm zygote process (Linux; kernels.py) instead of starting each "
        "from a new Python. Parallel autograde turns this on."
    ).tag(config=True)
    preload = List(
        Unicode(), help="Modules the zygote imports before it forks kernels (with fork_kernels); parallel "
        "autograde sets those the assignment's read-only cells import."
    ).tag(config=True)
    max_output_chars = Integer(
        100_000, help="Characters kept per output stream of a cell and per text of a rich output (-1: no limit)."
    ).tag(config=True)

    notebook_timeout = Integer(
        600, help="Seconds a whole notebook may run; cells that would start later are not run (-1: no limit)."
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._dead = None
        self._deadline = time.monotonic() + self.notebook_timeout if self.notebook_timeout >= 0 else None
        if not self.sandbox:
            self.log.warning("SafeExecute.sandbox is off: student code runs without a sandbox")
            return super().preprocess(nb, resources, km)
        sandbox = Sandbox(parent=self)
        sandbox.check()
        if not kernelspec_installed():
            raise SandboxError(f"kernelspec {KERNEL_NAME!r} not found: run `python -m nbgrader_sandbox install` "
                               "(or set c.SafeExecute.sandbox = False)")
        tasks = f"{sandbox.process_limit} tasks" if cgroup.available() else "tasks not capped: no cgroups here"
        self.log.info("Executing in the bubblewrap sandbox (kernel %s, %d MiB, %d CPU s, %s)",
                      KERNEL_NAME, sandbox.memory_limit // 2**20, sandbox.cpu_limit, tasks)
        with self.kernel_folder(resources) as self._ipc_dir:
            return super().preprocess(nb, resources, km)

    @contextmanager
    def kernel_folder(self, resources):
        """The folder for the sandboxed kernel's connection file and sockets; a forked kernel runs in
        a copy of the notebook's folder inside it."""
        if not self.fork_kernels:
            with tempfile.TemporaryDirectory(prefix="nbgrader-kernel-") as folder:
                yield folder
            return
        metadata = resources.setdefault("metadata", {})
        original = metadata.get("path")
        try:
            with kernel_copy(original or os.getcwd()) as (slot, work):
                metadata["path"] = work
                yield slot
        finally:
            metadata["path"] = original

    def create_kernel_manager(self):
        if self.fork_kernels:
            self.kernel_manager_class = ForkingKernelManager
        if self.sandbox:
            self.kernel_name = KERNEL_NAME
        km = super().create_kernel_manager()
        if self.fork_kernels:
            km.preload = list(self.preload)
            km.sandbox = Sandbox(parent=self) if self.sandbox else None
        if self.sandbox:
            km.transport = "ipc"
            km.ip = os.path.join(self._ipc_dir, "kernel")
            km.connection_file = os.path.join(self._ipc_dir, "kernel.json")
        return km

    async def async_start_new_kernel(self, **kwargs):
        configured = self.extra_arguments
        if self.sandbox:
            self.extra_arguments = [*configured, *Sandbox(parent=self).arguments()]
        try:
            await super().async_start_new_kernel(**kwargs)
        finally:
            self.extra_arguments = configured

    start_new_kernel = run_sync(async_start_new_kernel)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if not self._dead and self._deadline is not None and time.monotonic() > self._deadline:
            self._dead = f"the notebook ran past its limit of {self.notebook_timeout} s"
            self.log.warning("Cell %d: %s; it and later cells are not run", index, self._dead)
        if self._dead:
            cell.outputs = [_error("KernelDied", f"not run: {self._dead}")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead = f"the kernel died in cell {index}"
            reason = "the kernel died running this cell (os._exit, a crash, or the memory or CPU limit)"
        except CellTimeoutError:
            self._dead = f"the kernel stopped responding in cell {index}"
            reason = "the kernel did not respond after a timeout and an interrupt"
        self.log.warning("Cell %d: %s; later cells are not run", index, reason)
        cell.outputs.append(_error("DeadKernelError", reason))
        return cell, resources

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or self.max_output_chars < 0:
            return out
        if out.output_type != "stream":
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") and len(value) > self.max_output_chars:
                    out.data[mime] = value[:self.max_output_chars] + TRUNCATED
            return out
        used = sum(len(o.text) for o in outs[:-1] if o.output_type == "stream" and o.name == out.name)
        room = self.max_output_chars - used
        if room <= 0:
            outs.pop()
            return None
        if len(out.text) > room:
            out.text = out.text[:room] + TRUNCATED
        return out
