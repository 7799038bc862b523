"""The FastAGI server: panoramisk's `Application` on a TCP port, with our routes.

`agi://HOST:PORT/1912` runs the IVR for a call, `agi://HOST:PORT/1912-full` apologises and
offers a callback when app_queue turned the caller away, `agi://HOST:PORT/feedback` runs an
answered outbound feedback call (see `dialplans.agi_session`), and, given the answered-callback
handler, `agi://HOST:PORT/callback` greets a consumer who picked up the call back we placed and
queues them (`dialplans.agi_callback`). Any other script name is logged by panoramisk and
closed, which leaves the dialplan's defaults in place (the caller is queued). One guard is
added around panoramisk: it reads the AGI headers with `read()` until a blank line and would
spin forever on a peer that closes first, so the reader handed to it raises on end-of-file
instead. The server holds no call state: any number of them may run behind one Asterisk (or
several).
"""

from __future__ import annotations

import asyncio
import logging

from panoramisk.fast_agi import Application

from dialplans.agi_callback import AnsweredCallbacks
from dialplans.agi_session import IvrOverAgi
from dialplans.errors import AgiHangup
from dialplans.generate import ROUTE_CALLBACK, ROUTE_FEEDBACK, ROUTE_IVR, ROUTE_TURNED_AWAY

log = logging.getLogger(__name__)


class _ClosingReader:
    """A StreamReader whose `read()` raises at end-of-file instead of returning b''."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    async def read(self, n: int = -1) -> bytes:
        data = await self._reader.read(n)
        if not data:
            raise AgiHangup("peer closed before the AGI headers ended")
        return data

    async def readline(self) -> bytes:
        return await self._reader.readline()

    def at_eof(self) -> bool:
        return self._reader.at_eof()


class FastAgiServer:
    """Listens for Asterisk's FastAGI connections and runs each as one call."""

    def __init__(self, calls: IvrOverAgi, callbacks: AnsweredCallbacks | None = None) -> None:
        self._calls = calls
        self._callbacks = callbacks
        self._server: asyncio.Server | None = None
        self._app: Application | None = None
        self._active: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Start listening; returns the bound address (port 0 picks a free port)."""
        self._app = Application(loop=asyncio.get_running_loop())
        self._app.add_route(ROUTE_IVR, self._calls.ivr)
        self._app.add_route(ROUTE_TURNED_AWAY, self._calls.turned_away)
        self._app.add_route(ROUTE_FEEDBACK, self._calls.feedback)
        if self._callbacks is not None:
            self._app.add_route(ROUTE_CALLBACK, self._callbacks.handle)
        self._server = await asyncio.start_server(self._accept, host, port)
        bound = self._server.sockets[0].getsockname()
        log.info("FastAGI on agi://%s:%s/%s", bound[0], bound[1], ROUTE_IVR)
        return str(bound[0]), int(bound[1])

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            assert self._app is not None
            await self._app.handler(_ClosingReader(reader), writer)
        except AgiHangup as gone:
            log.warning("FastAGI peer %s: %s", writer.get_extra_info("peername"), gone)
            writer.close()
        except Exception:
            log.exception("FastAGI connection failed")
            writer.close()
        finally:
            if task is not None:
                self._active.discard(task)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._active):
                task.cancel()
            await asyncio.gather(*self._active, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None
        self._calls.close()
