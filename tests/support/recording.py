"""What a client asked its store: the reads (``find`` and ``aggregate`` commands) a piece of code sent."""

from pymongo import monitoring


class Recorder(monitoring.CommandListener):
    """Pass as ``MongoClient(..., event_listeners=[recorder])``; ``reads`` holds every read command sent since it
    was last cleared."""

    def __init__(self):
        self.reads: list[dict] = []

    def started(self, event):
        if event.command_name in ("find", "aggregate"):
            self.reads.append(dict(event.command))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass
