"""Keep a long job's lease alive while it is worked on (a clip takes minutes on a CPU).

A thread renews the lease every third of its length. If the renewal finds the lease gone (the
worker stalled past it and another worker took the job over), ``lost`` is set and the work must
stop without publishing or replying: the other worker owns the job now. A crashed or killed
worker renews nothing, so its lease simply runs out and the job is claimed again.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from db import Job, JobQueue, LeaseLost

log = logging.getLogger(__name__)


class LeaseKeeper:
    """``with LeaseKeeper(queue, job, lease_seconds) as keeper: ...`` renews ``job``'s lease until the block ends."""

    def __init__(self, queue: JobQueue, job: Job, lease_seconds: float) -> None:
        self.queue, self.job, self.lease_seconds = queue, job, lease_seconds
        self.lost = threading.Event()
        self.renewals = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job.id}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(self.lease_seconds / 3):
            try:
                self.job = self.queue.heartbeat(self.job, self.lease_seconds)
                self.renewals += 1
            except LeaseLost as exc:
                log.warning("job %s: %s; stopping its work", self.job.id, exc)
                self.lost.set()
                return
            except Exception as exc:  # noqa: BLE001 - the database blinked: try again next time
                log.warning("job %s: could not renew the lease (%s: %s)", self.job.id, type(exc).__name__, exc)
