"""Hostile objects: inspection is bounded in time and size and runs nothing of an unknown object
but its ``__repr__`` (issue 10, item 3).

Every case goes through ``collect_variables`` and ``describe_variable``, on the main thread
(where a ``SIGALRM`` timer stops the repr) and on a worker thread (where the repr runs on a
thread of its own and is abandoned). The budgets are shortened by the ``fast`` fixture, so a
repr that would sleep for seconds costs a tenth of one here.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

from chatkit_jupyter import notebook_tools
from chatkit_jupyter.notebook import REDACTED, collect_variables, describe_variable

VALUE_S = 0.1
CALL_S = 0.5
# What a bounded call may take beyond its budget: a loaded 2-core CI machine, thread start-up.
SLACK_S = 0.6
LONG_S = 2.0  # how long a hostile repr would take if nothing stopped it
TOO_LONG = "<repr took too long>"
SECRET = "sk-proj-abcdefghijklmnop0123456789"


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chatkit_jupyter.notebook._budget.VALUE_BUDGET_S", VALUE_S, raising=False)
    monkeypatch.setattr("chatkit_jupyter.notebook._budget.CALL_BUDGET_S", CALL_S, raising=False)
    # Each test starts with no abandoned preview threads of earlier tests (sleepers live on).
    monkeypatch.setattr("chatkit_jupyter.notebook._budget._abandoned", [], raising=False)


def contained(fn: Callable[[], Any]) -> Any:
    # A BaseException that escapes would end pytest itself (KeyboardInterrupt): fail instead.
    try:
        return fn()
    except BaseException as e:
        pytest.fail(f"escaped the inspection: {type(e).__name__}: {e}")


def on_thread(fn: Callable[[], Any]) -> Any:
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:
            box["error"] = e

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(LONG_S + 2)
    assert not worker.is_alive(), "the inspection did not return"
    if "error" in box:
        pytest.fail(f"escaped the inspection: {type(box['error']).__name__}: {box['error']}")
    return box["value"]


THREADS = pytest.mark.parametrize("where", ["main thread", "worker thread"])


def run(where: str, fn: Callable[[], Any]) -> Any:
    return contained(fn) if where == "main thread" else on_thread(fn)


# -- the corpus: slow and huge ------------------------------------------------------------------


class Sleeper:
    def __repr__(self) -> str:
        time.sleep(LONG_S)
        return "Sleeper()"


class Spinner:
    def __repr__(self) -> str:
        end = time.monotonic() + LONG_S
        while time.monotonic() < end:
            pass
        return "Spinner()"


class Swallower:
    """Catches everything, also what is raised to stop it, and keeps going."""

    def __repr__(self) -> str:
        end = time.monotonic() + LONG_S
        n = 0
        while time.monotonic() < end:
            try:
                n += 1
            except BaseException:
                pass
        return "Swallower()"


class SleepySwallower:
    """Sleeps in a loop and swallows everything raised into its sleep."""

    def __repr__(self) -> str:
        end = time.monotonic() + LONG_S
        while time.monotonic() < end:
            try:
                time.sleep(0.01)
            except BaseException:
                pass
        return "SleepySwallower()"


class NestedSwallower:
    """Swallows inside its except block as well."""

    def __repr__(self) -> str:
        end = time.monotonic() + LONG_S
        while time.monotonic() < end:
            try:
                time.sleep(0.01)
            except BaseException:
                try:
                    time.sleep(0.01)
                except BaseException:
                    pass
        return "NestedSwallower()"


class Grower:
    def __repr__(self) -> str:
        text = ""
        end = time.monotonic() + LONG_S
        while time.monotonic() < end:
            text += "x" * 1000
        return text


class Huge:
    def __repr__(self) -> str:
        return "x" * 50_000_000


class HugeSecret:
    def __repr__(self) -> str:
        return f"HugeSecret(token={SECRET!r}, pad='{'y' * 50_000_000}')"


class Recursive:
    def __repr__(self) -> str:
        return repr(self)


class NotAString:
    def __repr__(self) -> Any:
        return 42


class SneakyStr(str):
    def __getitem__(self, key: Any) -> Any:
        raise AssertionError("a method of the repr's own str subclass ran")

    def split(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a method of the repr's own str subclass ran")


class ReturnsSneakyStr:
    def __repr__(self) -> str:
        return SneakyStr("ReturnsSneakyStr()")


def self_containing() -> list[Any]:
    items: list[Any] = [1]
    items.append(items)
    return items


def deeply_nested() -> list[Any]:
    root: list[Any] = []
    inner = root
    for _ in range(100_000):
        inner.append([])
        inner = inner[0]
    return root


SLOW = {
    "sleeps": Sleeper,
    "spins": Spinner,
    "swallows every exception": Swallower,
    "sleeps and swallows every exception": SleepySwallower,
    "sleeps and swallows in its except block too": NestedSwallower,
    "grows its text": Grower,
    "sleeps inside a list": lambda: [1, Sleeper()],
    "sleeps as a dict value": lambda: {"a": Sleeper()},
    "sleeps inside a tuple": lambda: (Spinner(),),
    "sleeps in a DataFrame cell": lambda: pd.DataFrame({"a": [Sleeper()]}),
    "sleeps in a Series": lambda: pd.Series([Spinner()], name="s"),
    "sleeps in a numpy object array": lambda: np.array([Sleeper(), 1], dtype=object),
}


@THREADS
@pytest.mark.parametrize("case", list(SLOW))
def test_a_slow_repr_costs_at_most_the_budget(case: str, where: str) -> None:
    namespace = {"slow": SLOW[case](), "after": 42}

    def inspect() -> tuple[Any, Any]:
        return collect_variables(namespace), describe_variable(namespace, "slow")

    start = time.monotonic()
    rows, detail = run(where, inspect)
    took = time.monotonic() - start
    assert took < 2 * VALUE_S + SLACK_S, f"took {took:.2f} s"
    shown = {row["name"]: row for row in rows}
    assert shown["after"]["repr"] == "42"
    # A DataFrame, Series or array row shows columns or dtype: its cells' reprs do not run.
    known = case.startswith(("sleeps in a DataFrame", "sleeps in a Series", "sleeps in a numpy"))
    assert shown["slow"]["repr"] == TOO_LONG or known
    assert TOO_LONG in json.dumps(detail)


HUGE = {
    "50 MB repr": Huge,
    "50 MB repr in a list": lambda: [Huge()],
    "50 MB repr with a secret": HugeSecret,
    "50 MB string": lambda: "z" * 50_000_000,
    "50 MB bytes": lambda: b"\x00" * 50_000_000,
    "million-item list": lambda: list(range(1_000_000)),
    "recursive repr": Recursive,
    "list containing itself": self_containing,
    "100000 nested lists": deeply_nested,
    "repr returns an int": NotAString,
    "repr returns a str subclass": ReturnsSneakyStr,
}


@THREADS
@pytest.mark.parametrize("case", list(HUGE))
def test_a_huge_or_broken_repr_is_cut_and_bounded(case: str, where: str) -> None:
    namespace = {"big": HUGE[case](), "after": 42}

    def inspect() -> tuple[Any, Any]:
        return collect_variables(namespace), describe_variable(namespace, "big")

    start = time.monotonic()
    rows, detail = run(where, inspect)
    # Building 50 MB is one C call that no signal stops (about 0.3 s here, twice): bounded by
    # the default budget of 0.5 s per value rather than the shortened one.
    assert time.monotonic() - start < 2 * 0.5 + SLACK_S
    shown = {row["name"]: row for row in rows}
    assert shown["after"]["repr"] == "42"
    assert len(shown["big"]["repr"]) <= 80
    assert len(detail.get("repr", "")) <= 2100
    assert SECRET not in json.dumps([rows, detail])


# -- the corpus: a repr that raises what is not an Exception ------------------------------------


class GoodbyeError(BaseException):
    pass


RAISED = {
    "KeyboardInterrupt": KeyboardInterrupt,
    "SystemExit": SystemExit,
    "GeneratorExit": GeneratorExit,
    "BaseException": BaseException,
    "BaseException subclass": GoodbyeError,
    "StopIteration": StopIteration,
    "MemoryError": MemoryError,
    "RecursionError": RecursionError,
}


def raiser(error: type[BaseException]) -> object:
    class Raiser:
        def __repr__(self) -> str:
            raise error("from a repr")

    return Raiser()


@THREADS
@pytest.mark.parametrize("case", list(RAISED))
def test_what_a_repr_raises_is_contained(case: str, where: str) -> None:
    namespace = {"bad": raiser(RAISED[case]), "inside": [raiser(RAISED[case])], "after": 42}

    def inspect() -> tuple[Any, Any, Any]:
        return (
            collect_variables(namespace),
            describe_variable(namespace, "bad"),
            describe_variable(namespace, "inside"),
        )

    rows, bad, inside = run(where, inspect)
    shown = {row["name"]: row for row in rows}
    assert shown["after"]["repr"] == "42"
    assert shown["bad"]["repr"].startswith("<")
    assert bad["repr"].startswith("<")
    assert inside["repr"].startswith("<") or inside["repr"].startswith("[<")


# -- the corpus: nothing but __repr__ runs ----------------------------------------------------

touched: list[str] = []


class Touchy:
    """Records every special method and attribute the inspection uses besides ``__repr__``."""

    def __repr__(self) -> str:
        return "Touchy()"

    def __getattr__(self, name: str) -> Any:
        touched.append(f"__getattr__({name!r})")
        raise AttributeError(name)

    def __len__(self) -> int:
        touched.append("__len__")
        return 3

    def __iter__(self) -> Iterator[Any]:
        touched.append("__iter__")
        return iter([1, 2, 3])

    def __getitem__(self, key: Any) -> Any:
        touched.append("__getitem__")
        return 1

    def __contains__(self, item: Any) -> bool:
        touched.append("__contains__")
        return False

    def __bool__(self) -> bool:
        touched.append("__bool__")
        return True

    def __str__(self) -> str:
        touched.append("__str__")
        return "Touchy"

    def __format__(self, spec: str) -> str:
        touched.append("__format__")
        return "Touchy"

    def __eq__(self, other: object) -> bool:
        touched.append("__eq__")
        return False

    def __hash__(self) -> int:
        touched.append("__hash__")
        return 1

    def __lt__(self, other: object) -> bool:
        touched.append("__lt__")
        return False

    def __dir__(self) -> list[str]:
        touched.append("__dir__")
        return []

    def __sizeof__(self) -> int:
        touched.append("__sizeof__")
        return 0

    @property
    def shape(self) -> tuple[int, ...]:
        touched.append("shape")
        return (1, 2)

    @property
    def dtype(self) -> str:
        touched.append("dtype")
        return "float64"

    @property
    def columns(self) -> list[str]:
        touched.append("columns")
        return ["a"]

    @property
    def name(self) -> str:
        touched.append("name")
        return "n"

    @property
    def ndim(self) -> int:
        touched.append("ndim")
        return 1


class HangingLen(Touchy):
    def __len__(self) -> int:
        touched.append("__len__")
        time.sleep(LONG_S)
        return 3


class Watched(Touchy):
    """Also records plain attribute reads, except those its own ``__repr__`` makes."""

    _in_repr = False

    def __repr__(self) -> str:
        object.__setattr__(self, "_in_repr", True)
        try:
            return "Watched()"
        finally:
            object.__setattr__(self, "_in_repr", False)

    def __getattribute__(self, name: str) -> Any:
        if not object.__getattribute__(self, "_in_repr") and name != "__repr__":
            touched.append(f"__getattribute__({name!r})")
        return object.__getattribute__(self, name)


class Impostor(Touchy):
    """Claims to be a ``str`` through ``__class__``, as mocks do."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        touched.append("__class__")
        return str


class RaisingGetattr:
    def __repr__(self) -> str:
        return "RaisingGetattr()"

    def __getattr__(self, name: str) -> Any:
        raise SystemExit(f"looked up {name}")


class TouchyMapping(Mapping[str, Any]):
    def __repr__(self) -> str:
        return "TouchyMapping()"

    def __getitem__(self, key: str) -> Any:
        touched.append("__getitem__")
        return 1

    def __iter__(self) -> Iterator[str]:
        touched.append("__iter__")
        return iter(["api_key"])

    def __len__(self) -> int:
        touched.append("__len__")
        return 1


class TouchyList(list[Any]):
    def __repr__(self) -> str:
        return "TouchyList()"

    def __len__(self) -> int:
        touched.append("__len__")
        return 0

    def __iter__(self) -> Iterator[Any]:
        touched.append("__iter__")
        return iter([])

    def __getitem__(self, key: Any) -> Any:
        touched.append("__getitem__")
        return None


class TouchyDict(dict[str, Any]):
    def __repr__(self) -> str:
        return "TouchyDict()"

    def __getitem__(self, key: str) -> Any:
        touched.append("__getitem__")
        return None

    def __iter__(self) -> Iterator[str]:
        touched.append("__iter__")
        return iter([])


def named(name: str, base: type = Touchy, module: str | None = None) -> object:
    # reprlib picks its method by the type's name: a class called `list` is not a list.
    cls = type(name, (base,), {"__module__": module or __name__})
    return cls()


@dataclasses.dataclass
class Record:
    label: str

    @property
    def total(self) -> int:
        touched.append("total")
        return 0


def touchy_set() -> set[Any]:
    items = {Touchy(), Watched()}
    return items


TOUCHY = {
    "__getattr__, __len__, properties ...": Touchy,
    "__len__ that hangs": HangingLen,
    "__getattribute__": Watched,
    "__class__ property": Impostor,
    "__getattr__ raising SystemExit": RaisingGetattr,
    "a Mapping of its own": TouchyMapping,
    "a list subclass": TouchyList,
    "a dict subclass": TouchyDict,
    "a class named list": lambda: named("list"),
    "a class named dict": lambda: named("dict"),
    "a class named set": lambda: named("set"),
    "a class named DataFrame from 'pandas'": lambda: named("DataFrame", module="pandas.core.frame"),
    "a class named ndarray from 'numpy'": lambda: named("ndarray", module="numpy"),
    "a dataclass with a property": lambda: Record("r"),
    "inside a list": lambda: [Touchy(), Watched()],
    "inside a tuple": lambda: (Touchy(),),
    "as a dict value": lambda: {"a": Touchy()},
    "as a dict key": lambda: {Touchy(): 1},
    "inside a set": touchy_set,
    "inside a deque": lambda: collections.deque([Touchy()]),
    "inside an OrderedDict": lambda: collections.OrderedDict(a=Watched()),
    "inside a ChainMap": lambda: collections.ChainMap(TouchyMapping()),
}


@THREADS
@pytest.mark.parametrize("case", list(TOUCHY))
def test_only_repr_runs_for_unknown_types(case: str, where: str) -> None:
    value = TOUCHY[case]()
    namespace = {"thing": value}
    touched.clear()

    def inspect() -> tuple[Any, Any]:
        return collect_variables(namespace), describe_variable(namespace, "thing")

    (row,), detail = run(where, inspect)
    assert touched == []
    if type(value).__module__ not in {"builtins", "collections"}:
        assert "length" not in row  # a builtin container's own length is fine
    assert "shape" not in row
    assert row["repr"] not in {TOO_LONG, ""}
    assert "dtype" not in detail


async def test_list_variables_previews_only_the_rows_it_returns() -> None:
    reprs: list[int] = []

    class Counted:
        def __init__(self, n: int) -> None:
            self.n = n

        def __repr__(self) -> str:
            reprs.append(self.n)
            return f"Counted({self.n})"

    namespace = {f"v{i:04}": Counted(i) for i in range(250)}
    (list_variables, *_) = notebook_tools(namespace)
    raw = await list_variables.on_invoke_tool(tool_context("list_variables"), "{}")
    listing = json.loads(raw)
    assert listing["count"] == 250
    assert len(listing["variables"]) == 200
    assert sorted(reprs) == list(range(200))


def tool_context(name: str, arguments: str = "{}") -> Any:
    from agents.tool_context import ToolContext

    return ToolContext(context=None, tool_name=name, tool_call_id="c", tool_arguments=arguments)


async def test_a_tool_call_has_one_budget_for_all_variables() -> None:
    namespace: dict[str, Any] = {f"slow{i}": Sleeper() for i in range(20)}
    namespace["zz_last"] = Record("last")
    (list_variables, *_) = notebook_tools(namespace)
    start = time.monotonic()
    listing = json.loads(await list_variables.on_invoke_tool(tool_context("list_variables"), "{}"))
    assert time.monotonic() - start < CALL_S + SLACK_S
    rows = {row["name"]: row for row in listing["variables"]}
    assert len(rows) == 21
    assert all(row["type"] for row in rows.values())
    assert rows["slow0"]["repr"] == TOO_LONG
    # Once the call's budget is spent, the rest are not previewed, and say so.
    assert rows["zz_last"]["repr"].startswith("<not previewed")


def test_secrets_stay_hidden_for_hostile_objects() -> None:
    namespace = {"api_key": Sleeper(), "token": Touchy(), "note": [SECRET, Touchy()]}
    touched.clear()
    start = time.monotonic()
    rows = {row["name"]: row for row in contained(lambda: collect_variables(namespace))}
    assert time.monotonic() - start < SLACK_S
    assert rows["api_key"]["repr"] == REDACTED
    assert rows["token"]["repr"] == REDACTED
    assert SECRET not in json.dumps(rows)
    assert touched == []


# -- interrupts, signals and threads ----------------------------------------------------------


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="POSIX signals")
def test_a_kernel_interrupt_stops_the_inspection(monkeypatch: pytest.MonkeyPatch) -> None:
    # ipykernel ignores SIGINT between cells, where the chat turn runs; before, an interrupt
    # could not stop a repr that never returned.
    monkeypatch.setattr("chatkit_jupyter.notebook._budget.VALUE_BUDGET_S", 30.0, raising=False)
    monkeypatch.setattr("chatkit_jupyter.notebook._budget.CALL_BUDGET_S", 30.0, raising=False)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        start = time.monotonic()
        with pytest.raises(Exception, match="kernel interrupt") as e:
            collect_variables({"slow": Sleeper()})
        assert time.monotonic() - start < 0.2 + SLACK_S
        assert type(e.value).__name__ == "InspectionInterrupted"
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="POSIX signals")
def test_someone_elses_timer_and_handlers_are_put_back() -> None:
    fired: list[int] = []

    def on_alarm(signum: int, frame: Any) -> None:
        fired.append(signum)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.4)
        collect_variables({"slow": Sleeper(), "x": 1})
        assert signal.getsignal(signal.SIGALRM) is on_alarm
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < remaining < 0.4
        time.sleep(remaining + 0.05)
        assert fired == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_an_abandoned_loop_on_a_worker_thread_is_stopped() -> None:
    before = {t for t in threading.enumerate() if t.name == "chatkit-jupyter preview"}
    (row,) = on_thread(lambda: collect_variables({"spins": Spinner()}))
    assert row["repr"] == TOO_LONG
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        left = {t for t in threading.enumerate() if t.name == "chatkit-jupyter preview"} - before
        if not any(t.is_alive() for t in left):
            break
        time.sleep(0.02)
    else:
        pytest.fail("the spinning repr kept running on its thread")


def test_off_the_main_thread_sleepers_that_live_on_stop_new_previews(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A sleeping repr cannot be stopped on a thread; past a few of them no more user code
    # starts, but builtin values are still shown (nothing of the user's runs for them).
    monkeypatch.setattr("chatkit_jupyter.notebook._budget.VALUE_BUDGET_S", 0.05, raising=False)
    monkeypatch.setattr("chatkit_jupyter.notebook._budget.CALL_BUDGET_S", 2.0, raising=False)
    namespace: dict[str, Any] = {f"slow{i}": Sleeper() for i in range(12)}
    namespace.update(n=7, s="text", z=[1, 2])
    rows = {row["name"]: row for row in on_thread(lambda: collect_variables(namespace))}
    assert rows["n"]["repr"] == "7"
    assert rows["s"]["repr"] == "'text'"
    previews = [rows[f"slow{i}"]["repr"] for i in range(12)]
    assert previews.count(TOO_LONG) >= 1
    assert all(p == TOO_LONG or p.startswith("<not previewed") for p in previews)
    assert any("still running" in p for p in previews)
