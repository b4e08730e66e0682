"""A small SMTP sink for `make chaos`: accepts every message on 127.0.0.1 and appends one JSON
line per message to a file, written before the 250 reply (so a message the sender saw accepted
is always on file).

    python bench/chaos_smtp.py --port N --out FILE

Standard library only (asyncio): HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. No TLS, no
AUTH: it only ever listens on the loopback address. SIGTERM stops it (the chaos driver's
"SMTP outage").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
MAX_BODY_CHARS = 4000


def message_record(raw: bytes, *, mail_from: str, rcpt: list[str]) -> dict[str, Any]:
    """What the checker needs from one message: recipients, decoded subject, outbox id, body."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    body = ""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is not None:
        try:
            body = part.get_content()
        except (LookupError, ValueError):
            body = ""
    return {
        "received_at": time.time(),
        "mail_from": mail_from,
        "rcpt": rcpt,
        "to": str(msg.get("To", "")),
        "subject": str(msg.get("Subject", "")),
        "message_id": str(msg.get("Message-ID", "")),
        "outbox_id": outbox_id(str(msg.get("Message-ID", ""))),
        "body": body[:MAX_BODY_CHARS],
    }


# The product gives every email the outbox delivers the Message-ID <outbox-<row id>@host>
# (apps/outbox/mail_backend.py): a repeat of one row carries the same id.
_OUTBOX_MESSAGE_ID = re.compile(r"^<outbox-(\d+)@")


def outbox_id(message_id: str) -> str:
    """The outbox row an email came from ("" for an email sent outside the outbox)."""
    match = _OUTBOX_MESSAGE_ID.match(message_id.strip())
    return match.group(1) if match else ""


class Sink:
    def __init__(self, out: Path) -> None:
        self.out = out

    def store(self, raw: bytes, *, mail_from: str, rcpt: list[str]) -> None:
        record = message_record(raw, mail_from=mail_from, rcpt=rcpt)
        with self.out.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
            handle.flush()

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write((line + "\r\n").encode())
            await writer.drain()

        mail_from, rcpt = "", []
        try:
            await reply("220 chaos-sink ESMTP")
            while True:
                line = await asyncio.wait_for(reader.readline(), timeout=60)
                if not line:
                    break
                command = line.decode("latin-1").strip()
                verb = command[:4].upper()
                if verb == "EHLO":
                    await reply("250-chaos-sink\r\n250-8BITMIME\r\n250 SMTPUTF8")
                elif verb == "HELO":
                    await reply("250 chaos-sink")
                elif verb == "MAIL":
                    mail_from, rcpt = command.partition(":")[2].strip(), []
                    await reply("250 OK")
                elif verb == "RCPT":
                    rcpt.append(command.partition(":")[2].strip().strip("<>"))
                    await reply("250 OK")
                elif verb == "DATA":
                    await reply("354 End data with <CR><LF>.<CR><LF>")
                    lines = []
                    while True:
                        data = await asyncio.wait_for(reader.readline(), timeout=60)
                        if not data:
                            return
                        if data in (b".\r\n", b".\n"):
                            break
                        lines.append(data[1:] if data.startswith(b"..") else data)
                    self.store(b"".join(lines), mail_from=mail_from, rcpt=rcpt)
                    mail_from, rcpt = "", []
                    await reply("250 OK queued")
                elif verb == "RSET":
                    mail_from, rcpt = "", []
                    await reply("250 OK")
                elif verb == "NOOP":
                    await reply("250 OK")
                elif verb == "QUIT":
                    await reply("221 Bye")
                    break
                else:
                    await reply("502 Command not implemented")
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def serve(port: int, out: Path) -> None:
    sink = Sink(out)
    server = await asyncio.start_server(sink.session, LOOPBACK, port, reuse_address=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.out))


if __name__ == "__main__":
    main()
