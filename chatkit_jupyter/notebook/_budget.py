"""Time limits for the user's code that the notebook tools run (a ``__repr__``, a DataFrame's
``to_string``), so that one object cannot hang the kernel or the chat turn.

How a call is stopped depends on the thread it runs on:

- **The main thread** (ipykernel runs the chat turn on the kernel's main loop): a ``SIGALRM``
  timer (``signal.setitimer``) whose handler raises a private ``BaseException`` in the code
  that overran. It stops pure-Python loops, ``time.sleep`` and most blocking calls, and it fires
  again every ``REFIRE_S`` after the deadline, so a repr that swallows one exception (``except
  BaseException: pass`` in a loop) still gets stopped when the next one lands outside its
  ``try``; if it swallows ``ESCALATE_AFTER`` of them, a trace function raises at every line it
  runs next, which also reaches its ``except`` blocks. While a budget is open, ``SIGINT`` is caught too: outside a cell ipykernel ignores
  it, so before this a repr that never returned needed a kernel restart; now the kernel's
  interrupt button stops the inspection (``InspectionInterrupted``). The previous handlers and
  any timer already running (pytest-timeout uses one) are put back afterwards.
- **Any other thread** (marimo runs its kernels on threads, ipykernel subshells, a thread of the
  user's): signals cannot be used, so the call runs on a daemon worker thread; if it overruns,
  the caller gives up on it and ``PyThreadState_SetAsyncExc`` raises the same private exception
  in the worker, which stops a Python loop at once and a ``sleep`` when it wakes. At most
  ``MAX_ABANDONED`` abandoned workers may be alive; past that, no more of the user's code runs
  until they end (the preview says so) rather than piling up threads.

Neither can stop C code that never returns to the interpreter (a catastrophic regex, a huge
``str.join`` in one C call); that is the remaining limit.
"""

from __future__ import annotations

import contextvars
import ctypes
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, Final, TypeVar

T = TypeVar("T")

VALUE_BUDGET_S = 0.5
"""Time the user's code may take to preview one variable."""
CALL_BUDGET_S = 2.0
"""Time the user's code may take in one tool call, all variables together."""
REFIRE_S: Final = 0.05
"""After a deadline, the timer fires again this often until the call has stopped."""
ESCALATE_AFTER: Final = 2
"""Timer shots the code may swallow before every line it runs raises (see ``_trace_from``)."""
MAX_ABANDONED: Final = 8
"""Worker threads that overran and still run, after which no more user code is started."""


class OutOfTime(Exception):
    """The call did not finish within its budget (or the tool call's budget was spent)."""


class NotRun(Exception):
    """The call was not started: too many earlier calls that overran are still running."""


class Raised(Exception):
    """The call raised a ``BaseException`` that is not an ``Exception`` (``KeyboardInterrupt``,
    ``SystemExit``, ``GeneratorExit`` ...): contained here, so it cannot end the turn or the
    kernel's loop."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"{kind} raised")
        self.kind = kind
        """The exception's class name."""


class InspectionInterrupted(Exception):
    """The user interrupted the kernel while the tools were reading a variable."""

    def __init__(self) -> None:
        super().__init__(
            "Stopped by a kernel interrupt while reading the notebook's variables; "
            "ask again to retry."
        )


class _Stop(BaseException):
    # Raised into the user's code; a BaseException so `except Exception` in a repr lets it pass.
    pass


_abandoned: list[threading.Thread] = []
_local = threading.local()


def _signals_usable() -> bool:
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


class Budget:
    """A tool call's time budget: ``run`` one piece of the user's code at a time.

    Use as a context manager around the tool call; nested budgets on the same thread share the
    outer one's handlers and keep their own deadlines.

    Args:
        per_value: Seconds one ``run`` may take; ``VALUE_BUDGET_S`` if not given.
        total: Seconds all ``run`` calls together may take; ``CALL_BUDGET_S`` if not given.
    """

    def __init__(self, per_value: float | None = None, total: float | None = None) -> None:
        self.per_value = VALUE_BUDGET_S if per_value is None else per_value
        self.total = CALL_BUDGET_S if total is None else total
        self._end = 0.0
        self._deadline = 0.0
        self._armed = False
        self._interrupted = False
        self._signals = False
        self._saved: tuple[Any, Any, tuple[float, float], float] | None = None
        self._outer: Budget | None = None
        self._depth = 0
        self._alarms = 0
        self._trace: tuple[Any] | None = None

    # -- entering and leaving ----------------------------------------------------------------

    def __enter__(self) -> Budget:
        self._depth += 1
        if self._depth > 1:
            return self  # entered again by a helper the tool call passed it to
        self._end = time.monotonic() + self.total
        self._outer = getattr(_local, "budget", None)
        if self._outer is not None:
            self._end = min(self._end, self._outer._end)
        elif _signals_usable():
            self._install()
        _local.budget = self
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth:
            return
        self._armed = False
        _local.budget = self._outer
        if self._outer is None and self._signals:
            self._restore()
        if self._interrupted and self._outer is None and exc[0] is None:
            raise InspectionInterrupted

    def _install(self) -> None:
        alarm = signal.getsignal(signal.SIGALRM)
        interrupt = signal.getsignal(signal.SIGINT)
        if alarm is None:
            return  # a handler set outside Python: leave signals alone, use threads
        signal.signal(signal.SIGALRM, self._on_alarm)
        timer = signal.setitimer(signal.ITIMER_REAL, 0)
        if interrupt is not None:
            signal.signal(signal.SIGINT, self._on_interrupt)
        self._saved = (alarm, interrupt, timer, time.monotonic())
        self._signals = True

    def _restore(self) -> None:
        assert self._saved is not None
        alarm, interrupt, (delay, interval), since = self._saved
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, alarm)
        if interrupt is not None:
            signal.signal(signal.SIGINT, interrupt)
        if delay:
            # Someone else's timer was running: let it fire when it would have.
            remaining = max(delay - (time.monotonic() - since), 0.001)
            signal.setitimer(signal.ITIMER_REAL, remaining, interval)
        self._signals = False

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if not self._armed or time.monotonic() < self._deadline - 0.002:
            return
        self._alarms += 1
        if self._alarms > ESCALATE_AFTER and frame is not None:
            self._trace_from(frame)
        raise _Stop

    def _trace_from(self, frame: FrameType) -> None:
        # The code keeps catching what the timer raises (`except BaseException` around a sleep
        # in a loop): also raise at every line it runs next, and at every call it makes, which
        # reaches its `except` blocks too, so it cannot keep going.
        def stop(frame: FrameType, event: str, arg: object) -> Any:
            if not self._armed:
                return None
            if event == "exception":
                # Raising here would unset the trace function before the `except` runs.
                return stop
            raise _Stop

        if self._trace is None:
            self._trace = (sys.gettrace(),)
        sys.settrace(stop)
        current: FrameType | None = frame
        while current is not None and current.f_code is not _RUN_HERE:
            current.f_trace = stop
            current = current.f_back

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        self._interrupted = True
        if self._armed:
            raise _Stop

    # -- running the user's code -------------------------------------------------------------

    @property
    def spent(self) -> bool:
        """Whether the tool call's budget is used up."""
        return time.monotonic() >= self._end

    def run(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` within the budget.

        Raises:
            OutOfTime: It overran (or the call's budget was already spent).
            NotRun: Earlier calls that overran still run on their threads.
            InspectionInterrupted: The user interrupted the kernel.
            Exception: What ``fn`` raised; a ``BaseException`` from it (``KeyboardInterrupt``
                or ``SystemExit`` inside a repr) comes as ``Raised``.
        """
        root = self._root()
        if root._interrupted:
            raise InspectionInterrupted
        deadline = min(time.monotonic() + self.per_value, self._end)
        if deadline <= time.monotonic():
            raise OutOfTime
        if root._signals:
            return self._run_here(root, fn, deadline)
        return _run_on_worker(fn, deadline)

    def _root(self) -> Budget:
        budget = self
        while budget._outer is not None:
            budget = budget._outer
        return budget

    def _run_here(self, root: Budget, fn: Callable[[], T], deadline: float) -> T:
        previous = (root._armed, root._deadline)
        root._deadline = min(deadline, root._deadline) if previous[0] else deadline
        delay = max(root._deadline - time.monotonic(), 0.001)
        signal.setitimer(signal.ITIMER_REAL, delay, REFIRE_S)
        root._alarms = 0
        root._armed = True
        try:
            return fn()
        except _Stop:
            root._armed = previous[0]
            root._untrace()
            if root._interrupted:
                raise InspectionInterrupted from None
            raise OutOfTime from None
        except Exception:
            raise
        except BaseException as e:
            raise Raised(type(e).__name__) from None
        finally:
            # A signal may land between `fn` returning and here; `_armed` makes it a no-op.
            root._armed, root._deadline = previous
            root._untrace()
            if previous[0]:
                signal.setitimer(
                    signal.ITIMER_REAL, max(previous[1] - time.monotonic(), 0.001), REFIRE_S
                )
            else:
                signal.setitimer(signal.ITIMER_REAL, 0)

    def _untrace(self) -> None:
        if self._trace is not None:
            sys.settrace(self._trace[0])
            self._trace = None


_RUN_HERE = Budget._run_here.__code__


def _run_on_worker(fn: Callable[[], T], deadline: float) -> T:
    _abandoned[:] = [t for t in _abandoned if t.is_alive()]
    if len(_abandoned) >= MAX_ABANDONED:
        raise NotRun
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except _Stop:
            pass
        except BaseException as e:
            box["error"] = e

    # In the caller's context: the values it hides (``_redact.hiding``) are hidden there too.
    worker = threading.Thread(
        target=contextvars.copy_context().run,
        args=(work,),
        name="chatkit-jupyter preview",
        daemon=True,
    )
    worker.start()
    worker.join(max(deadline - time.monotonic(), 0))
    if worker.is_alive():
        _stop_thread(worker)
        _abandoned.append(worker)
        raise OutOfTime
    if "error" in box:
        error = box["error"]
        if isinstance(error, Exception):
            raise error
        raise Raised(type(error).__name__)
    return box["value"]  # type: ignore[no-any-return]


def _stop_thread(thread: threading.Thread) -> None:
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(_Stop)
        )
