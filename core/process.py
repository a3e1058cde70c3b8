"""How the long-running processes (the worker, the API) run Python: on uvloop's event loop,
with their heap settled once they are ready.

uvloop (libuv, in C; the API already had it through `uvicorn[standard]`): the worker's loop
hands each local activity to a thread and takes its result back, and polls the SDK's core for
every activation — work the plain asyncio loop does in Python.

The heap: once a process is ready, what it holds (modules, models, compiled statements, the
SDK's protobuf classes — some 200,000 objects in the worker) stays for its whole life. The cyclic
collector went on scanning all of it: over 420 operations of the bench at 20 clients,
`gc.callbacks` counted 0.41 s collecting in the worker and 0.26 s in the API (about 1 and 0.6 ms
an operation), one full collection alone 0.13 s. Frozen (`gc.freeze`), those objects are no
longer scanned; the young generation is collected every GEN0_THRESHOLD allocations instead of 700
(an action allocates tens of thousands of short-lived objects, most freed by their reference
count): 0.06 s for the worker's 420 operations. Cycles are still collected, a little later.
"""

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any

import uvloop

GEN0_THRESHOLD = 20_000  # allocations between young collections (Python's default: 700)


def settle_heap() -> None:
    """Freeze what the ready process holds out of the cyclic collector, and collect less often."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run a process's main coroutine on uvloop's event loop."""
    uvloop.run(main)


def event_loop_name() -> str:
    """The running loop's implementation, for the start-up log line (`uvloop` expected)."""
    return type(asyncio.get_running_loop()).__module__.split(".")[0]
