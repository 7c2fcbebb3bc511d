#!/usr/bin/python3
"""tests/peers/smtp_peer.py - a real SMTP server for the outbox's tests (Debian's
python3-aiosmtpd), on 127.0.0.1 at a free port.

    smtp_peer.py DIR

writes DIR/port once it listens, and each mail it receives to DIR/mail/N.json as
{"from": envelope sender, "to": [envelope recipients], "data": the message as sent}.
A recipient whose address starts with "reject" is refused with 550 (a permanent
failure); one starting with "later" with 451 (a passing one). It stops on SIGTERM.
"""
import json
import os
import signal
import socket
import sys
import time

from aiosmtpd.controller import Controller

DIR = sys.argv[1]
os.makedirs(os.path.join(DIR, "mail"), exist_ok=True)


class Handler:
    count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 no such mailbox"
        if address.startswith("later"):
            return "451 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        Handler.count += 1
        data = envelope.content.decode("utf-8", "replace") if isinstance(envelope.content, bytes) else envelope.content
        path = os.path.join(DIR, "mail", "%d.json" % Handler.count)
        with open(path + ".tmp", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, "data": data}, f)
        os.rename(path + ".tmp", path)
        return "250 Message accepted"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    with open(os.path.join(DIR, "port.tmp"), "w") as f:
        f.write(str(port))
    os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
    signal.signal(signal.SIGTERM, lambda *a: (controller.stop(), os._exit(0)))
    while True:
        time.sleep(3600)


main()
