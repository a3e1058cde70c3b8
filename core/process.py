"""How the long-running processes (the worker, the API) run Python: on uvloop's event loop,
with their heap settled once they are ready.

uvloop (libuv, in C; the API already had it through `uvicorn[standard]`): the worker's loop
hands each local activity to a thread and takes its result back, and polls the SDK's core for
every activation — work the plain asyncio loop does in Python.

The heap: once a process is ready, what it holds (modules, models, compiled statements, the
SDK's protobuf classes — some 200,000 objects in the worker) stays for its whole life, and every
full collection scanned all of it again (0.13 s each in the worker). Frozen (`gc.freeze`), those
objects are no longer scanned: over 420 operations of the bench at 20 clients, `gc.callbacks`
counted 0.26 → 0.09 s collecting in the worker and 0.26 → 0.06 s in the API. The thresholds stay
Python's: a young generation collected every 20,000 allocations instead of 700 saved a little
more time but let evicted workflows' cycles wait for a full collection far longer (the worker's
memory at 3,000 open pathways 460 → 533 MiB).
"""

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any

import uvloop


def settle_heap() -> None:
    """Freeze what the ready process holds out of the cyclic collector (garbage collected first:
    frozen objects are never freed)."""
    gc.collect()
    gc.freeze()


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run a process's main coroutine on uvloop's event loop."""
    uvloop.run(main)


def event_loop_name() -> str:
    """The running loop's implementation, for the start-up log line (`uvloop` expected)."""
    return type(asyncio.get_running_loop()).__module__.split(".")[0]
