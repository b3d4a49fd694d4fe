"""cgroup.hierarchies: where this process's pids, memory and cpu cgroups are, read from fake
/proc/self/mounts and /proc/self/cgroup files and fake cgroup folders."""
from pathlib import Path

import pytest

from nbgrader_sandbox.cgroup import hierarchies

OTHER_MOUNTS = ["proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
                "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
                "tmpfs {root}/sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0"]
V2_MOUNT = "cgroup2 {root}/sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0"
UNIFIED_MOUNT = "cgroup2 {root}/sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime 0 0"
V1_MOUNTS = ["cgroup {root}/sys/fs/cgroup/systemd cgroup rw,nosuid,nodev,noexec,relatime,xattr,name=systemd 0 0",
             "cgroup {root}/sys/fs/cgroup/pids cgroup rw,nosuid,pids 0 0",
             "cgroup {root}/sys/fs/cgroup/memory cgroup rw,memory 0 0",
             "cgroup {root}/sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0"]
V1_LINES = ["12:cpu,cpuacct:/a", "5:pids:/a", "4:memory:/a", "1:name=systemd:/a"]


def machine(tmp_path, mounts, cgroups, folders):
    """hierarchies() of a machine with these mount and cgroup lines ({root} is tmp_path) and cgroup
    folders {folder under root: cgroup.controllers text, or None for none}, as {controller: (Path,
    version)} under root."""
    for folder, controllers in folders.items():
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        if controllers is not None:
            (tmp_path / folder / "cgroup.controllers").write_text(controllers + "\n")
    mounts_file, cgroup_file = tmp_path / "mounts", tmp_path / "cgroup"
    mounts_file.write_text("".join(line.format(root=tmp_path) + "\n" for line in mounts))
    cgroup_file.write_text("".join(line + "\n" for line in cgroups))
    found = hierarchies(str(mounts_file), str(cgroup_file))
    assert all(isinstance(folder, str) for folder, _ in found.values())
    return {name: (Path(folder).relative_to(tmp_path).as_posix(), version) for name, (folder, version) in found.items()}


@pytest.mark.parametrize("mounts, cgroups, folders, expected", [
    pytest.param([*OTHER_MOUNTS[:2], V2_MOUNT], ["0::/user.slice/x"],
                 {"sys/fs/cgroup/user.slice/x": "cpuset cpu io memory hugetlb pids rdma misc"},
                 {"pids": ("sys/fs/cgroup/user.slice/x", 2), "memory": ("sys/fs/cgroup/user.slice/x", 2),
                  "cpu": ("sys/fs/cgroup/user.slice/x", 2)}, id="v2"),
    pytest.param([*OTHER_MOUNTS[:2], V2_MOUNT], ["0::/user.slice/x"],
                 {"sys/fs/cgroup/user.slice/x": "cpu io memory"},
                 {"memory": ("sys/fs/cgroup/user.slice/x", 2), "cpu": ("sys/fs/cgroup/user.slice/x", 2)},
                 id="v2-without-pids"),
    pytest.param([*OTHER_MOUNTS[:2], V2_MOUNT], ["0::/user.slice/x"],
                 {"sys/fs/cgroup/user.slice/x": ""}, {}, id="v2-no-controllers"),
    pytest.param([*OTHER_MOUNTS[:2], V2_MOUNT], ["0::/user.slice/x"],
                 {"sys/fs/cgroup/user.slice/x": None}, {}, id="v2-no-controllers-file"),
    pytest.param([*OTHER_MOUNTS[:2], V2_MOUNT], ["0::/"], {"sys/fs/cgroup": "memory pids"},
                 {"pids": ("sys/fs/cgroup", 2), "memory": ("sys/fs/cgroup", 2)}, id="v2-root-cgroup"),
    pytest.param([*OTHER_MOUNTS, *V1_MOUNTS], V1_LINES,
                 {"sys/fs/cgroup/pids/a": None, "sys/fs/cgroup/memory/a": None, "sys/fs/cgroup/systemd/a": None},
                 {"pids": ("sys/fs/cgroup/pids/a", 1), "memory": ("sys/fs/cgroup/memory/a", 1)}, id="v1"),
    pytest.param([*OTHER_MOUNTS, *V1_MOUNTS], V1_LINES,
                 {"sys/fs/cgroup/pids/a": None, "sys/fs/cgroup/cpu,cpuacct/a": None},
                 {"pids": ("sys/fs/cgroup/pids/a", 1), "cpu": ("sys/fs/cgroup/cpu,cpuacct/a", 1)}, id="v1-cpu"),
    pytest.param([*OTHER_MOUNTS, *V1_MOUNTS], V1_LINES, {"sys/fs/cgroup/pids/a": None},
                 {"pids": ("sys/fs/cgroup/pids/a", 1)}, id="v1-memory-folder-missing"),
    pytest.param([*OTHER_MOUNTS, *V1_MOUNTS[:2]], V1_LINES, {"sys/fs/cgroup/pids/a": None},
                 {"pids": ("sys/fs/cgroup/pids/a", 1)}, id="v1-no-memory-mount"),
    pytest.param([*OTHER_MOUNTS, V1_MOUNTS[2], UNIFIED_MOUNT],
                 ["4:memory:/a", "0::/a"],
                 {"sys/fs/cgroup/memory/a": None, "sys/fs/cgroup/unified/a": "pids"},
                 {"pids": ("sys/fs/cgroup/unified/a", 2), "memory": ("sys/fs/cgroup/memory/a", 1)},
                 id="hybrid-v1-memory-v2-pids"),
    pytest.param([*OTHER_MOUNTS[:2], V2_MOUNT], ["0::/user.slice/x"], {"sys/fs/cgroup": "memory pids"}, {},
                 id="v2-folder-missing-in-namespace"),
    pytest.param([*OTHER_MOUNTS, *V1_MOUNTS], V1_LINES, {}, {}, id="v1-folders-missing-in-namespace"),
    pytest.param(OTHER_MOUNTS, ["0::/user.slice/x"], {"sys/fs/cgroup/user.slice/x": "memory pids"}, {},
                 id="no-cgroup-mounts"),
    pytest.param([*OTHER_MOUNTS[:2], V2_MOUNT], [], {"sys/fs/cgroup": "memory pids"}, {}, id="no-cgroup-lines"),
])
def test_hierarchies(tmp_path, mounts, cgroups, folders, expected):
    assert machine(tmp_path, mounts, cgroups, folders) == expected


def test_hierarchies_under_a_delegated_cgroup(tmp_path):
    """`under` names a cgroup below this process's own in each hierarchy; one missing is left out."""
    (tmp_path / "sys/fs/cgroup/pids/a/grader").mkdir(parents=True)
    (tmp_path / "sys/fs/cgroup/memory/a").mkdir(parents=True)
    (tmp_path / "mounts").write_text("".join(line.format(root=tmp_path) + "\n" for line in V1_MOUNTS))
    (tmp_path / "cgroup").write_text("".join(line + "\n" for line in V1_LINES))
    found = hierarchies(str(tmp_path / "mounts"), str(tmp_path / "cgroup"), under="grader")
    assert found == {"pids": (str(tmp_path / "sys/fs/cgroup/pids/a/grader"), 1)}
