"""Local TCP ports: a free one for a server of ours, or proof that a fixed one is still free."""

from __future__ import annotations

import socket

from heyzack_stack.health import InfrastructureError


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it when binding port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def ensure_port_free(port: int, hint: str) -> None:
    """Refuse to start a server on a taken port: its health check would find the other one."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers themselves bind: a port whose last connections linger in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise InfrastructureError(f"port {port} is taken ({error.strerror}); {hint}") from None
