"""The production topology on one machine, without Docker.

    nginx (TLS, self-signed) ──┬── gunicorn web 1 ──┐
      /static/ from STATIC_ROOT └── gunicorn web 2 ──┼── PostgreSQL
      /protected/ → S3 (internal,                    ├── Redis (cache, sessions' rate limits, broker)
        X-Accel-Redirect only)   Celery worker 1 ────┤
                                 Celery worker 2 ────┼── S3 (moto's server mode)
                                 Celery beat (one) ──┴── clamd (EICAR-only database)
                                                        SMTP (a counting aiosmtpd in this process)

Every process runs with ``portal.settings.production`` and every variable
that settings module requires. Ports come from one base (default 18300):

    base+0 nginx, all web servers    base+1 nginx → web 1 only   base+2 nginx → web 2 only
    base+3 web 1    base+4 web 2     base+5 Redis     base+6 S3 (moto)
    base+7 SMTP     base+8 clamd     base+9 PostgreSQL (``own_postgres`` only)

PostgreSQL is a database of its own (``portal_prodlike`` unless named) on
the machine's server (DATABASE_URL's server, as scripts/test finds it), or,
with ``own_postgres=True``, a throwaway cluster (initdb, run as the
``postgres`` system user when this runs as root) that the fault bench may
restart. Redis is a redis-server of its own with an append-only file, so a
restart keeps the queued tasks, as production's would.

``stop()`` ends exactly the processes ``start()`` started (each in its own
process group), drops the database it created and removes its folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MARKER = "prodlike_marker"
TEMPLATE_PREFIX = "portal_prodlike_tpl_"
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
# A fixed, clearly local Fernet key and secret: this topology holds demo data only.
FERNET_KEY = "ZHVtbXktcHJvZGxpa2Uta2V5LW5vdC1hLXNlY3JldCE="
CREDENTIAL_KEY = "cHJvZGxpa2UtY3JlZGVudGlhbC1rZXktbm90LXNlY3I="
# The closing packages' Ed25519 signing key (base64 of a 32-byte seed; local only).
SIGNING_KEY = "cHJvZGxpa2UtbG9jYWwtb25seS1zaWduaW5nLWtleSE="


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_for(check, what: str, timeout: float = 60, proc: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} did not start{' (exited ' + str(proc.returncode) + ')' if proc and proc.poll() is not None else ''}\n{tail}")


def machine_server_url() -> str:
    """The machine's PostgreSQL server, as DATABASE_URL names it (without a database)."""
    raw = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urllib.parse.urlparse(raw)
    return urllib.parse.urlunparse(parts._replace(path=""))


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path
    argv: list[str]
    env: dict = field(repr=False, default_factory=dict)


class Topology:
    def __init__(self, *, base_port: int = 18300, database: str = "portal_prodlike", own_postgres: bool = False,
                 api_throttle: str = "30/min", verbose: bool = False, extra_env: dict | None = None,
                 web_env: dict | None = None):
        self.base = base_port
        self.ports = {
            "nginx": base_port, "nginx_web1": base_port + 1, "nginx_web2": base_port + 2,
            "web1": base_port + 3, "web2": base_port + 4, "redis": base_port + 5, "s3": base_port + 6,
            "smtp": base_port + 7, "clamd": base_port + 8, "postgres": base_port + 9,
        }
        self.database = database
        self.own_postgres = own_postgres
        self.api_throttle = api_throttle
        self.verbose = verbose
        self.extra_env = extra_env or {}
        self.web_env = web_env or {}  # for the web servers alone (e.g. TMPDIR on a small disk)
        self.work = Path(tempfile.mkdtemp(prefix="portal-prodlike-"))
        self.work.chmod(0o755)
        self.procs: dict[str, Proc] = {}
        self.smtp = None
        self.bucket = "portal-documents"
        self.created_database = False
        self.env: dict[str, str] = {}
        self._born = time.monotonic()

    # --- addresses ------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.ports['nginx']}"

    def web_url(self, n: int) -> str:
        """nginx in front of web server ``n`` alone (1 or 2)."""
        return f"https://127.0.0.1:{self.ports[f'nginx_web{n}']}"

    @property
    def s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    @property
    def database_url(self) -> str:
        if self.own_postgres:
            return f"postgres://postgres@127.0.0.1:{self.ports['postgres']}/{self.database}"
        return f"{machine_server_url()}/{self.database}"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.work / "tls" / "cert.pem"))

    # --- start ------------------------------------------------------------------------
    def start(self) -> "Topology":
        """Starts everything; what does not depend on each other starts at the same time."""
        try:
            self._check_ports()
            self._tls()
            waits = [self._start_redis(), self._start_s3(), self._start_clamd()]
            self._start_postgres()
            self._start_smtp()
            self.env = self._environment()
            # For a shell of its own: set -a; . <work>/env; set +a; .venv/bin/python manage.py …
            (self.work / "env").write_text("".join(f"{k}={v}\n" for k, v in self.env.items() if k in self._OWN))
            (self.work / "env").chmod(0o600)
            waits.pop(0)()  # Redis and S3 before seed_demo, which stores documents and queues their scans
            waits.pop(0)()
            self.s3_client().create_bucket(Bucket=self.bucket)
            preparing = self._prepare_database()
            # The web servers and workers touch the database only when asked to: they start (their
            # imports take a while) during the migration; beat reads its schedule from the database
            # at start, so it waits for it; the workers wait for clamd (seed_demo queues scans).
            servers = [self._start_web(1), self._start_web(2)]
            for wait in waits:
                wait()
            servers += [self._start_worker(1), self._start_worker(2)]
            for wait in preparing:
                wait()
            self._log("database migrated and seeded, static files collected")
            servers.append(self._start_beat())
            for wait in servers:
                wait()
            self._start_nginx()()
        except BaseException:
            self.stop()
            raise
        return self

    def _log(self, message: str) -> None:
        if self.verbose:
            print(f"prodlike: [{time.monotonic() - self._born:5.1f} s] {message}", flush=True)

    def _check_ports(self) -> None:
        busy = [f"{name} ({port})" for name, port in self.ports.items()
                if (name != "postgres" or self.own_postgres) and port_open(port)]
        if busy:
            raise RuntimeError(f"ports already in use: {', '.join(busy)}; is another prodlike running? (--port-base)")

    def spawn(self, name: str, argv: list[str], *, env: dict | None = None, cwd: Path = ROOT, user: str | None = None) -> Proc:
        log = self.work / "logs" / f"{name}.log"
        log.parent.mkdir(exist_ok=True)
        if user:
            argv = ["runuser", "-u", user, "--", *argv]
        handle = log.open("ab")
        popen = subprocess.Popen(argv, cwd=cwd, env=env or os.environ.copy(), stdout=handle, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        handle.close()
        proc = Proc(name, popen, log, argv, env or {})
        self.procs[name] = proc
        self._log(f"{name} started (pid {popen.pid})")
        return proc

    def _tls(self) -> None:
        tls = self.work / "tls"
        tls.mkdir()
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem")],
            check=True, capture_output=True,
        )

    def _start_redis(self) -> None:
        data = self.work / "redis"
        data.mkdir()
        port = self.ports["redis"]
        proc = self.spawn("redis", [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                    "--dir", str(data), "--appendonly", "yes", "--appendfsync", "always", "--save", ""])
        return lambda: wait_for(lambda: port_open(port), "redis-server", 20, proc.popen, proc.log)

    def restart_redis(self, down_seconds: float = 0) -> None:
        """Stops Redis (SIGTERM: it writes its append-only file) and starts it again on the same port and data."""
        proc = self.procs.pop("redis")
        self._end(proc)
        time.sleep(down_seconds)
        self.procs["redis"] = self.spawn("redis", proc.argv)
        wait_for(lambda: port_open(self.ports["redis"]), "redis-server", 20, self.procs["redis"].popen, proc.log)

    # PostgreSQL: a database on the machine's server, or a cluster of our own.
    def _pg_user(self) -> str | None:
        return "postgres" if os.geteuid() == 0 else None

    def _pg_bin(self, name: str) -> str:
        found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
        return str(found[-1]) if found else (shutil.which(name) or name)

    def _start_postgres(self) -> None:
        if not self.own_postgres:
            return
        data = self.work / "pg"
        data.mkdir()
        user = self._pg_user()
        if user:
            shutil.chown(data, user)
        run = ["runuser", "-u", user, "--"] if user else []
        subprocess.run([*run, self._pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True)
        self._pg_data = data
        self.start_postgres()

    def start_postgres(self) -> None:
        port = self.ports["postgres"]
        opts = f"-p {port} -k {self._pg_data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
        proc = self.spawn("postgres", [self._pg_bin("postgres"), "-D", str(self._pg_data), *opts.split()], user=self._pg_user())
        wait_for(lambda: port_open(port), "PostgreSQL", 30, proc.popen, proc.log)

    def stop_postgres(self, mode: str = "fast") -> None:
        """Stops the topology's own PostgreSQL (SIGINT: fast shutdown, aborting open transactions)."""
        proc = self.procs.pop("postgres")
        sig = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}[mode]
        os.killpg(proc.popen.pid, sig)  # the group: runuser and the postmaster under it
        proc.popen.wait(timeout=60)
        wait_for(lambda: not port_open(self.ports["postgres"]), "PostgreSQL to stop", 60)

    def restart_postgres(self, down_seconds: float = 0, mode: str = "fast") -> None:
        self.stop_postgres(mode)
        time.sleep(down_seconds)
        self.start_postgres()

    def _start_s3(self) -> None:
        port = self.ports["s3"]
        proc = self.spawn("s3", [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)])
        return lambda: wait_for(lambda: port_open(port), "moto server", 60, proc.popen, proc.log)

    def s3_client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.s3_endpoint, aws_access_key_id="prodlike",
                            aws_secret_access_key="prodlike", region_name="us-east-1")

    def s3_keys(self) -> list[str]:
        client = self.s3_client()
        keys, token = [], None
        while True:
            page = client.list_objects_v2(Bucket=self.bucket, **({"ContinuationToken": token} if token else {}))
            keys += [o["Key"] for o in page.get("Contents", [])]
            token = page.get("NextContinuationToken")
            if not token:
                return keys

    def _start_clamd(self) -> None:
        root = self.work / "clamd"
        (root / "db").mkdir(parents=True)
        (root / "eicar.com").write_bytes(EICAR)
        sig = subprocess.run(["sigtool", "--md5", str(root / "eicar.com")], capture_output=True, check=True, text=True)
        (root / "db" / "eicar.hdb").write_text(sig.stdout)
        port = self.ports["clamd"]
        conf = root / "clamd.conf"
        conf.write_text(f"Foreground yes\nTCPSocket {port}\nTCPAddr 127.0.0.1\nDatabaseDirectory {root / 'db'}\n"
                        f"LogFile {root / 'clamd.log'}\nStreamMaxLength 100M\n")
        clamd = shutil.which("clamd") or "/usr/sbin/clamd"
        proc = self.spawn("clamd", [clamd, "-c", str(conf)])
        return lambda: wait_for(lambda: port_open(port), "clamd", 90, proc.popen, root / "clamd.log")

    def _start_smtp(self) -> None:
        from .smtp import CountingSMTP

        self.smtp = CountingSMTP(self.ports["smtp"]).start()

    _OWN = ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "PORTAL_ENCRYPTION_KEY", "PORTAL_CREDENTIAL_KEYS", "PORTAL_SIGNING_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS",
            "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION",
            "S3_ADDRESSING_STYLE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "CLAMAV_URL",
            "PORTAL_X_ACCEL_REDIRECT_PREFIX", "PORTAL_TRUSTED_PROXY_COUNT", "STATIC_ROOT", "SECURE_HSTS_SECONDS",
            "PORTAL_API_THROTTLE_RATE", "PORTAL_BASE_URL")

    def _environment(self) -> dict[str, str]:
        p = self.ports
        origins = ",".join(f"https://127.0.0.1:{p[k]}" for k in ("nginx", "nginx_web1", "nginx_web2"))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "CELERY_", "AWS_", "S3_"))},
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "SECRET_KEY": "prodlike-local-only-" + "x" * 40,
            "PORTAL_ENCRYPTION_KEY": FERNET_KEY,
            "PORTAL_CREDENTIAL_KEYS": CREDENTIAL_KEY,
            "PORTAL_SIGNING_KEY": SIGNING_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PORTAL_BASE_URL": f"https://127.0.0.1:{p['nginx']}",
            "CSRF_TRUSTED_ORIGINS": origins,
            "DATABASE_URL": self.database_url,
            "DATABASE_CONN_MAX_AGE": "60",
            "REDIS_URL": f"redis://127.0.0.1:{p['redis']}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{p['redis']}/1",
            "EMAIL_URL": f"smtp://127.0.0.1:{p['smtp']}",
            "DEFAULT_FROM_EMAIL": "Frontier Review Portal <no-reply@portal.example>",
            "S3_BUCKET": self.bucket,
            "S3_ENDPOINT_URL": self.s3_endpoint,
            "S3_REGION": "us-east-1",
            "S3_ADDRESSING_STYLE": "path",
            "AWS_ACCESS_KEY_ID": "prodlike",
            "AWS_SECRET_ACCESS_KEY": "prodlike",
            "CLAMAV_URL": f"tcp://127.0.0.1:{p['clamd']}",
            "PORTAL_X_ACCEL_REDIRECT_PREFIX": "/protected/",
            "PORTAL_TRUSTED_PROXY_COUNT": "1",
            "STATIC_ROOT": str(self.work / "static"),
            "SECURE_SSL_REDIRECT": "true",
            # A browser must not remember HSTS for 127.0.0.1 after a local run.
            "SECURE_HSTS_SECONDS": "0",
            "PORTAL_API_THROTTLE_RATE": self.api_throttle,
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        env.update(self.extra_env)
        return env

    def manage(self, *args: str, capture: bool = False) -> str:
        result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
        return result.stdout

    def _admin_connect(self, dbname: str = "postgres"):
        import psycopg

        base = (f"postgres://postgres@127.0.0.1:{self.ports['postgres']}" if self.own_postgres else machine_server_url())
        return psycopg.connect(f"{base}/{dbname}", autocommit=True, connect_timeout=10)

    def _prepare_database(self) -> list:
        """Creates the database, migrated and with the demo data; returns what to wait for.

        On the machine's server the migrated, empty schema is kept as a template database
        (``portal_prodlike_tpl_<hash of the migrations and requirements>``): the next run copies
        it in a second instead of migrating for half a minute. A change of any migration makes a
        new one (and the old ones are dropped). ``PRODLIKE_NO_TEMPLATE=1`` migrates from scratch;
        a cluster of its own (the fault bench) always does.
        """
        with self._admin_connect() as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.database]).fetchone()
        if exists:
            with self._admin_connect(self.database) as conn:
                ours = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [MARKER]).fetchone()[0]
            if not ours:
                raise RuntimeError(f"database {self.database!r} exists and was not made by prodlike; refusing to touch it")
            self._drop_database()
        static = self.spawn("collectstatic", [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], env=self.env)
        waits = [lambda: self._finished(static, 300)]
        if self.own_postgres or os.environ.get("PRODLIKE_NO_TEMPLATE"):
            self._create_database()
            self._log("migrating and seeding the demo data; collecting static files alongside")
            migrate = self.spawn("migrate", [PYTHON, "-c", self._steps(migrate=True, seed=True)], env=self.env)
            return [lambda: self._finished(migrate, 600), *waits]
        template = self._template_name()
        if self._database_exists(template):
            self._create_database(template)
            self._log(f"copied the migrated schema from {template}; seeding the demo data, collecting static files alongside")
            seed = self.spawn("seed", [PYTHON, "-c", self._steps(seed=True)], env=self.env)
            return [lambda: self._finished(seed, 600), *waits]
        building = f"{template}_{os.getpid()}"
        with self._admin_connect() as conn:
            conn.execute(f'CREATE DATABASE "{building}"')
        with self._admin_connect(building) as conn:
            conn.execute(f"CREATE TABLE {MARKER} (created_at timestamptz NOT NULL DEFAULT now())")
        self._log(f"migrating into a new template {template}; collecting static files alongside")
        env = {**self.env, "DATABASE_URL": self.database_url.rsplit("/", 1)[0] + "/" + building}
        migrate = self.spawn("migrate", [PYTHON, "-c", self._steps(migrate=True)], env=env)

        def then_seed():
            try:
                self._finished(migrate, 600)
                self._keep_template(building, template)
            finally:
                with self._admin_connect() as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{building}"')
            self._create_database(template)
            seed = self.spawn("seed", [PYTHON, "-c", self._steps(seed=True)], env=self.env)
            self._finished(seed, 600)

        return [then_seed, *waits]

    @staticmethod
    def _steps(*, migrate: bool = False, seed: bool = False) -> str:
        code = "import time, django; django.setup(); from django.core.management import call_command as c; t = time.monotonic(); "
        if migrate:
            code += "c('migrate', interactive=False, verbosity=0); print(f'migrated in {time.monotonic() - t:.1f} s', flush=True); t = time.monotonic(); "
        if seed:
            code += "c('seed_demo'); print(f'seeded in {time.monotonic() - t:.1f} s', flush=True)"
        return code

    @staticmethod
    def _template_name() -> str:
        import hashlib

        digest = hashlib.sha256()
        files = sorted(p for p in ROOT.glob("*/migrations/*.py"))
        for path in [*files, ROOT / "requirements.txt"]:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
        return f"{TEMPLATE_PREFIX}{digest.hexdigest()[:16]}"

    def _database_exists(self, name: str) -> bool:
        with self._admin_connect() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None

    def _keep_template(self, building: str, template: str) -> None:
        """Renames the freshly migrated database to the template (another run may have been first)
        and drops templates of other migration states that nobody is copying."""
        import psycopg

        with self._admin_connect() as conn:
            try:
                conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
                conn.execute(f'ALTER DATABASE "{template}" WITH IS_TEMPLATE true')
            except psycopg.Error:
                pass  # a concurrent run made it first: ours is dropped by the caller
            stale = conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s AND datname !~ '_[0-9]+$'",
                [TEMPLATE_PREFIX.replace("_", r"\_") + "%", template],
            ).fetchall()
            for (name,) in stale:
                try:
                    conn.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false')
                    conn.execute(f'DROP DATABASE "{name}"')
                except psycopg.Error:
                    pass  # in use: the next run drops it

    def _create_database(self, template: str | None = None) -> None:
        with self._admin_connect() as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.created_database = True
        if template is None:
            with self._admin_connect(self.database) as conn:
                conn.execute(f"CREATE TABLE {MARKER} (created_at timestamptz NOT NULL DEFAULT now())")

    def _finished(self, proc: Proc, timeout: float) -> None:
        try:
            code = proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        if code != 0:
            raise RuntimeError(f"{proc.name} failed ({code}):\n{proc.log.read_text(errors='replace')[-3000:]}")
        self.procs.pop(proc.name, None)
        for line in proc.log.read_text(errors="replace").splitlines():
            if line.startswith(("migrated in", "seeded in")):
                self._log(line)

    def _drop_database(self) -> None:
        with self._admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def _start_web(self, n: int) -> None:
        port = self.ports[f"web{n}"]
        proc = self.spawn(f"web{n}", [PYTHON, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
                                      "--workers", "2", "--timeout", "120", "--graceful-timeout", "10",
                                      "--access-logfile", "-", "--forwarded-allow-ips", "127.0.0.1"],
                          env={**self.env, **self.web_env})
        return lambda: wait_for(lambda: port_open(port), f"gunicorn web {n}", 90, proc.popen, proc.log)

    def _start_worker(self, n: int) -> None:
        proc = self.spawn(f"worker{n}", [PYTHON, "-m", "celery", "-A", "portal", "worker", "--loglevel", "INFO",
                                         "--concurrency", "1", "-n", f"worker{n}@prodlike", "--without-gossip",
                                         "--without-mingle"], env=self.env)
        return lambda: wait_for(lambda: "ready." in proc.log.read_text(errors="replace"), f"Celery worker {n}", 90, proc.popen, proc.log)

    def start_worker(self, n: int) -> None:
        self._start_worker(n)()

    def _start_beat(self, name: str = "beat") -> None:
        proc = self.spawn(name, [PYTHON, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO",
                                 "--pidfile", str(self.work / f"{name}.pid")], env=self.env)
        return lambda: wait_for(lambda: "beat: Starting" in proc.log.read_text(errors="replace"), f"Celery {name}", 90, proc.popen, proc.log)

    def start_beat(self, name: str = "beat") -> None:
        self._start_beat(name)()

    def _start_nginx(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise RuntimeError("nginx is not installed (Debian/Ubuntu: apt-get install nginx)")
        conf = self.work / "nginx" / "nginx.conf"
        conf.parent.mkdir()
        conf.write_text(self.nginx_conf())
        proc = self.spawn("nginx", [nginx, "-p", str(conf.parent), "-c", str(conf), "-e", str(conf.parent / "error.log"),
                                    "-g", "daemon off;"])
        return lambda: wait_for(lambda: port_open(self.ports["nginx"]), "nginx", 20, proc.popen, conf.parent / "error.log")

    def nginx_conf(self) -> str:
        p, tls = self.ports, self.work / "tls"
        user = "user root root;" if os.geteuid() == 0 else ""
        mime = "/etc/nginx/mime.types"
        include = f"include {mime};" if Path(mime).exists() else ""
        portal = """
        client_max_body_size 3g;
        proxy_request_buffering off;        # uploads stream through to gunicorn
        proxy_read_timeout 300s;
        location /static/ {
            alias %(static)s/;
            # Names carry a content hash (ManifestStaticFilesStorage): cache for a year.
            add_header Cache-Control "public, max-age=31536000, immutable";
        }
        # Reached only through X-Accel-Redirect from a download view: a presigned
        # S3 path and query, proxied to the object store.
        location /protected/ {
            internal;
            proxy_pass %(s3)s/;
            proxy_hide_header x-amz-request-id;
            proxy_hide_header x-amz-id-2;
            proxy_hide_header Content-Type;
            proxy_hide_header Content-Disposition;
            proxy_hide_header Cache-Control;
        }
        location / {
            proxy_pass http://%(upstream)s;
            # One public name for every front door, as behind a production balancer
            # (allauth keys its login limits by host).
            proxy_set_header Host %(host)s;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_redirect off;
        }
        """
        blocks = []
        for listen, upstream in (("nginx", "portal"), ("nginx_web1", "web1"), ("nginx_web2", "web2")):
            blocks.append(
                f"""
    server {{
        listen 127.0.0.1:{p[listen]} ssl;
        server_name 127.0.0.1 localhost;
        ssl_certificate {tls / 'cert.pem'};
        ssl_certificate_key {tls / 'key.pem'};
        {portal % {"static": self.work / "static", "s3": self.s3_endpoint, "upstream": upstream, "host": f"127.0.0.1:{p['nginx']}"}}
    }}"""
            )
        return f"""
{user}
worker_processes 1;
pid {self.work / 'nginx' / 'nginx.pid'};
events {{ worker_connections 256; }}
http {{
    {include}
    default_type application/octet-stream;
    sendfile on;
    access_log {self.work / 'nginx' / 'access.log'};
    client_body_temp_path {self.work / 'nginx' / 'body'};
    proxy_temp_path {self.work / 'nginx' / 'proxy'};
    fastcgi_temp_path {self.work / 'nginx' / 'fastcgi'};
    uwsgi_temp_path {self.work / 'nginx' / 'uwsgi'};
    scgi_temp_path {self.work / 'nginx' / 'scgi'};
    upstream portal {{ server 127.0.0.1:{p['web1']}; server 127.0.0.1:{p['web2']}; }}
    upstream web1 {{ server 127.0.0.1:{p['web1']}; }}
    upstream web2 {{ server 127.0.0.1:{p['web2']}; }}
    {''.join(blocks)}
}}
"""

    # --- stop ---------------------------------------------------------------------------
    def _end(self, proc: Proc, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if proc.popen.poll() is not None:
            return
        try:
            os.killpg(proc.popen.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.popen.wait(timeout=10)

    def kill(self, name: str) -> None:
        """kill -9 of one process (and its children: a Celery worker's pool)."""
        proc = self.procs.pop(name)
        self._end(proc, signal.SIGKILL)

    def end(self, name: str) -> None:
        self._end(self.procs.pop(name))

    def _end_all(self, procs: list[Proc], timeout: float = 15) -> None:
        """SIGTERM to every one at once, then waits for them together (SIGKILL after ``timeout``)."""
        for proc in procs:
            if proc.popen.poll() is None:
                try:
                    os.killpg(proc.popen.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        started = time.monotonic()
        deadline = started + timeout
        for proc in procs:
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._log(f"{proc.name} did not stop within {timeout:.0f} s: killed")
                self._end(proc, signal.SIGKILL)
        if procs:
            self._log(f"{len(procs)} processes stopped in {time.monotonic() - started:.1f} s")

    def stop(self) -> None:
        # nginx first (no new requests), then every other process at once; PostgreSQL last, after the drop.
        if "nginx" in self.procs:
            self._end(self.procs.pop("nginx"))
        self._end_all([self.procs.pop(name) for name in list(self.procs) if name != "postgres"])
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None
        if self.created_database:
            try:
                self._drop_database()
            except Exception as exc:  # the server is gone: nothing to drop
                print(f"prodlike: could not drop {self.database}: {exc}", file=sys.stderr)
            self.created_database = False
        if "postgres" in self.procs:
            self._end(self.procs.pop("postgres"), signal.SIGINT, timeout=30)
        if os.environ.get("PRODLIKE_KEEP_LOGS"):
            print(f"prodlike: logs kept in {self.work / 'logs'}", file=sys.stderr)
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self) -> "Topology":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
