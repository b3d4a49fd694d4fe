"""JupyterHub for the whole class: each student and instructor logs in to their own JupyterLab,
the instructors grade in the course's formgrader, a JupyterHub service.

Started by `python -m transformer_course hub` (or `make hub`), which prepares what this file
relies on and writes the deployment's settings to `$COURSE_HUB_STATE/hub.json` (default
/srv/nbgrader/hub/hub.json, root's only): the course id, the grader's course folder, the exchange,
the roster's students and the instructors, ports and limits (`transformer_course/hub.py`,
`Settings`). To adapt the hub, edit this file; to change who is in the class, run
`python -m transformer_course hub-accounts roster.csv --instructors NAMES`.

| process                                   | runs as        | sees                                 |
|-------------------------------------------|----------------|--------------------------------------|
| JupyterHub, configurable-http-proxy       | root           | hub database, cookie secret, tokens  |
| each user's JupyterLab (LocalProcessSpawner) | that user   | their home folder, the exchange      |
| formgrader, service `<course id>`         | grader account | the course folder and its gradebook  |
"""
import pwd
import sys

from transformer_course.hub import Settings

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)
s = Settings.load()  # $COURSE_HUB_STATE/hub.json
course = s.course_id

# -- the hub and its proxy, run by root -------------------------------------------------------------
# Public address: `--ip/--port` of the command (127.0.0.1:8000 by default). Behind a TLS-terminating
# web server, or with c.JupyterHub.ssl_cert / ssl_key, serve a network.
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = s.hub_port
c.ConfigurableHTTPProxy.command = [s.proxy]  # the npm package configurable-http-proxy
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
c.ConfigurableHTTPProxy.auth_token = s.secret("proxy-token")
c.ConfigurableHTTPProxy.pid_file = str(s.private / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{s.private / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(s.private / "cookie_secret")
# A restarted hub finds the servers still running; nothing of a running class is lost.
c.JupyterHub.cleanup_servers = False

# -- who may log in --------------------------------------------------------------------------------
# PAM: the Unix accounts of the roster (`hub-accounts` creates them; set passwords with passwd
# or chpasswd). `hub-accounts` also adds new students to the running hub (its users are allowed)
# and deletes removed ones from it; removed students expire (PAM refuses them) and are blocked.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = set(s.students) | set(s.instructors)
c.Authenticator.allow_existing_users = True
c.Authenticator.blocked_users = set(s.removed)
# The grader account is not allowed to log in, and has no password (`hub` never sets one).
# Logging in from the LMS instead (LTI 1.3, `pip install jupyterhub-ltiauthenticator`):
#   c.JupyterHub.authenticator_class = "ltiauthenticator.lti13.auth.LTI13Authenticator"
#   c.LTI13Authenticator.issuer = "https://canvas.instructure.com"   # or the Moodle site
#   c.LTI13Authenticator.client_id = ["<client id of the LTI tool>"]
#   c.LTI13Authenticator.authorize_url = "https://<lms>/api/lti/authorize_redirect"
#   c.LTI13Authenticator.jwks_endpoint = "https://<lms>/api/lti/security/jwks"
#   c.LTI13Authenticator.username_key = "<the claim that holds the roster id>"
# or OAuth (`pip install oauthenticator`): c.JupyterHub.authenticator_class = "generic-oauth".
# Either way the hub's user names must be the roster ids; LocalProcessSpawner still needs a Unix
# account per user (or c.LocalAuthenticator.create_system_users = True).

# -- each user's JupyterLab, as that user ----------------------------------------------------------
c.JupyterHub.spawner_class = "transformer_course.spawner.CappedSpawner"
c.Spawner.cmd = [f"{s.env}/bin/jupyterhub-singleuser"]  # Debian's Python, readable by all users
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# Memory, CPU (cores) and tasks of a server and its kernels together, in a cgroup where the hub
# can make one (CappedSpawner; LocalProcessSpawner alone enforces none of them).
c.Spawner.mem_limit = s.memory_limit
c.Spawner.cpu_limit = s.cpu_limit
c.CappedSpawner.task_limit = s.task_limit


def role_environment(spawner):
    """Students get the student extensions (Assignment List, Validate), instructors Formgrader,
    Course List and Create Assignment: a Jupyter configuration folder per role (lab.py)."""
    name = spawner.user.name
    spawner.environment.update(s.server_environment(s.role(name), pwd.getpwnam(name).pw_dir))


c.Spawner.pre_spawn_hook = role_environment

# -- groups and permissions, as nbgrader documents them ----------------------------------------------
# nbgrader's JupyterHubAuthPlugin reads a user's courses from these groups; the grader account is
# a (never logged in) hub user in formgrade-<course> so that its formgrader finds its course.
c.JupyterHub.load_groups = {
    f"nbgrader-{course}": {"users": s.students},
    f"formgrade-{course}": {"users": [*s.instructors, s.grader]},
}
c.JupyterHub.load_roles = [
    # A server may read its user's groups (the Assignment List asks the hub for the courses).
    {"name": "server", "scopes": ["inherit"]},
    {"name": f"formgrade-{course}", "groups": [f"formgrade-{course}"],
     "scopes": [f"access:services!service={course}", "list:services", f"read:services!service={course}"]},
    {"name": f"grader-{course}", "services": [course],
     "scopes": ["list:users", "read:users", "list:groups", "read:groups", f"groups!group=nbgrader-{course}"]},
    {"name": "idle-culler", "services": ["idle-culler"],
     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
    # `hub-accounts` brings the running hub up to date with the roster with this token.
    {"name": "course-admin", "services": ["course-admin"],
     "scopes": ["admin:users", "admin:servers", f"groups!group=nbgrader-{course}"]},
]

# -- services ---------------------------------------------------------------------------------------
c.JupyterHub.services = [
    {   # The course's formgrader: JupyterLab run by the grader account on the course folder,
        # at /services/<course>/formgrader, opened in a browser tab of its own (JupyterHub's
        # content-security policy forbids it in an iframe since 4.1, nbgrader #1870).
        "name": course,
        "url": f"http://127.0.0.1:{s.service_port}",
        "command": [f"{s.env}/bin/jupyterhub-singleuser"],
        "user": s.grader,
        "cwd": s.course,
        "environment": s.server_environment("grader", s.grader_home),
        "oauth_no_confirm": True,
    },
    {   # Stops a server idle for s.idle_timeout seconds.
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={s.idle_timeout}",
                    f"--cull-every={max(60, s.idle_timeout // 6)}"],
    },
    {"name": "course-admin", "api_token": s.secret("admin-token")},
]
