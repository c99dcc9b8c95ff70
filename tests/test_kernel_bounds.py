"""In a real ipykernel: a chat turn whose tool meets a repr that never returns leaves the kernel
answering, and the kernel's interrupt stops the inspection (issue 10, item 3).

The turn runs as an asyncio task on the kernel's loop between cells, as the widget runs it;
there ipykernel ignores SIGINT, so before, such a repr needed a kernel restart.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .real_kernel import real_kernel, run

SETUP = """
import asyncio, json, time
from chatkit_jupyter import NotebookServer, SQLiteStore

class Forever:
    def __repr__(self):
        open({started!r}, "w").close()
        while True:
            time.sleep(0.05)

stuck = Forever()
x = 1
server = NotebookServer(store=SQLiteStore({db!r}))
done = {{}}

async def run_turn():
    body = json.dumps({{"type": "threads.create", "params": {{"input": {{
        "content": [{{"type": "input_text", "text": "/vars"}}],
        "attachments": [], "inference_options": {{}}}}}}}})
    result = await server.process(body, {{}})
    done["text"] = b"".join([frame async for frame in result]).decode()
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # One kernel for the module: starting one takes seconds. Each test starts a new turn.
    tmp_path = tmp_path_factory.mktemp("kernel")
    with real_kernel(tmp_path) as (manager, client):
        started = tmp_path / "repr-started"
        run(client, SETUP.format(db=str(tmp_path / "chat.db"), started=str(started)))
        yield manager, client, started


def turn_text(client: Any, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = run(client, "print(json.dumps(done.get('text', '')))", timeout=10)
        if json.loads(text):
            return str(json.loads(text))
        time.sleep(0.1)
    pytest.fail("the chat turn did not finish")


def test_a_repr_that_never_returns_costs_the_budget_only(kernel: Any) -> None:
    _, client, _ = kernel
    run(client, "done.clear(); task = asyncio.get_running_loop().create_task(run_turn())")
    start = time.monotonic()
    # The turn holds the kernel for at most the tool call's budget: the next cell runs.
    assert run(client, "print('alive')", timeout=15) == "alive\n"
    assert time.monotonic() - start < 10
    text = turn_text(client, timeout=15)
    assert "repr took too long" in text
    assert "variables in your notebook." in text


def test_the_kernels_interrupt_stops_the_inspection(kernel: Any) -> None:
    manager, client, started = kernel
    started.unlink(missing_ok=True)
    run(
        client,
        "import chatkit_jupyter.notebook._budget as budget\n"
        "budget.VALUE_BUDGET_S = budget.CALL_BUDGET_S = 600\n"
        "done.clear(); task = asyncio.get_running_loop().create_task(run_turn())",
    )
    deadline = time.monotonic() + 30
    while not started.exists():  # the turn is inside the repr
        assert time.monotonic() < deadline, "the repr never ran"
        time.sleep(0.05)
    manager.interrupt_kernel()
    text = turn_text(client, timeout=15)
    assert "Stopped by a kernel interrupt" in text
    assert run(client, "print('alive')", timeout=15) == "alive\n"
