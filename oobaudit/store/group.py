"""Group commit: finished targets share database transactions.

A sweep finishes targets one after another from many workers.  Committing each on its own
costs a transaction (and on PostgreSQL a round trip per statement) per BMC; while one batch
is being written, the targets that finish meanwhile queue up and go in the next one.  A worker
still waits until its own target is stored, so memory stays bounded by the number of workers
and a write error reaches the sweep as before.
"""

from __future__ import annotations

import asyncio

from . import Store, TargetWrite


class GroupCommit:
    """Batches :class:`TargetWrite` items into :meth:`Store.write_targets` calls on a thread."""

    def __init__(self, store: Store, max_batch: int = 256) -> None:
        self.store = store
        self.max_batch = max_batch
        self._pending: list[tuple[TargetWrite, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0

    async def write(self, item: TargetWrite) -> None:
        """Store one target; returns when it is committed (raises what the store raised)."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, fut))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await fut

    async def drain(self) -> None:
        """Wait until everything handed over so far is written (or failed)."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
            try:
                await asyncio.to_thread(self.store.write_targets, [item for item, _ in batch])
            except BaseException as exc:  # noqa: BLE001 - handed to every waiter, then re-raised if fatal
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc if isinstance(exc, Exception) else RuntimeError("write cancelled"))
                if not isinstance(exc, Exception):
                    raise
            else:
                self.batches += 1
                for _, fut in batch:
                    if not fut.done():  # the waiting worker may have been cancelled (SIGINT)
                        fut.set_result(None)
