"""An ICS feed on loopback, as a school or a club publishes one."""

from __future__ import annotations

from aiohttp import web


class IcsFeed:
    """Serves `text` at /feed.ics; the test changes it to change the feed."""

    def __init__(self, text: str) -> None:
        """Serve `text` once started."""
        self.text = text
        self.downloads = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _serve(self, request: web.Request) -> web.Response:
        self.downloads += 1
        return web.Response(text=self.text, content_type="text/calendar")

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_get("/feed.ics", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/feed.ics"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
