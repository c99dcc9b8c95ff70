"""A real ipykernel for tests: this checkout on its path, no model configured."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jupyter_client.manager import KernelManager

REPO = pathlib.Path(__file__).parents[1]


@contextmanager
def real_kernel(cwd: pathlib.Path) -> Iterator[tuple[KernelManager, Any]]:
    """A started kernel and its client, shut down afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(cwd))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client: Any, code: str, timeout: float = 30) -> str:
    """Execute ``code``; its printed output. Fails if the kernel does not answer in time."""
    outputs: list[dict[str, Any]] = []
    reply = client.execute_interactive(code, timeout=timeout, output_hook=outputs.append)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
