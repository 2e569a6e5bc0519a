"""Supervised child processes: each in its own process group, logging to a file, never outliving us.

Three layers keep children from becoming orphans: `stop()` on the normal path, an `atexit` hook when the
interpreter exits without reaching it, and the Linux parent-death signal when we are killed outright.
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_running: list[ChildProcess] = []


@dataclass(frozen=True)
class RunAs:
    """A system user to run a child as (PostgreSQL refuses to run as root)."""

    uid: int
    gid: int


@dataclass(eq=False)
class ChildProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    stop_signal: signal.Signals

    @property
    def pid(self) -> int:
        return self.process.pid

    def exit_code(self) -> int | None:
        return self.process.poll()

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)

    async def stop(self, grace: float = 10.0) -> None:
        """Ask politely with the stop signal, then SIGKILL the whole group after `grace` seconds."""
        await asyncio.to_thread(self.terminate, grace)

    def terminate(self, grace: float = 10.0) -> None:
        if self.process.poll() is None:
            self._signal(self.stop_signal)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                with suppress(subprocess.TimeoutExpired):
                    self.process.wait(grace)
        # Sweeps anything the leader left behind in its group (a server's worker processes).
        self._signal_group(signal.SIGKILL)
        if self in _running:
            _running.remove(self)

    def _signal(self, signum: signal.Signals) -> None:
        with suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def _signal_group(self, signum: signal.Signals) -> None:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    run_as: RunAs | None = None,
    stop_signal: signal.Signals = signal.SIGTERM,
) -> ChildProcess:
    """Start `argv` in a new session, stdout and stderr written to `log_path` (emptied first).

    Must be called from the thread that lives as long as the child: the parent-death signal fires when the
    spawning thread ends, so never from a worker thread.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            user=run_as.uid if run_as else None,
            group=run_as.gid if run_as else None,
            extra_groups=[] if run_as else None,
            preexec_fn=_die_with_parent(os.getpid(), stop_signal),
        )
    child = ChildProcess(name, process, log_path, stop_signal)
    _running.append(child)
    return child


def supervised() -> list[ChildProcess]:
    """Every child started here and not stopped yet, oldest first."""
    return list(_running)


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"(no log at {path})"
    text = path.read_bytes()[-64_000:].decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def _die_with_parent(parent_pid: int, signum: signal.Signals) -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def arm() -> None:
        # Runs in the child after setuid (which would clear the setting) and before exec.
        libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        if os.getppid() != parent_pid:
            os._exit(1)

    return arm


@atexit.register
def _stop_all_now() -> None:
    for child in reversed(list(_running)):
        child.terminate(grace=5.0)
