"""API Gateway's WebSocket size quotas, enforced on the raw frames.

AWS: "WebSocket frame size 32 KB; message payload size 128 KB. A message larger than
32 KB must be split into multiple frames, each 32 KB or smaller. If a larger message
(or larger frame size) is received, the connection is closed with code 1009."

aiohttp only knows a message-size limit, applied after reassembly, so `FrameLimiter`
reads the frame headers of the incoming byte stream itself (skipping payloads, no copy)
and fails the connection with 1009 the moment a data frame or the message it belongs to
is over its quota — before the oversized payload is buffered or any handler is invoked.
"""

from __future__ import annotations

from typing import Any

from aiohttp import WSCloseCode, web
from aiohttp.http_websocket import WebSocketError

_OP_CONTINUATION = 0x0
_DATA_OPCODES = frozenset({0x0, 0x1, 0x2})


class FrameLimiter:
    """Sits between aiohttp's protocol and its WebSocket parser (same `feed_data` contract)."""

    def __init__(self, inner: Any, queue: Any, *, max_frame_bytes: int, max_message_bytes: int) -> None:
        self._inner = inner
        self._queue = queue
        self._max_frame = max_frame_bytes
        self._max_message = max_message_bytes
        self._header = bytearray()
        self._skip = 0
        self._message_len = 0
        self._failed = False

    def feed_eof(self) -> None:
        self._inner.feed_eof()

    def feed_data(self, data: bytes | bytearray | memoryview) -> tuple[bool, bytes]:
        chunk = bytes(data)
        if self._failed:
            return True, chunk
        violation = self._scan(chunk)
        if violation is None:
            result: tuple[bool, bytes] = self._inner.feed_data(chunk)
            return result
        offset, error = violation
        if offset > 0:
            # Frames before the oversized one are delivered, as they were on the wire.
            eof, tail = self._inner.feed_data(chunk[:offset])
            if eof:
                return eof, tail
        self._failed = True
        self._queue.set_exception(error)
        return True, b""

    def _header_size(self) -> int:
        if len(self._header) < 2:
            return 2
        flag = self._header[1] & 0x7F
        extended = 2 if flag == 126 else 8 if flag == 127 else 0
        mask = 4 if self._header[1] & 0x80 else 0
        return 2 + extended + mask

    def _scan(self, data: bytes) -> tuple[int, WebSocketError] | None:
        pos, end = 0, len(data)
        while pos < end:
            if self._skip:
                step = min(self._skip, end - pos)
                self._skip -= step
                pos += step
                continue
            header_start = pos - len(self._header)
            while pos < end and len(self._header) < self._header_size():
                take = min(self._header_size() - len(self._header), end - pos)
                self._header += data[pos : pos + take]
                pos += take
            if len(self._header) < self._header_size():
                return None
            first, flag = self._header[0], self._header[1] & 0x7F
            if flag == 126:
                length = int.from_bytes(self._header[2:4], "big")
            elif flag == 127:
                length = int.from_bytes(self._header[2:10], "big")
            else:
                length = flag
            self._header.clear()
            opcode = first & 0x0F
            if opcode in _DATA_OPCODES:
                if length > self._max_frame:
                    return max(header_start, 0), WebSocketError(
                        WSCloseCode.MESSAGE_TOO_BIG,
                        f"Frame of {length} bytes exceeds the {self._max_frame}-byte frame quota",
                    )
                if opcode != _OP_CONTINUATION:
                    self._message_len = 0
                self._message_len += length
                if self._message_len > self._max_message:
                    return max(header_start, 0), WebSocketError(
                        WSCloseCode.MESSAGE_TOO_BIG,
                        f"Message of more than {self._max_message} bytes exceeds the message quota",
                    )
                if first & 0x80:
                    self._message_len = 0
            self._skip = length
        return None


class LimitedWebSocketResponse(web.WebSocketResponse):
    """A server WebSocket whose incoming frames pass through a `FrameLimiter`."""

    def __init__(self, *, max_frame_bytes: int, max_message_bytes: int, **kwargs: Any) -> None:
        # aiohttp's own limit stays as a backstop; it rejects sizes >= max_msg_size.
        super().__init__(max_msg_size=max_message_bytes + 1, **kwargs)
        self._max_frame_bytes = max_frame_bytes
        self._max_message_bytes = max_message_bytes

    def _post_start(self, request: web.BaseRequest, protocol: str | None, writer: Any) -> None:
        super()._post_start(request, protocol, writer)
        handler: Any = request.protocol
        handler._payload_parser = FrameLimiter(
            handler._payload_parser,
            self._reader,
            max_frame_bytes=self._max_frame_bytes,
            max_message_bytes=self._max_message_bytes,
        )
