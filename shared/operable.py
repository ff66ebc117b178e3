"""What every service answers over RPC for operators: health, measurements, dead letters."""

from shared.auth.provider import Caller
from shared.bus import connection_name
from shared.deadletters import DeadLetters
from shared.metrics import WorkerTimer, samples
from shared.rpc import rpc


class Operable:
    """Mixin for service classes that have a ``store`` (a ``shared.mongo.MongoStore``)."""

    dead_letter_box = DeadLetters()
    caller = Caller()
    worker_timer = WorkerTimer()

    @rpc
    def health(self) -> dict:
        # which process answered: replicas share the RPC queue, and an operator (or a test) may need to tell them apart
        answer = {"service": self.name, "instance": connection_name(self.name), "store": self.store.ping()}
        reference = getattr(self, "reference", None)
        if reference is not None:
            answer["reference"] = reference.revisions()
        return answer

    @rpc
    def metrics(self) -> list[dict]:
        """Time per message and store commands of this service, all its processes (``shared.metrics``).

        For administrators: the figures show how busy each entrypoint is, which is nobody else's business."""
        self.caller.require("operations.manage")
        return samples(self.name)

    @rpc
    def dead_letters(self, limit: int = 100) -> list[dict]:
        self.caller.require("operations.manage")
        return self.dead_letter_box.browse(limit=min(max(int(limit), 1), 1000))

    @rpc
    def replay_dead_letter(self, message_id: str) -> dict:
        self.caller.require("operations.manage")
        return self.dead_letter_box.replay(str(message_id))
