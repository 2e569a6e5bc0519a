"""The names of the read-models' keys and channels in Redis (see read_models.py for what each holds).

A partner's id is escaped in every key and channel, so that no partner id can name a key or a Cluster slot
of another partner.
"""

from __future__ import annotations

from urllib.parse import unquote

# Characters that mean something in a key, a hash tag, a channel pattern or `_live`'s split, escaped in a
# partner id (with `%` itself), so that no partner id can name a key or a slot of another partner.
_ESCAPED = str.maketrans({c: f"%{ord(c):02X}" for c in "%{}:*?[]\\\0"})


def partner_tag(partner_id: str) -> str:
    """The partner id as it appears between the braces of its keys' hash tag."""
    return partner_id.translate(_ESCAPED)


class Keys:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.pointer = f"{namespace}:generation"

    def partner(self, generation: str, partner_id: str, family: str) -> str:
        return f"{self.namespace}:{generation}:{{{partner_tag(partner_id)}}}:{family}"

    def positions(self, generation: str) -> str:
        return f"{self.namespace}:{generation}:positions"

    def progress(self, generation: str) -> str:
        return f"{self.namespace}:{generation}:progress"

    def rebuild(self, generation: str) -> str:
        return f"{self.namespace}:{generation}:rebuild"

    def changes(self, partner_id: str) -> str:
        """The pub/sub channel told whenever a batch changed the partner's read-models (any generation)."""
        return f"{self.namespace}:changes:{{{partner_tag(partner_id)}}}"

    def partner_of_changes(self, channel: str) -> str:
        return unquote(channel.removeprefix(f"{self.namespace}:changes:{{").removesuffix("}"))

    @property
    def all_changes(self) -> str:
        """The pattern matching every partner's `changes` channel."""
        return f"{self.namespace}:changes:*"
