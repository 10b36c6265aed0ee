"""A pymongo command listener for tests that count round trips."""

from __future__ import annotations

from pymongo import monitoring


class CommandNames(monitoring.CommandListener):
    """The names of the commands started, of those in `names` (all when empty), in order."""

    def __init__(self, *names: str) -> None:
        self.wanted = frozenset(names)
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.wanted or event.command_name in self.wanted:
            self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass
