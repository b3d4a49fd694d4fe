"""Database: a PostgreSQL server of the course's own for its gradebook (Debian's `postgresql` package).

`LocalPostgres(folder).start()` makes a cluster in `folder` on first use (`initdb`, password
authentication only), starts it with `pg_ctl` listening on a Unix socket in `folder` (and on
127.0.0.1 when given a port), creates a role and a database for the course and returns the
SQLAlchemy URL to put in `NBGRADER_DB_URL`. Started by root, the server runs as the `postgres`
user, as PostgreSQL requires.
"""
import glob
import logging
import os
import pwd
import secrets
import shutil
import subprocess
import time
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from traitlets import Integer, Unicode
from traitlets.config import LoggingConfigurable

from ..course import CourseError

log = logging.getLogger(__name__)
SUPERUSER = "postgres"
SOCKET_PATH_MAX = 107  # bytes of a Unix socket's path (sun_path) on Linux


def postgres_bin(program):
    """The path of a PostgreSQL server program: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(program)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"),
                      key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not versions:
        raise CourseError(f"no {program}: install PostgreSQL (apt-get install postgresql)")
    return versions[-1]


class LocalPostgres(LoggingConfigurable):
    """A PostgreSQL cluster in one folder: data in `data/`, the Unix socket and `server.log` beside it,
    the superuser's password in `superuser` (mode 0600). Any local user may connect to the socket,
    with a password."""

    folder = Unicode(help="folder of the cluster (created on first start)").tag(config=True)
    port = Integer(None, allow_none=True, help="also listen on 127.0.0.1 at this port (default: "
                                               "only the Unix socket, as port 5432 in `folder`)").tag(config=True)
    server_user = Unicode(SUPERUSER, help="system user the server runs as when started by root").tag(config=True)
    start_timeout = Integer(60, help="seconds to wait for the server to start or stop").tag(config=True)

    def __init__(self, folder, **kwargs):
        super().__init__(folder=str(Path(folder).resolve()), **kwargs)

    @property
    def data(self):
        return Path(self.folder) / "data"

    @property
    def socket_port(self):
        return self.port or 5432

    def _as_server(self):
        """The prefix that runs a command as the server's user (only needed as root)."""
        return ["runuser", "-u", self.server_user, "--"] if os.geteuid() == 0 else []

    def _run(self, *command, check=True):
        result = subprocess.run([*self._as_server(), *command], capture_output=True, text=True)
        if check and result.returncode:
            message = (result.stderr or result.stdout).strip().splitlines()
            raise CourseError(f"{Path(command[0]).name} failed: {message[-1] if message else result.returncode}")
        return result

    def _own(self, path):
        if os.geteuid() == 0:
            user = pwd.getpwnam(self.server_user)
            os.chown(path, user.pw_uid, user.pw_gid)

    def _check_folder(self):
        socket = Path(self.folder) / f".s.PGSQL.{self.socket_port}"
        if len(os.fsencode(socket)) > SOCKET_PATH_MAX:
            raise CourseError(f"{self.folder} is too deep for a Unix socket (at most {SOCKET_PATH_MAX} bytes): "
                              "choose a shorter folder")
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(self.server_user)
            except KeyError:
                raise CourseError(f"no user {self.server_user} to run PostgreSQL as: "
                                  "install PostgreSQL (apt-get install postgresql)") from None
            if self._run("test", "-x", str(Path(self.folder).parent), check=False).returncode:
                raise CourseError(f"the {self.server_user} user cannot reach {self.folder}: choose a folder "
                                  "whose parents it may enter")

    @property
    def initialized(self):
        return (self.data / "PG_VERSION").exists()

    @property
    def running(self):
        return self.initialized and self._run(postgres_bin("pg_ctl"), "status", "-D", str(self.data),
                                              check=False).returncode == 0

    def init(self):
        """`initdb` a cluster into `data/` with password (scram) authentication for everyone."""
        folder = Path(self.folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        self._check_folder()
        folder.mkdir(exist_ok=True)
        folder.chmod(0o711)  # other users reach the socket, never the files (password authentication)
        self._own(folder)
        password = folder / "superuser"
        password.write_text(secrets.token_urlsafe(24))
        password.chmod(0o600)
        self._own(password)
        self._run(postgres_bin("initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=scram-sha-256",
                  f"--pwfile={password}", "--encoding=UTF8", "--locale=C.UTF-8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\ninclude_if_exists = 'course.conf'\n")
        log.info("initdb: a PostgreSQL cluster in %s", self.data)

    def start(self):
        """Start the server (after `init` when the folder has no cluster yet); nothing if it runs."""
        if not self.initialized:
            self.init()
        self._check_folder()
        settings = self.data / "course.conf"
        quoted = self.folder.replace("'", "''")
        wanted = (f"unix_socket_directories = '{quoted}'\nport = {self.socket_port}\n"
                  f"listen_addresses = '{'127.0.0.1' if self.port else ''}'\n")
        if self.running:
            if settings.read_text() != wanted:
                raise CourseError(f"the server in {self.folder} runs with another port: stop it first")
            return
        settings.write_text(wanted)
        self._own(settings)
        self._run(postgres_bin("pg_ctl"), "start", "-w", "-t", str(self.start_timeout), "-D", str(self.data),
                  "-l", str(Path(self.folder) / "server.log"))
        log.info("PostgreSQL started: %s", self.folder)

    def stop(self):
        """Stop the server (fast: open transactions are rolled back); nothing if it is not running."""
        if self.running:
            self._run(postgres_bin("pg_ctl"), "stop", "-w", "-m", "fast", "-t", str(self.start_timeout),
                      "-D", str(self.data))
            log.info("PostgreSQL stopped: %s", self.folder)

    def url(self, user=SUPERUSER, password=None, database="postgres"):
        """The SQLAlchemy URL (psycopg 3) of a database: over TCP if the server listens on a port,
        else over the Unix socket."""
        password = password or (Path(self.folder) / "superuser").read_text().strip()
        if self.port:
            return URL.create("postgresql+psycopg", user, password, "127.0.0.1", self.port, database)
        return URL.create("postgresql+psycopg", user, password, database=database,
                          query={"host": self.folder, "port": str(self.socket_port)})

    def connect(self):
        """A psycopg connection of the superuser (autocommit), retried while the server comes up."""
        import psycopg

        for attempt in range(50):
            try:
                return psycopg.connect(dbname="postgres", user=SUPERUSER, autocommit=True,
                                       password=(Path(self.folder) / "superuser").read_text().strip(),
                                       **({"host": "127.0.0.1", "port": self.port} if self.port else
                                          {"host": self.folder, "port": self.socket_port}))
            except psycopg.OperationalError as error:
                if attempt == 49:
                    raise CourseError(f"cannot connect to PostgreSQL in {self.folder}: "
                                      f"{str(error).strip().splitlines()[0]}") from None
                time.sleep(0.1)

    def create_database(self, name, password=None):
        """A role and a database of that name, owned by it, unless they exist; the role's password is
        set to `password` (default: a new random one). Returns the database's URL as a string."""
        from psycopg import sql

        password = password or secrets.token_urlsafe(24)
        with self.connect() as connection:
            exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            connection.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(password)))
            if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(name)))
        return self.url(name, password, name).render_as_string(hide_password=False)


def course_database(course, folder=None, port=None):
    """Start the course's server (default folder: `postgres/` of the course) and return the URL of
    the course's database (role and database named after the course id), also kept in `url` there;
    its password stays the same from one start to the next."""
    server = LocalPostgres(folder or course.root / "postgres", port=port)
    server.start()
    saved = Path(server.folder) / "url"
    password = make_url(saved.read_text().strip()).password if saved.exists() else None
    url = server.create_database(course.config.CourseDirectory.course_id, password)
    saved.write_text(url + "\n")
    saved.chmod(0o600)
    return url


def saved_url(course, folder=None):
    """The URL that `course_database` printed last for this folder."""
    saved = Path(folder or course.root / "postgres") / "url"
    if not saved.exists():
        raise CourseError(f"no PostgreSQL server for the course in {saved.parent}: run `database start` first")
    return saved.read_text().strip()
