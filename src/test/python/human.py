"""A scripted human for the Matrix end-to-end tests: a matrix-nio client, driven from Java.

Usage: human.py HOMESERVER_URL USER_ID ACCESS_TOKEN DEVICE_ID

Reads commands as JSON lines on stdin ({"id": .., "cmd": .., ...}) and answers each with
{"reply": ID, "ok": true, ...} or {"reply": ID, "ok": false, "error": ".."}. Meanwhile it syncs
and reports what it sees as JSON lines: {"kind": "event" | "typing" | "receipt" | "invite" |
"member" | "ready", ...}. Nothing else goes to stdout; logs go to stderr. End of stdin quits.

The sync is done with plain HTTP rather than nio's sync(): nio validates and parses the sync
response into its own event classes, and a deliberately malformed event (which the tests send)
would make it reject the whole sync or reshape the event. Raw JSON reaches Java unchanged.
Commands go through nio's AsyncClient, as a real client would send them.
"""

import asyncio
import json
import logging
import os
import struct
import sys
import threading
import time
from urllib.parse import quote, urlparse

import aiohttp
from nio import AsyncClient, AsyncClientConfig, ErrorResponse

log = logging.getLogger("human")

# Sync long-poll time: short, so that a stopped or restarted Synapse is noticed quickly.
SYNC_TIMEOUT_MS = 2000
# A large timeline limit: with the default (10) a burst from the bot would leave a gap.
SYNC_FILTER = json.dumps({"room": {"timeline": {"limit": 1000}}})


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class CommandError(Exception):
    pass


def check(response):
    """nio answers errors with an ErrorResponse rather than raising; make them raise."""
    if isinstance(response, ErrorResponse):
        status = f"{response.status_code} " if response.status_code else ""
        raise CommandError(f"{type(response).__name__}: {status}{response.message}")
    return response


def image_size(path):
    """(width, height) of a PNG or GIF, else None: enough for the tests' images."""
    with open(path, "rb") as f:
        head = f.read(32)
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return struct.unpack(">II", head[16:24])
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", head[6:10])
    return None


class Human:
    def __init__(self, url, user_id, token, device_id):
        self.url = url.rstrip("/")
        self.user_id = user_id
        self.token = token
        # No 429 retries inside nio: a rate-limited command should fail visibly in the test.
        config = AsyncClientConfig(max_limit_exceeded=0, max_timeouts=2, request_timeout=30)
        self.client = AsyncClient(self.url, user_id, device_id=device_id, config=config)
        self.client.restore_login(user_id, device_id, token)
        self.http = None
        self.seen = set()  # event ids already reported: state and timeline can overlap
        self.stop = asyncio.Event()

    # --- sync ---------------------------------------------------------------------------

    async def sync_loop(self):
        since = None
        ready = False
        while not self.stop.is_set():
            params = {"filter": SYNC_FILTER}
            if since is None:
                params.update(full_state="true", timeout="0")
            else:
                params.update(since=since, timeout=str(SYNC_TIMEOUT_MS))
            try:
                async with self.http.get(
                    self.url + "/_matrix/client/v3/sync",
                    params=params,
                    headers={"Authorization": "Bearer " + self.token},
                    timeout=aiohttp.ClientTimeout(total=SYNC_TIMEOUT_MS / 1000 + 30),
                ) as resp:
                    body = await resp.json(content_type=None)
                    if resp.status != 200:
                        log.warning("sync: HTTP %s %s", resp.status, body)
                        if not ready and resp.status in (401, 403):
                            log.error("cannot sync as %s: giving up", self.user_id)
                            self.stop.set()
                            return
                        await asyncio.sleep(0.5)
                        continue
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as e:
                # Synapse stopped or restarting: keep trying, the tests restart it on purpose.
                log.info("sync failed (%s); retrying", e)
                await asyncio.sleep(0.2)
                continue
            self.report(body)
            since = body.get("next_batch", since)
            if not ready:
                ready = True
                emit({"kind": "ready"})

    def report(self, sync):
        now = int(time.time() * 1000)
        rooms = sync.get("rooms", {})
        for room_id, room in rooms.get("join", {}).items():
            self.report_room(room_id, room, now)
            for event in room.get("ephemeral", {}).get("events", []):
                self.report_ephemeral(room_id, event)
        for room_id, room in rooms.get("leave", {}).items():
            self.report_room(room_id, room, now)
        for room_id, room in rooms.get("invite", {}).items():
            sender = None
            for event in room.get("invite_state", {}).get("events", []):
                if event.get("type") == "m.room.member" and event.get("state_key") == self.user_id:
                    sender = event.get("sender")
            emit({"kind": "invite", "room": room_id, "sender": sender})

    def report_room(self, room_id, room, now):
        timeline = room.get("timeline", {})
        events = room.get("state", {}).get("events", []) + timeline.get("events", [])
        if timeline.get("limited") and self.seen:
            log.warning("sync for %s was limited: some events were skipped", room_id)
        for event in events:
            event_id = event.get("event_id")
            if event_id in self.seen:
                continue
            self.seen.add(event_id)
            report = {
                "kind": "event",
                "room": room_id,
                "sender": event.get("sender"),
                "event_id": event_id,
                "type": event.get("type"),
                "content": event.get("content", {}),
                "ts_ms": now,
                "origin_server_ts": event.get("origin_server_ts"),
                "raw": event,
            }
            if "state_key" in event:
                report["state_key"] = event["state_key"]
            emit(report)
            if event.get("type") == "m.room.member" and isinstance(event.get("content"), dict):
                emit({
                    "kind": "member",
                    "room": room_id,
                    "user": event.get("state_key"),
                    "membership": event["content"].get("membership"),
                })

    def report_ephemeral(self, room_id, event):
        content = event.get("content", {})
        if event.get("type") == "m.typing":
            emit({"kind": "typing", "room": room_id, "users": content.get("user_ids", [])})
        elif event.get("type") == "m.receipt":
            for event_id, by_type in content.items():
                for receipt_type, by_user in by_type.items():
                    for user in by_user:
                        emit({"kind": "receipt", "room": room_id, "event_id": event_id,
                              "user": user, "receipt_type": receipt_type})
        else:
            emit({"kind": "ephemeral", "room": room_id, "type": event.get("type"),
                  "content": content})

    # --- commands -----------------------------------------------------------------------

    async def handle(self, line):
        try:
            command = json.loads(line)
        except ValueError as e:
            log.error("not a JSON command: %r (%s)", line, e)
            return
        reply_id = command.get("id")
        try:
            method = getattr(self, "cmd_" + str(command.get("cmd")), None)
            if method is None:
                raise CommandError(f"unknown command {command.get('cmd')!r}")
            result = await method(command)
            emit({"reply": reply_id, "ok": True, **(result or {})})
        except Exception as e:  # every failure goes back to Java, with its kind
            log.exception("command %s failed", command.get("cmd"))
            emit({"reply": reply_id, "ok": False, "error": f"{type(e).__name__}: {e}"})

    async def cmd_create_room(self, c):
        initial_state = []
        if c.get("encrypted"):
            initial_state.append({"type": "m.room.encryption", "state_key": "",
                                  "content": {"algorithm": "m.megolm.v1.aes-sha2"}})
        response = check(await self.client.room_create(
            name=c.get("name"), alias=c.get("alias"), invite=c.get("invite", []),
            initial_state=initial_state))
        return {"room_id": response.room_id}

    async def cmd_join(self, c):
        return {"room_id": check(await self.client.join(c["room"])).room_id}

    async def cmd_invite(self, c):
        check(await self.client.room_invite(c["room"], c["user"]))

    async def cmd_leave(self, c):
        check(await self.client.room_leave(c["room"]))

    async def cmd_send(self, c):
        response = check(await self.client.room_send(
            c["room"], c.get("type", "m.room.message"), c["content"]))
        return {"event_id": response.event_id}

    async def cmd_send_text(self, c):
        content = {"msgtype": "m.text", "body": c["text"]}
        response = check(await self.client.room_send(c["room"], "m.room.message", content))
        return {"event_id": response.event_id}

    async def cmd_upload_file(self, c):
        path, mime = c["path"], c.get("mime", "application/octet-stream")
        size = os.path.getsize(path)
        name = os.path.basename(path)
        with open(path, "rb") as f:
            response, _ = await self.client.upload(
                f, content_type=mime, filename=name, filesize=size)
        mxc = check(response).content_uri
        info = {"mimetype": mime, "size": size}
        msgtype = c.get("msgtype") or ("m.image" if mime.startswith("image/") else "m.file")
        if msgtype == "m.image":
            dims = image_size(path)
            if dims:
                info["w"], info["h"] = dims
        content = {"msgtype": msgtype, "body": name, "url": mxc, "info": info}
        sent = check(await self.client.room_send(c["room"], "m.room.message", content))
        return {"event_id": sent.event_id, "mxc": mxc}

    async def cmd_download(self, c):
        # Authenticated media (Matrix 1.11), with the token in a header rather than the query.
        mxc = urlparse(c["mxc"])
        url = (f"{self.url}/_matrix/client/v1/media/download/"
               f"{quote(mxc.netloc, safe='')}/{quote(mxc.path.lstrip('/'), safe='')}")
        async with self.http.get(url, headers={"Authorization": "Bearer " + self.token}) as resp:
            data = await resp.read()
            if resp.status != 200:
                raise CommandError(f"download {c['mxc']}: HTTP {resp.status} {data[:300]!r}")
        with open(c["path"], "wb") as f:
            f.write(data)
        return {"path": c["path"], "size": len(data)}

    async def cmd_quit(self, c):
        self.stop.set()

    # --- main ---------------------------------------------------------------------------

    async def run(self):
        loop = asyncio.get_running_loop()
        self.http = aiohttp.ClientSession()
        lines = asyncio.Queue()

        # A plain thread reads stdin: it copes with any kind of stdin and with long lines.
        def read_stdin():
            for line in sys.stdin:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            loop.call_soon_threadsafe(lines.put_nowait, None)

        threading.Thread(target=read_stdin, daemon=True).start()
        sync = asyncio.create_task(self.sync_loop())
        tasks = set()
        try:
            while not self.stop.is_set():
                getter = asyncio.ensure_future(lines.get())
                stopper = asyncio.ensure_future(self.stop.wait())
                done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if getter not in done:
                    getter.cancel()
                    break
                line = getter.result()
                if line is None:  # Java went away: no orphaned client
                    break
                if line.strip():
                    # Each command in its own task, so that a slow one does not hold up the rest.
                    task = asyncio.create_task(self.handle(line))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
        finally:
            self.stop.set()
            sync.cancel()
            await asyncio.gather(sync, *tasks, return_exceptions=True)
            await self.client.close()
            await self.http.close()


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if len(sys.argv) != 5:
        sys.exit("usage: human.py HOMESERVER_URL USER_ID ACCESS_TOKEN DEVICE_ID")
    asyncio.run(Human(*sys.argv[1:]).run())


if __name__ == "__main__":
    main()
