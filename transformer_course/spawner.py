"""JupyterHub's LocalProcessSpawner with each server in a cgroup that caps its memory, CPU and tasks.

The cgroups are the grading engine's (`nbgrader_sandbox.cgroup`): where the hub may create them
(root, cgroups v1 or v2), a student's server and everything it starts (kernels, terminals) share
one memory cap (`mem_limit`), one CPU cap (`cpu_limit`, in cores) and one cap on processes and
threads; elsewhere the server runs uncapped, logged.
"""
from jupyterhub.spawner import LocalProcessSpawner
from nbgrader_sandbox.cgroup import Cgroup
from traitlets import Integer


class CappedSpawner(LocalProcessSpawner):
    """A user's server as that user, in a cgroup capped by `mem_limit`, `cpu_limit` and `task_limit`."""

    task_limit = Integer(512, config=True, help="Processes and threads of one server, together.")

    cgroup = None

    def make_preexec_fn(self, name):
        setuid = super().make_preexec_fn(name)
        limits = {"pids": self.task_limit}
        if self.mem_limit:
            limits["memory"] = self.mem_limit
        if self.cpu_limit:
            limits["cpu"] = self.cpu_limit
        self.cgroup = Cgroup.create(limits)
        if self.cgroup is None:
            self.log.warning("server of %s not capped: no cgroups here", name)
            return setuid
        self.log.info("server of %s capped: %s", name, limits)
        group = self.cgroup

        def preexec():
            group.join()
            setuid()
        return preexec

    async def stop(self, now=False):
        await super().stop(now=now)
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
