"""The `heyzack-ops` command line. Exit codes: 0 done, 1 refused (the message says why), 2 bad usage,
3 the platform could not be reached. With `--json`, the last line printed is one JSON object."""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import json
from collections.abc import Coroutine
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import asyncpg
import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from heyzack_shared import outbox
from heyzack_shared.db import create_pool
from heyzack_stack.ops import dead_letters as letters
from heyzack_stack.ops.dead_letters import Letter, LetterFilter, Refused
from heyzack_stack.ops.settings import ops_settings
from heyzack_stack.ops.status import platform_state
from kpi_projector.projection_state import PartitionState

EXIT_REFUSED, EXIT_UNREACHABLE = 1, 3

app = typer.Typer(help="Operate a running HeyZack platform.", no_args_is_help=True)
dead_letters_app = typer.Typer(help="List, show, redrive or discard dead letters.", no_args_is_help=True)
app.add_typer(dead_letters_app, name="deadletters")
outbox_app = typer.Typer(help="Publish a service's history again.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
console = Console()

T = TypeVar("T")
AsJson = Annotated[bool, typer.Option("--json", help="print one JSON object as the last line")]
Operator = Annotated[
    str | None, typer.Option(help="who acts, recorded with the action (default: your login)")
]


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Runs the command's work; a refusal or an unreachable platform ends it with its exit code."""
    try:
        return asyncio.run(work)
    except Refused as refused:
        console.print(f"[red]refused:[/red] {refused}")
        raise typer.Exit(EXIT_REFUSED) from None
    except (KafkaError, OSError) as failure:
        console.print(f"[red]cannot reach the platform:[/red] {failure!r}")
        raise typer.Exit(EXIT_UNREACHABLE) from None


def _say_json(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, default=str))


@dead_letters_app.command("list")
def list_letters(
    consumer: Annotated[str | None, typer.Option(help="kpi-projector, ratings or credits")] = None,
    reason: Annotated[str | None, typer.Option(help="letters whose reason contains this text")] = None,
    topic: Annotated[str | None, typer.Option(help="the source topic")] = None,
    partner: Annotated[str | None, typer.Option(help="the source message's key (partner id)")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="rejected at or after (ISO 8601 with an offset)")
    ] = None,
    open_only: Annotated[bool, typer.Option("--open", help="only letters nobody acted on")] = False,
    as_json: AsJson = False,
) -> None:
    """The dead letters, oldest first, with what was done with each."""
    wanted = LetterFilter(consumer, reason, topic, partner, since, open_only)
    found = [letter for letter in _run(_letters()) if wanted.admits(letter)]
    if as_json:
        _say_json({"letters": [_summary(letter) for letter in found], "count": len(found)})
        return
    table = Table("id", "rejected at", "consumer", "source", "partner", "reason", "action")
    for letter in found:
        dead = letter.letter
        source = f"{dead.source_topic}[{dead.source_partition}]@{dead.source_offset}"
        rejected = f"{dead.rejected_at:%Y-%m-%d %H:%M:%S}"
        table.add_row(
            letter.id, rejected, dead.consumer, source, letter.partner_id, dead.reason[:80], letter.action
        )
    console.print(table)
    console.print(f"{len(found)} letter(s)")


async def _letters() -> list[Letter]:
    settings = ops_settings()
    found = await letters.read_letters(settings.kafka_bootstrap_servers)
    async with letters.Actions.opened(settings.operations_database_url) as actions:
        taken = await actions.taken()
    return [Letter(identifier, letter, taken.get(identifier)) for identifier, letter in found]


def _summary(letter: Letter) -> dict[str, Any]:
    return {
        "id": letter.id,
        "partner_id": letter.partner_id,
        "action": letter.action,
        **letter.letter.model_dump(mode="json", exclude={"original_base64"}),
    }


@dead_letters_app.command("show")
def show_letter(letter_id: str, as_json: AsJson = False) -> None:
    """One letter, with its original decoded."""
    dead = _run(letters.read_letter(ops_settings().kafka_bootstrap_servers, letter_id))
    original = dead.original.decode(errors="replace")
    if as_json:
        _say_json({"id": letter_id, **dead.model_dump(mode="json"), "original": original})
        return
    for field, value in dead.model_dump(mode="json", exclude={"original_base64"}).items():
        console.print(f"[bold]{field}[/bold]: {value}")
    console.print("[bold]original[/bold]:")
    try:
        console.print_json(original)
    except json.JSONDecodeError:
        console.print(repr(original))


@dead_letters_app.command("redrive")
def redrive(
    letter_id: str,
    corrected: Annotated[
        Path | None, typer.Option(help="a file holding the corrected event (JSON) to publish instead")
    ] = None,
    operator: Operator = None,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
    as_json: AsJson = False,
) -> None:
    """Publish the letter's original (or a correction) again to its source topic, with its key; once."""
    correction = corrected.read_bytes() if corrected is not None else None
    if not yes:
        typer.confirm(f"Publish letter {letter_id} again to its source topic?", abort=True)
    topic = _run(_redrive(letter_id, correction, operator or getpass.getuser()))
    if as_json:
        _say_json(
            {"id": letter_id, "action": "redriven", "topic": topic, "corrected": correction is not None}
        )
    else:
        console.print(f"letter {letter_id} published again to {topic}")


async def _redrive(identifier: str, correction: bytes | None, operator: str) -> str:
    settings = ops_settings()
    dead = await letters.read_letter(settings.kafka_bootstrap_servers, identifier)
    value = letters.replacement(dead, correction)
    fingerprint = hashlib.sha256(correction).hexdigest() if correction is not None else None
    async with letters.Actions.opened(settings.operations_database_url) as actions:
        recorded = actions.recording(identifier, "redriven", operator=operator, corrected=fingerprint)
        async with recorded:
            await letters.publish_again(settings.kafka_bootstrap_servers, dead, value)
    return dead.source_topic


@dead_letters_app.command("discard")
def discard(
    letter_id: str,
    reason: Annotated[str, typer.Option(help="why it is given up (recorded)")],
    operator: Operator = None,
    as_json: AsJson = False,
) -> None:
    """Record that the letter is given up on: it will not be redriven."""
    _run(_discard(letter_id, reason, operator or getpass.getuser()))
    if as_json:
        _say_json({"id": letter_id, "action": "discarded", "reason": reason})
    else:
        console.print(f"letter {letter_id} discarded")


async def _discard(identifier: str, reason: str, operator: str) -> None:
    settings = ops_settings()
    await letters.read_letter(settings.kafka_bootstrap_servers, identifier)  # refused when there is none
    async with letters.Actions.opened(settings.operations_database_url) as actions:
        await actions.record(identifier, "discarded", operator=operator, reason=reason)


@app.command("status")
def status(as_json: AsJson = False) -> None:
    """Where every consumer stands: position, lag (an estimate) and freshness per partition; whether the
    projector is rebuilding its figures."""
    state = _run(platform_state(ops_settings()))
    if as_json:
        _say_json(state.model_dump(mode="json"))
        return
    projector = state.projector
    mood = "[yellow]rebuilding[/yellow]" if projector.rebuilding else "[green]live[/green]"
    console.print(
        f"projector: generation {projector.generation}, {mood}, {projector.events_handled} events applied,"
        f" lag {projector.lag}, newest event {_age(projector.freshness_seconds)} old"
    )
    table = Table("consumer", "topic", "partition", "position", "end", "lag")
    for partition in projector.partitions:
        table.add_row("kpi-projector", *_cells(partition))
    for inbox in state.inboxes:
        for partition in inbox.partitions:
            table.add_row(inbox.consumer, *_cells(partition))
    console.print(table)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, hours = int(seconds // 60), int(seconds // 3600)
    if hours:
        return f"{hours} h {minutes % 60} min"
    return f"{minutes} min {int(seconds % 60)} s" if minutes else f"{seconds:.1f} s"


def _cells(partition: PartitionState) -> list[str]:
    values = [partition.topic, partition.partition, partition.position, partition.end_offset, partition.lag]
    return ["?" if value is None else str(value) for value in values]


class DomainService(StrEnum):
    INSTALLATIONS = "installations"
    RATINGS = "ratings"
    CREDITS = "credits"


@outbox_app.command("republish")
def republish(
    service: Annotated[DomainService, typer.Option(help="whose outbox")],
    since: Annotated[datetime | None, typer.Option(help="only events emitted at or after (ISO 8601)")] = None,
    wait: Annotated[bool, typer.Option(help="wait until the service's relay has sent them all")] = True,
    timeout: Annotated[float, typer.Option(help="seconds to wait at most")] = 300.0,
    as_json: AsJson = False,
) -> None:
    """Queue a service's events (all, or since a moment) to be published again by its relay: after the
    broker lost data, or to feed a new consumer. Consumers deduplicate, so no figure changes."""
    queued, left = _run(_republish(service.value, since, wait, timeout, quiet=as_json))
    if as_json:
        _say_json({"service": service.value, "queued": queued, "unsent": left})
    else:
        console.print(f"{service.value}: {queued} event(s) queued again, {left} not sent yet")
    if left and wait:
        raise typer.Exit(EXIT_REFUSED)


async def _republish(
    service: str, since: datetime | None, wait: bool, timeout: float, *, quiet: bool
) -> tuple[int, int]:
    url = ops_settings().database_of(service)
    if url is None:
        raise Refused(f"where is the {service} database? set {service.upper()}_DATABASE_URL")
    pool = await create_pool(url, max_size=1)
    try:
        queued = await outbox.mark_all_unsent(pool, since)
        left = await outbox.unsent(pool)
        if wait:
            left = await _sent(pool, queued, timeout, quiet=quiet)
        return queued, left
    finally:
        await pool.close()


async def _sent(pool: asyncpg.Pool, queued: int, timeout: float, *, quiet: bool) -> int:
    """Follow the relay until nothing is left unsent (or `timeout`); how many are still unsent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    with Progress(transient=True, disable=quiet, console=console) as progress:
        task = progress.add_task("published again", total=queued)
        while (left := await outbox.unsent(pool)) and loop.time() < deadline:
            progress.update(task, completed=max(0, queued - left))
            await asyncio.sleep(0.2)
    return left


def main() -> None:
    app()
