"""The cheapest loopback bank: stdlib, HTTP/1.1 keep-alive, one write per answer.

Used where a benchmark must measure the harness and not the server (the research's Tavern
figures were taken against a server of this kind). `python -m bench.ping_server PORT`
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_BODY = b'{"status": "ok", "n": 1}'
_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(_BODY)).encode()
    + b"\r\n\r\n"
    + _BODY
)


class _Ping(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else keep-alive clients stall ~40 ms on delayed ACKs

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/" or self.path.startswith("/ping"):
            self.wfile.write(_ANSWER)
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), _Ping).serve_forever()
