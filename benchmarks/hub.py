"""A class under load on one JupyterHub, on 127.0.0.1: N students log in (PAM, the hub's login
form), start their servers through the hub's REST API, and fetch and submit through their own
server's nbgrader handlers (the requests of the Assignment List); then the grader account
collects and grades. Root only; real accounts with a random prefix, created and removed.

    python benchmarks/hub.py [--students 30] [--timeout 900]

Prints the time to start all N servers, p50/p95 of the fetch and submit requests, the memory of
one idle student server and `N/N submissions collected and graded`.
"""
import argparse
import concurrent.futures
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

from transformer_course import ASSIGNMENT, hub
from transformer_course.lab import free_port
from transformer_course.lifecycle.roster import write_roster


class Student:
    """One student's browser: a session logged in to the hub."""

    def __init__(self, server, name, password, timeout):
        self.server, self.name, self.password, self.timeout = server, name, password, timeout
        self.http = requests.Session()

    def xsrf(self, path):
        return {"X-XSRFToken": self.http.cookies.get("_xsrf", path=path) or ""}

    def log_in(self):
        self.http.get(f"{self.server.url}hub/login", timeout=self.timeout).raise_for_status()
        done = self.http.post(f"{self.server.url}hub/login", timeout=self.timeout, allow_redirects=False,
                              data={"username": self.name, "password": self.password,
                                    "_xsrf": self.http.cookies.get("_xsrf", path="/hub/")})
        assert done.status_code == 302, (self.name, done.status_code, done.text[:300])

    def start_server(self):
        api = f"{self.server.url}hub/api/users/{self.name}"
        self.http.post(f"{api}/server", headers=self.xsrf("/hub/"), timeout=self.timeout).raise_for_status()
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            user = self.http.get(api, headers=self.xsrf("/hub/"), timeout=self.timeout).json()
            if user["servers"].get("", {}).get("ready"):
                # Through the proxy, once: the server's own OAuth login sets its cookie.
                self.http.get(f"{self.server.url}user/{self.name}/lab", timeout=self.timeout).raise_for_status()
                return
            time.sleep(1)
        raise TimeoutError(f"server of {self.name} not ready after {self.timeout} s")

    def nbgrader(self, action):
        """POST /user/<name>/assignments/<action> as the Assignment List does; return seconds."""
        prefix = f"/user/{self.name}/"
        start = time.perf_counter()
        response = self.http.post(f"{self.server.url}{prefix[1:]}assignments/{action}", headers=self.xsrf(prefix),
                                  data={"course_id": self.server.settings.course_id, "assignment_id": ASSIGNMENT},
                                  timeout=self.timeout)
        elapsed = time.perf_counter() - start
        response.raise_for_status()
        assert response.json()["success"], (self.name, action, response.text[:500])
        return elapsed


def percentile(values, q):
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--timeout", type=int, default=900, help="seconds for any one step")
    args = parser.parse_args(argv)
    hub.require_root()
    prefix = f"b{secrets.token_hex(3)}"
    names = [f"{prefix}s{n:03d}" for n in range(args.students)]
    base = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    base.chmod(0o755)
    settings = hub.Settings(course_id="transformer-math", course=str(base / "course"), grader=f"{prefix}g",
                            exchange=str(base / "exchange"), state=str(base / "state"),
                            hub_port=free_port(), proxy_api_port=free_port(), service_port=free_port())
    password = secrets.token_urlsafe(12)
    server = None
    try:
        roster = write_roster(base / "roster.csv", [
            {"id": n, "first_name": "Student", "last_name": n, "email": f"{n}@example.org"} for n in names])
        hub.prepare(settings, roster=roster, instructors=[])
        subprocess.run(["chpasswd"], input="".join(f"{n}:{password}\n" for n in names), text=True, check=True)
        hub.grader(settings, "release")
        server = hub.start(settings, port=free_port(), timeout=args.timeout)
        students = [Student(server, n, password, args.timeout) for n in names]
        with concurrent.futures.ThreadPoolExecutor(len(students)) as pool:
            start = time.perf_counter()
            list(pool.map(lambda s: (s.log_in(), s.start_server()), students))
            started = time.perf_counter() - start
            print(f"{len(students)} students logged in, {len(students)} servers started in {started:.1f} s", flush=True)
            time.sleep(5)
            uid = hub.account(names[0]).pw_uid
            idle = sum(p.memory_info().rss for p in psutil.process_iter(["uids"])
                       if p.info["uids"] and p.info["uids"].real == uid)
            fetch = list(pool.map(lambda s: s.nbgrader("fetch"), students))
            submit = list(pool.map(lambda s: s.nbgrader("submit"), students))
        print(f"fetch:  p50 {percentile(fetch, 50):.2f} s, p95 {percentile(fetch, 95):.2f} s")
        print(f"submit: p50 {percentile(submit, 50):.2f} s, p95 {percentile(submit, 95):.2f} s")
        print(f"one idle student server: {idle / 2**20:.0f} MiB")
        start = time.perf_counter()
        hub.grader(settings, "collect")
        graded = hub.grader(settings, "grade")
        collected = sum(1 for n in names if (Path(settings.course) / "submitted" / n / ASSIGNMENT).is_dir())
        ok = sum(1 for n in names if f"  {n}: graded" in graded)
        print(f"collect + grade: {time.perf_counter() - start:.1f} s")
        print(f"{min(collected, ok)}/{len(names)} submissions collected and graded")
        return 0 if min(collected, ok) == len(names) else 1
    finally:
        if server is not None:
            hub.stop(server)
        hub.stop_processes([*names, settings.grader])
        hub.remove_cgroup(settings)
        for name in [*names, settings.grader]:
            if hub.account(name):
                subprocess.run(["userdel", "--remove", name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
