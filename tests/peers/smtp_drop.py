"""tests/peers/smtp_drop.py - an SMTP server on 127.0.0.1 that hangs up after a command.

    python3 smtp_drop.py DIR WHEN

WHEN is the command after which it closes the connection (MAIL, RCPT, DATA), or
DATA_END (after the message's final "."). Every other command gets "250 ok" (DATA
"354 go"). It writes its port to DIR/port and serves until killed. For tests of what a
client says when a server goes away in the middle of a session.
"""
import os
import socket
import sys

folder, when = sys.argv[1], sys.argv[2].encode()
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(8)
with open(os.path.join(folder, "port.tmp"), "w") as f:
    f.write(str(server.getsockname()[1]))
os.rename(os.path.join(folder, "port.tmp"), os.path.join(folder, "port"))
while True:
    conn, _ = server.accept()
    conn.settimeout(10)
    conn.sendall(b"220 drop\r\n")
    lines = conn.makefile("rb")
    in_data = False
    try:
        for line in lines:
            upper = line.upper()
            if upper.startswith(when) or (when == b"DATA_END" and in_data and line == b".\r\n"):
                break
            if in_data:
                continue
            if upper.startswith(b"DATA"):
                conn.sendall(b"354 go\r\n")
                in_data = True
            else:
                conn.sendall(b"250 ok\r\n")
    except OSError:
        pass
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()
