"""A throwaway PostgreSQL server of its own, for tests that stop and restart the database under the app.

The shared test server cannot be stopped (every other test uses it), so these tests start a small cluster
in a temporary folder, on a free loopback port, and remove it afterwards.
"""

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_MAJOR = os.environ.get("PG_MAJOR", "15")
PG_BIN = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempCluster:
    def __init__(self):
        self.port = _free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="stepfree-pg-"))
        self.data = self.directory / "data"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            # PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  "--locale=C.UTF-8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = ''\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        if self._as_root:
            shutil.chown(self.data / "postgresql.conf", "postgres", "postgres")

    @property
    def server_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def start(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.directory / "server.log", "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop")

    def remove(self) -> None:
        subprocess.run(self._command(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "stop"),
                       capture_output=True)
        shutil.rmtree(self.directory, ignore_errors=True)

    def _command(self, *args) -> list[str]:
        command = [str(a) for a in args]
        return ["runuser", "-u", "postgres", "--", *command] if self._as_root else command

    def _run(self, *args) -> None:
        result = subprocess.run(self._command(*args), capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, args))} failed: {result.stderr or result.stdout}")
