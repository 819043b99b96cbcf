"""``rebilly-sandbox cluster``: N replicas behind HAProxy, started, watched and stopped together.

One sandbox process uses one core; a cluster runs one per core. Each replica is a plain
``rebilly-sandbox serve`` on a free port of 127.0.0.1 with a database file of its own in the
``--db`` folder and the other replicas as ``--peers`` (``fanout``); HAProxy, with the
configuration ``haproxy`` writes, listens on ``--host``/``--port``. A replica that dies is started
again on the same port and file (its journal gives back every acknowledged write); SIGTERM or
Ctrl-C stops everything. ``cluster.json`` in the folder says which process is which.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .haproxy import Replica, haproxy_config

__all__ = ("Cluster", "ClusterError", "ReplicaProcess", "free_port")

#: How long a replica or HAProxy may take to answer after it starts.
START_TIMEOUT = 15.0
#: How long a dead replica stays down before it is started again.
RESTART_DELAY = 1.0


class ClusterError(RuntimeError):
    """The cluster cannot start: no HAProxy, or a replica that never answered."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclass
class ReplicaProcess:
    """One replica: what it is called, where it listens and stores, and its process."""

    name: str
    port: int
    db: str
    process: subprocess.Popen | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    """Replicas and their HAProxy; ``start``, then ``watch`` or ``stop``."""

    replicas: int
    folder: str | None
    host: str = "127.0.0.1"
    port: int = 8080
    serve_args: Sequence[str] = ()
    haproxy: str = "haproxy"
    members: list[ReplicaProcess] = field(default_factory=list)
    balancer: subprocess.Popen | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Start every replica, wait until each answers, then start HAProxy in front of them."""
        executable = shutil.which(self.haproxy)
        if executable is None:
            raise ClusterError("haproxy is not installed (Debian: apt-get install haproxy)")
        if self.replicas < 1:
            raise ClusterError("--replicas must be at least 1")
        if self.port == 0:
            self.port = free_port(self.host)
        work = Path(self.folder) if self.folder else Path(tempfile.mkdtemp(prefix="sandbox-"))
        work.mkdir(parents=True, exist_ok=True)
        self._work = work
        self.members = [
            ReplicaProcess(f"r{index}", free_port(),
                           "memory" if self.folder is None else str(work / f"replica-{index}.json"))
            for index in range(1, self.replicas + 1)]
        try:
            for member in self.members:
                self._launch(member)
            for member in self.members:
                _wait_for(f"{member.url}/__admin/health", member.process)
            config = work / "haproxy.cfg"
            config.write_text(haproxy_config(
                [Replica(m.name, f"127.0.0.1:{m.port}") for m in self.members],
                f"{self.host}:{self.port}", check_interval_ms=200), encoding="utf-8")
            self.balancer = subprocess.Popen([executable, "-db", "-f", str(config)],
                                             preexec_fn=_die_with_parent)
            self._write_state()
            _wait_for(f"{self.url}/__admin/health", self.balancer)
        except BaseException:
            self.stop()
            raise
        self._write_state()

    def _launch(self, member: ReplicaProcess) -> None:
        peers = ",".join(m.url for m in self.members if m is not member)
        command = [sys.executable, "-m", "rebilly_sandbox", "serve", *self.serve_args,
                   "--host", "127.0.0.1", "--port", str(member.port), "--db", member.db]
        if peers:
            command += ["--peers", peers]
        member.process = subprocess.Popen(command, preexec_fn=_die_with_parent)
        member.starts += 1

    def request_stop(self) -> None:
        """Make ``watch`` stop everything and return; safe from a signal handler."""
        self._stopping.set()

    def watch(self) -> None:
        """Restart replicas that die, until ``stop`` is called (by a signal, say)."""
        while not self._stopping.wait(0.2):
            if self.balancer is not None and self.balancer.poll() is not None:
                print("rebilly-sandbox: haproxy exited; stopping the cluster", file=sys.stderr)
                break
            for member in self.members:
                if member.process is not None and member.process.poll() is not None:
                    print(f"rebilly-sandbox: replica {member.name} exited "
                          f"({member.process.returncode}); starting it again", file=sys.stderr)
                    if self._stopping.wait(RESTART_DELAY):
                        break
                    self._launch(member)
                    self._write_state()
        self.stop()

    def stop(self) -> None:
        """Stop HAProxy, then every replica (SIGTERM, then SIGKILL after 10 s)."""
        self._stopping.set()
        processes = [p for p in [self.balancer, *(m.process for m in self.members)] if p]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.folder is None and hasattr(self, "_work"):  # --db memory: nothing to keep
            shutil.rmtree(self._work, ignore_errors=True)

    def _write_state(self) -> None:
        state = {"url": self.url, "haproxy": {"pid": self.balancer and self.balancer.pid,
                                              "config": str(self._work / "haproxy.cfg")},
                 "replicas": [{"name": m.name, "url": m.url, "db": m.db,
                               "pid": m.process and m.process.pid} for m in self.members]}
        target = self._work / "cluster.json"
        target.with_suffix(".tmp").write_text(json.dumps(state, indent=2), encoding="utf-8")
        os.replace(target.with_suffix(".tmp"), target)


def _die_with_parent() -> None:
    """In the child: SIGTERM when the cluster's process dies, even by SIGKILL (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _wait_for(url: str, process: subprocess.Popen | None) -> None:
    """Poll ``url`` until it answers 200; fail if the process exits or time runs out."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ClusterError(f"the process for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise ClusterError(f"nothing answered at {url} within {START_TIMEOUT:.0f}s")


def run(replicas: int, folder: str | None, host: str, port: int,
        serve_args: Sequence[str]) -> int:
    """The command: start, stop on SIGTERM or Ctrl-C; the exit code."""
    cluster = Cluster(replicas, folder, host, port, serve_args)
    # Before starting: a SIGTERM that comes while the members start (the balancer may answer
    # before ``start`` returns) stops them all once they are up, instead of killing this process
    # and leaving them behind.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: cluster.request_stop())
    try:
        cluster.start()
    except ClusterError as error:
        print(f"rebilly-sandbox: {error}", file=sys.stderr)
        return 5
    print(f"rebilly-sandbox cluster: {replicas} replica(s) behind {cluster.url}", file=sys.stderr)
    cluster.watch()
    return 0
