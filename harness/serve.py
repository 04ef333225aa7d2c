"""`psd2-harness serve`: the reference bank over HTTP, with uvicorn, on loopback by default."""

from __future__ import annotations

import ipaddress
import socket
import sys

import click

from harness.reference.app import FAMILIES


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def print_defects() -> None:
    from harness.reference.defects import all_defects

    for d in all_defects():
        click.echo(f"{d.name:40} {d.rule:7} {d.description}")


def serve(
    *, host: str, port: int, defects: tuple[str, ...], regime: str, list_only: bool, dialect: str = "reference"
) -> None:
    if list_only:
        print_defects()
        return
    from harness.errors import UnknownDefect, UnknownRegime
    from harness.reference.app import create_app

    source = click.get_current_context().get_parameter_source("host")
    if not _is_loopback(host) and source is not click.core.ParameterSource.COMMANDLINE:
        click.echo(f"refusing to bind {host}: not a loopback address; pass --host explicitly", err=True)
        sys.exit(2)
    try:
        app = create_app(defects, regime=regime, dialect=dialect)
    except (UnknownDefect, UnknownRegime) as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host

    def announce() -> None:
        bound = port
        for srv in getattr(server, "servers", []):
            for sock in srv.sockets:
                bound = sock.getsockname()[1]
        base = f"http://{shown}:{bound}"
        name = "reference bank" if dialect == "reference" else f"reference bank, dialect {dialect},"
        click.echo(f"{name} (regime {regime}) on {base}" + (f", defects: {', '.join(defects)}" if defects else ""))
        plane = "/sandbox" if dialect == "alt" else "/__sandbox"
        for family in FAMILIES:
            click.echo(f"  {family:11} {base}/{family}   sandbox: {base}/{family}{plane}")
        click.echo("Ctrl-C stops it.")

    original = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original(sockets=sockets)
        announce()

    # wrap uvicorn's startup so the address is announced once the socket is bound; mypy forbids
    # assigning to a method, and uvicorn has no hook for it
    server.startup = startup  # type: ignore[method-assign]
    try:
        server.run()
    except KeyboardInterrupt:
        pass
