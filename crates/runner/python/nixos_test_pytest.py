"""Fixture mode for NixOS tests: run a testScript's module-level ``test_*``
functions with real pytest, each parameter resolved to the machine of that
name (plus ``driver``, ``machines``, ``vlans`` and ``vlan<N>``).

The driver ``exec``s the script as it always does, so module-level code runs
first and a script without tests behaves exactly as before. A call appended
to the script, ``nixos_test_pytest.main(globals(), "<script path>")``, then:

1. finds the module-level ``test_*`` functions (and ``@pytest.fixture``
   functions) with ``ast``; without tests it returns at once;
2. compiles them again with pytest's assertion rewriting, into the script's
   own namespace, so failures show the values of both sides;
3. runs ``pytest.main`` on a generated module holding them, with a plugin
   that turns machines into session-scoped fixtures (started when a test
   first needs them) and reports JSON-line events.

Selection comes from ``NIXOS_TEST_PYTEST_ARGS`` (``-k expr``, ``-x``,
``--junitxml=...``) or from ``NIXOS_TEST_SELECT`` (comma-separated test
names). Events go to the file named by ``NIXOS_TEST_EVENTS``, one JSON
object per line. Only the standard library and pytest are used.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import sys
import tempfile
import time
import types
from typing import Any

try:
    import pytest
except ImportError as e:  # pragma: no cover - depends on the driver's Python
    raise ImportError(
        "nixos_test_pytest: pytest is not importable by the driver's Python. "
        "Add it to the test: `extraPythonPackages = p: [ p.pytest ];` "
        "(the usePytestFixtures module of nixos-test-tools does this)."
    ) from e

__all__ = ["main", "test_names"]

# Filled by ``main`` for the generated module to import.
_collected: dict[str, Any] = {}


def _is_test(name: str) -> bool:
    """pytest's collection rule (a ``test`` prefix), as the linter's."""
    return name.startswith("test")


def _is_fixture_decorator(d: ast.expr) -> bool:
    """``@fixture``, ``@pytest.fixture(scope=...)``: a name in the callee
    holds ``fixture``; the arguments do not count (as in the linter), so
    ``@pytest.mark.parametrize("fixture_path", ...)`` marks a test."""
    if isinstance(d, ast.Call):
        d = d.func
    while isinstance(d, ast.Attribute):
        if "fixture" in d.attr:
            return True
        d = d.value
    return isinstance(d, ast.Name) and "fixture" in d.id


def _is_fixture(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(_is_fixture_decorator(d) for d in node.decorator_list)


def _test_defs(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Module-level test functions and fixture functions, in source order."""
    return [
        node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (_is_test(node.name) or _is_fixture(node))
    ]


def test_names(source: str) -> list[str]:
    """Names of the module-level test functions of a script (no fixtures)."""
    return [n.name for n in _test_defs(ast.parse(source)) if _is_test(n.name) and not _is_fixture(n)]


def _recompile(source: str, filename: str, namespace: dict[str, Any]) -> list[str]:
    """Defines the test and fixture functions again in ``namespace``, with
    pytest's assertion rewriting; returns their names."""
    from _pytest.assertion.rewrite import rewrite_asserts

    tree = ast.parse(source, filename)
    defs = _test_defs(tree)
    module = ast.Module(body=list(defs), type_ignores=[])
    rewrite_asserts(module, source.encode(), None, None)
    exec(compile(module, filename, "exec"), namespace)  # noqa: S102 - the script's own code
    return [d.name for d in defs]  # type: ignore[attr-defined]


def _machine_fixtures(namespace: dict[str, Any]) -> dict[str, Any]:
    """Objects that become fixtures: every machine by its Python name, the
    driver, the machine lists and the VLANs."""
    out: dict[str, Any] = {}
    # `machines` is a global of the 2025 and the newest drivers; the
    # early-2026 one has only the driver's lists.
    machines = namespace.get("machines")
    if machines is None:
        driver = namespace.get("driver")
        machines = getattr(driver, "machines", None)
        if machines is None:
            machines = list(getattr(driver, "machines_qemu", []) or []) + list(getattr(driver, "machines_nspawn", []) or [])
    for m in machines or []:
        name = getattr(m, "name", None)
        if isinstance(name, str):
            out[re.sub(r"[^A-Za-z0-9_]", "_", re.sub(r"^[^A-Za-z_]", "_", name))] = m
    # The driver's implicit alias of the only machine, as a fixture too.
    if len(out) == 1 and "machine" in namespace and "machine" not in out:
        out["machine"] = namespace["machine"]
    for key in ("driver", "machines", "machines_qemu", "machines_nspawn", "vlans"):
        if key in namespace:
            out[key] = namespace[key]
    for key, value in namespace.items():
        if re.fullmatch(r"vlan\d+", key):
            out[key] = value
    return out


class _Events:
    """Writes JSON-line events with the script's line numbers."""

    def __init__(self, path: str | None, script: str) -> None:
        self.path = path
        self.file = open(path, "a", buffering=1) if path else None  # noqa: SIM115
        self.script = script
        self.acks = 0
        # With NIXOS_TEST_RUNNER_ACK set, a runner watches the events and must
        # act while the VMs still run (screendumps on failure, status on
        # start): such events wait until it acknowledges them.
        self.sync = bool(os.environ.get("NIXOS_TEST_RUNNER_ACK"))

    def emit(self, wait: bool = False, **event: Any) -> None:
        if not self.file:
            return
        event["time"] = time.time()
        ack = None
        if wait and self.sync:
            self.acks += 1
            ack = f"{self.path}.ack{self.acks}"
            event["ack"] = ack
        self.file.write(json.dumps(event) + "\n")
        if ack:
            deadline = time.monotonic() + 30
            while not os.path.exists(ack) and time.monotonic() < deadline:
                time.sleep(0.01)

    def script_line(self, excinfo: Any) -> int | None:
        line = None
        for entry in excinfo.traceback:
            if str(entry.path) == self.script:
                line = entry.lineno + 1
        return line


def _fixture(name: str, obj: Any, events: _Events) -> Any:
    def resolve() -> Any:
        # Machines start when a test first needs them.
        is_up = getattr(obj, "is_up", None)
        start = getattr(obj, "start", None)
        if callable(is_up) and callable(start) and not is_up():
            start()
            events.emit(wait=True, event="machine_start", machine=name)
        return obj

    return pytest.fixture(scope="session", name=name)(resolve)


def _fixture_plugin(objects: dict[str, Any], events: _Events) -> types.ModuleType:
    """A plugin module (scanned for fixtures as a conftest is) holding one
    session-scoped fixture per machine, driver, list and VLAN."""
    module = types.ModuleType("nixos_test_fixtures")
    for name, obj in objects.items():
        setattr(module, f"nixos_fixture_{name}", _fixture(name, obj, events))
    return module


class _Reporter:
    """Reports test events with the script's line numbers."""

    def __init__(self, events: _Events) -> None:
        self.events = events

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.events.emit(event="test_start", test=nodeid.split("::", 1)[-1])

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: Any, call: Any) -> Any:
        outcome = yield
        report = outcome.get_result()
        name = item.nodeid.split("::", 1)[-1]
        if report.failed:
            line = self.events.script_line(call.excinfo) if call.excinfo else None
            message = call.excinfo.exconly() if call.excinfo else report.longreprtext
            self.events.emit(wait=True, event="test_fail", test=name, phase=report.when, message=message, line=line)
        elif report.when == "call" and report.passed:
            self.events.emit(event="test_pass", test=name, duration=report.duration)
        elif report.skipped and report.when in ("setup", "call"):
            self.events.emit(event="test_skip", test=name)


def main(namespace: dict[str, Any], script_path: str | None = None, args: list[str] | None = None, source: str | None = None) -> int:
    """Runs the script's tests; raises if any fails (so the driver fails).

    The script comes from ``script_path``, or as text in ``source`` (the
    NixOS module passes ``driver.tests``, the text the driver runs)."""
    if source is None:
        if script_path is None:
            raise ValueError("main() needs script_path or source")
        with open(script_path, encoding="utf-8") as f:
            source = f.read()
    if not test_names(source):
        return 0
    if script_path is None:
        # A file name for tracebacks of the recompiled tests.
        handle, script_path = tempfile.mkstemp(prefix="testScript-", suffix=".py")
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(source)
    names = _recompile(source, script_path, namespace)
    _collected.clear()
    _collected.update({n: namespace[n] for n in names})
    events = _Events(os.environ.get("NIXOS_TEST_EVENTS"), script_path)
    argv = list(args or []) + shlex.split(os.environ.get("NIXOS_TEST_PYTEST_ARGS", ""))
    with tempfile.TemporaryDirectory(prefix="nixos-test-pytest-") as tmp:
        module = os.path.join(tmp, "test_script.py")
        with open(module, "w", encoding="utf-8") as f:
            f.write("from nixos_test_pytest import _collected\n\nglobals().update(_collected)\n")
        selected = [s for s in os.environ.get("NIXOS_TEST_SELECT", "").split(",") if s]
        targets = [f"{module}::{s}" for s in selected] or [module]
        plugins = [_fixture_plugin(_machine_fixtures(namespace), events), _Reporter(events)]
        if "nixos_test_pytest" not in sys.modules:
            # Loaded without an import (the runner loads it by exact path
            # and registers it; nothing is imported from its directory).
            sys.modules["nixos_test_pytest"] = sys.modules[__name__]
        # The machines' log is the test's progress: shown as it happens
        # (and kept for the failure report), not held back until a test
        # fails. `-s` or `--capture=...` in the arguments still win.
        capture = ["--capture=tee-sys"]
        code = pytest.main(
            ["-p", "no:cacheprovider", "--rootdir", tmp, "-o", "console_output_style=classic", *capture, *argv, *targets], plugins=plugins
        )
    events.emit(event="tests_done", exit_code=int(code))
    if code not in (0, 5):
        raise RuntimeError(f"pytest: tests failed (exit code {int(code)})")
    return int(code)
