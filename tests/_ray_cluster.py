"""A Ray cluster of real nodes on this machine for tests: a head and a second node, each a
``ray start --block`` process group of its own (so one can be killed alone), loopback only,
token authentication off (a private test cluster), tiny resources."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

RAY = str(Path(sys.executable).with_name("ray"))
START_TIMEOUT = 180.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cluster_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for the nodes and the driver: no usage stats, no token, loopback."""
    env = dict(os.environ)
    env.update(
        RAY_USAGE_STATS_ENABLED="0",
        RAY_AUTH_MODE="disabled",
        RAY_ENABLE_UV_RUN_RUNTIME_ENV="0",
    )
    env.update(extra or {})
    return env


@dataclass
class Node:
    """One ``ray start --block`` process group."""

    name: str
    proc: subprocess.Popen
    log: Path

    def kill(self) -> None:
        """End this node's processes at once (a lost machine)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        """End this node: SIGTERM, then SIGKILL after a grace period."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        with contextlib.suppress(ProcessLookupError):  # children left in the group go too
            os.killpg(self.proc.pid, signal.SIGKILL)


@dataclass
class Cluster:
    """A head and worker nodes; ``address`` is what RAY_ADDRESS takes."""

    root: Path
    address: str = ""
    nodes: list[Node] = field(default_factory=list)

    def start_node(self, name: str, *, head: bool, cpus: int, env: dict[str, str]) -> Node:
        """Start one node and wait until it reports started."""
        log = self.root / f"{name}.log"
        args = [RAY, "start", "--block", f"--num-cpus={cpus}", "--node-ip-address=127.0.0.1",
                f"--temp-dir={self.root / name}", "--disable-usage-stats",
                f'--resources={{"{name}": 1}}']  # fmt: skip
        if head:
            port = free_port()
            self.address = f"127.0.0.1:{port}"
            args += ["--head", f"--port={port}", "--include-dashboard=false"]
        else:
            args += [f"--address={self.address}"]
        with log.open("w") as fh:
            proc = subprocess.Popen(
                args, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        node = Node(name, proc, log)
        self.nodes.append(node)
        deadline = time.monotonic() + START_TIMEOUT
        while "block forever" not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ray node {name} did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.5)
        return node

    def stop(self) -> None:
        """Stop every node, workers first."""
        for node in reversed(self.nodes):
            node.stop()
