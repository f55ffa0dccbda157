"""The grader's side of a kernel's sockets, bounded whatever the kernel sends. Each kernel client has a ZMQ context
of its own (`bounded_context`), and `start_bounded` makes its sockets with a cap on the size of one message and on
how many of them wait unread:

- outputs (iopub): messages up to MAX_MESSAGE, OUTPUT_QUEUE of them queued;
- replies (shell, stdin: the clean room's values and calls): up to MAX_MESSAGE, REPLY_QUEUE queued;
- control and heartbeat: up to SMALL_MESSAGE, REPLY_QUEUE queued.

A larger message drops the connection (it is made again, the message lost). When a queue is full, ZMQ stops
reading that socket: the rest waits on the kernel's side, in the kernel's own (capped) memory, and ZMQ drops it
there once a thousand messages wait. So the grader holds at most about 4 x 32 + 2 x 2 x 32 = 256 MB of one
kernel's messages while each is in one part; ZMQ applies the size cap to each part and counts a message of many
parts as one, so such messages are not bounded here (INSTRUCTORS.md says so). run.py keeps at most
Limits.output_bytes of each cell's outputs.
"""

from __future__ import annotations

import contextlib
from typing import Any

import zmq
import zmq.asyncio

MAX_MESSAGE = 32 * 2**20  # bytes, each part of a message (cleanroom.LIMITS keeps the clean room's values below it)
SMALL_MESSAGE = 2**20  # bytes: control and heartbeat carry a few hundred
OUTPUT_QUEUE = 4  # messages
REPLY_QUEUE = 2  # messages: one reply per request


def bounded_context() -> zmq.asyncio.Context:
    """A context of its own for one kernel client, whose sockets refuse any message above MAX_MESSAGE."""
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
    return context


def _bound(context: Any, size: int, queue: int) -> None:
    context.setsockopt(zmq.MAXMSGSIZE, size)
    context.setsockopt(zmq.RCVHWM, queue)


def start_bounded(kc: Any) -> None:
    """Make a client's sockets with the bounds above, then start its channels. ZMQ reads a socket's options from
    its context when the socket is made, and jupyter_client makes a channel's socket when it is first used."""
    context = kc.context
    _bound(context, MAX_MESSAGE, OUTPUT_QUEUE)
    kc.iopub_channel  # noqa: B018 - made now
    _bound(context, MAX_MESSAGE, REPLY_QUEUE)
    kc.shell_channel  # noqa: B018
    kc.stdin_channel  # noqa: B018
    _bound(context, SMALL_MESSAGE, REPLY_QUEUE)  # control and heartbeat, made by start_channels
    kc.start_channels()


def close_context(kc: Any) -> None:
    """Stop a client's channels and close its own context."""
    with contextlib.suppress(Exception):
        kc.stop_channels()
    with contextlib.suppress(Exception):
        kc.context.destroy(linger=0)
