"""A fast, small threaded HTTP/1.1 server for the emulator (and nothing else).

Why not a stock ``BaseHTTPRequestHandler``: on HTTP/1.1 keep-alive it writes the header
block and the body separately, and with Nagle on, the client's delayed ACK stalls every
call by ~44 ms (the SDK's HTTP/1.1 client meets Nagle's algorithm and delayed ACKs). Here Nagle is off and each reply goes out in one write.
The listen backlog is raised for many concurrent clients; handler threads are daemons;
``stop()`` also closes kept-alive connections so no client is served after it.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


#: (method, target, lower-cased headers -> values, body) -> Reply
App = Callable[[str, str, Mapping[str, list[str]], bytes], Reply]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "DataWorksEmulator/1.0"
    sys_version = ""
    server: EmulatorHTTPServer

    def do_POST(self) -> None:
        try:
            body = self._read_body()
        except ValueError as e:
            self.close_connection = True
            self._send(Reply(400, _error("InvalidRequest", str(e))))
            return
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        try:
            reply = self.server.app(self.command, self.path, headers, body)
        except Exception as e:  # never drop the connection without an answer
            reply = Reply(500, _error("InternalError", f"the emulator failed: {type(e).__name__}"))
        self._send(reply)

    do_GET = do_PUT = do_DELETE = do_POST

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY_BYTES:
            raise ValueError(f"Content-Length {length} out of range")
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply) -> None:
        try:
            reason = HTTPStatus(reply.status).phrase
        except ValueError:
            reason = ""
        content_type = reply.headers.get("Content-Type", "application/json;charset=utf-8")
        lines = [f"HTTP/1.1 {reply.status} {reason}", f"Content-Type: {content_type}",
                 f"Content-Length: {len(reply.body)}"]
        lines += [f"{k}: {v}" for k, v in reply.headers.items() if k != "Content-Type"]
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + reply.body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests make thousands of calls
        pass


def _error(code: str, message: str) -> bytes:
    return json.dumps({"Code": code, "Message": message}).encode()


class EmulatorHTTPServer(ThreadingHTTPServer):
    """Serves ``app`` on a background thread between ``start()`` and ``stop()``."""

    daemon_threads = True
    request_queue_size = 512
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App):
        super().__init__(address, _Handler)
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"emulator-{self.server_address[1]}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        with self._open_lock:
            for sock in self._open:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def process_request(self, request: socket.socket, client_address: object) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)
