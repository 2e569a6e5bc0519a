"""What ratings learns from other services: installation facts from `heyzack.installations.v1`.

`learn_installation` is the Inbox's handler: it runs on the batch's connection, in the transaction that
also records the event as processed, so a redelivered event never reaches it twice.
"""

from __future__ import annotations

from heyzack_shared.contracts import installations as facts
from heyzack_shared.envelope import Envelope
from heyzack_shared.outbox import Connection
from ratings.domain import KnownInstallation
from ratings.repository import KnownInstallations

CONSUMER = "ratings"
FACTS = (facts.InstallationCreated, facts.HandymanAssigned, facts.InstallationStatusChanged)


async def learn_installation(conn: Connection, event: Envelope) -> None:
    """Fold one installation fact into `known_installations`; other event types are not ratings' concern."""
    if not isinstance(event, FACTS):
        return
    partner_id, installation_id = event.partner_id, event.data.installation_id
    known = KnownInstallations(conn)
    installation = await known.get(partner_id, installation_id, lock=True) or KnownInstallation(
        partner_id=partner_id, installation_id=installation_id
    )
    if installation.learn(event):
        await known.save(installation)
