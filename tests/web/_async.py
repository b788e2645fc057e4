"""Run a coroutine function to completion in a thread of its own (the browser tests keep an
event loop running in the main thread, where `asyncio.run` is not allowed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`factory()`'s result, run by `asyncio.run` in a new thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()
