"""Stand-ins for the three generations of `nixos-test-driver`, for the
runner's and the plugin's tests. Usage: fake_driver.py GENERATION ARGS...
(GENERATION: 2025, early-2026 or newest), as the wrappers make_driver.py
writes invoke it.

Each implements what the runner and the plugin rely on, as the real driver
does it (facts from docs/driver-facts.toml's sources and the driver audit):

* the command line of its generation: newest reads a JSON `-c/--config`
  (the last one wins; every field of the configuration is required);
  early-2026 takes `--vm-names`/`--vm-start-scripts`, 2025
  `--start-scripts` (names from `run-<name>-vm`); both older ones take the
  script positionally or from the `testScript` environment variable;
* the script's globals of its generation (`machines` is missing in
  early-2026; `Machine` vs `BaseMachine`/`QemuMachine`; the `machine`
  alias) and a `Driver` used as a context manager that releases the VMs;
* the machine lifecycle and the guest protocol: `start()` runs the start
  script with the driver's QEMU flags (`-qmp`, `-monitor`, the `shell`
  virtconsole, `-serial stdio`) from the VM's state directory
  (`$XDG_RUNTIME_DIR|$TMPDIR/vm-state-<name>`), `is_up()` is true only once
  the guest's backdoor shell said `Spawning backdoor root shell...`, and
  commands go over that shell framed as the real driver frames them
  (`timeout`, `bash -c`, base64, `${PIPESTATUS[0]}`).

What runs behind a start script is up to the test: a real Linux guest
(tests/guest) or a process guest (process_guest.py: a real QEMU for the
monitor, QMP and screen, the host's bash as the guest's shell).

With FAKE_DRIVER_RECORD set, machines start nothing and every method call is
printed (`name: method(args)`) and returns "": a recorder to compare what
two scripts do, not a stand-in for the API.
"""

import argparse
import base64
import contextlib
import datetime
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unittest
from pathlib import Path

GENERATION = sys.argv[1] if len(sys.argv) > 1 else ""
if GENERATION not in ("2025", "early-2026", "newest"):
    sys.exit(f"fake_driver.py: unknown generation {GENERATION!r}")
NEWEST = GENERATION == "newest"
# Newest drivers take `timedelta`s (15 minutes by default); older ones ints.
TIMEOUT = datetime.timedelta(minutes=15) if NEWEST else 900
MARKER = b"Spawning backdoor root shell..."


def log(message):
    print(message, file=sys.stderr, flush=True)


class RequestedAssertionFailed(AssertionError):
    """What newest drivers raise for a failed `succeed`/`fail`."""


class EnvDefault(argparse.Action):
    """An option whose default comes from an environment variable (split on
    whitespace for lists), as the older drivers read their wrapper's
    `--set` variables; with the variable set, the option is not required."""

    def __init__(self, envvar, required=False, default=None, nargs=None, **kwargs):
        if not default and envvar in os.environ:
            default = os.environ[envvar].split() if nargs is not None else os.environ[envvar]
        if required and default:
            required = False
        super().__init__(default=default, required=required, nargs=nargs, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)


def writable_dir(arg):
    path = Path(arg)
    if not path.is_dir() or not os.access(path, os.W_OK):
        raise argparse.ArgumentTypeError(f"{arg} is not a writable directory")
    return path


def parse_args(argv):
    p = argparse.ArgumentParser(prog="nixos-test-driver")
    p.add_argument("-I", "--interactive", action=argparse.BooleanOptionalAction, default=False)
    p.add_argument("--debug-hook-attach")
    p.add_argument("-o", "--output_directory", default=Path.cwd(), type=writable_dir)
    p.add_argument("--junit-xml")
    if NEWEST:
        p.add_argument("-c", "--config", required=True, type=Path)
        p.add_argument("-K", "--keep-machine-state", action="store_true")
        p.add_argument("--keep-vm-state", action="store_true", help=argparse.SUPPRESS)
        p.add_argument("--log-level", choices=["debug", "info", "warning", "error"], action=EnvDefault, envvar="logLevel", default="info")
        return p.parse_args(argv)
    if GENERATION == "2025":
        p.add_argument("--start-scripts", action=EnvDefault, envvar="startScripts", nargs="*", default=[])
        p.add_argument("-K", "--keep-vm-state", action="store_true")
    else:
        p.add_argument("--vm-names", action=EnvDefault, envvar="vmNames", nargs="*", default=[])
        p.add_argument("--vm-start-scripts", action=EnvDefault, envvar="vmStartScripts", nargs="*", default=[])
        p.add_argument("--container-names", action=EnvDefault, envvar="containerNames", nargs="*", default=[])
        p.add_argument("--container-start-scripts", action=EnvDefault, envvar="containerStartScripts", nargs="*", default=[])
        p.add_argument("-K", "--keep-machine-state", action="store_true")
        p.add_argument("--keep-vm-state", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--vlans", action=EnvDefault, envvar="vlans", nargs="*")
    p.add_argument("--global-timeout", type=int, action=EnvDefault, envvar="globalTimeout")
    p.add_argument("--dump-vsocks", type=int)
    p.add_argument("testscript", action=EnvDefault, envvar="testScript", type=Path)
    return p.parse_args(argv)


def load_newest_config(path):
    """The newest driver's configuration: every field is required (a
    pydantic model without defaults); a missing one stops the driver."""
    data = json.loads(Path(path).read_text())
    fields = {"vms": dict, "containers": dict, "vlans": list, "global_timeout": int, "enable_ssh_backdoor": bool, "test_script": str}
    errors = [f"{k}\n  Field required" for k in fields if k not in data]
    errors += [f"{k}\n  Input should be of type {t.__name__}" for k, t in fields.items() if k in data and not isinstance(data[k], t)]
    for kind in ("vms", "containers"):
        for key, m in (data.get(kind) or {}).items():
            for f in ("name", "start_script"):
                if not isinstance(m, dict) or f not in m:
                    errors.append(f"{kind}.{key}.{f}\n  Field required")
    if errors:
        sys.exit(f"{len(errors)} validation error(s) for DriverConfiguration\n" + "\n".join(errors))
    return data


def seconds(timeout):
    """A timeout in seconds: newest takes `timedelta`s (numbers still work
    but warn), older generations take ints."""
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    if timeout is not None and NEWEST:
        log(f"warning: numeric timeouts are deprecated, use datetime.timedelta (got {timeout!r})")
    return timeout


def state_root():
    return Path(os.environ.get("XDG_RUNTIME_DIR", tempfile.gettempdir()))


def retry(fn, timeout=TIMEOUT, **kwargs):
    """Calls `fn(False)` once a second until it returns true, `fn(True)` at
    the end; an exception when it never does."""
    limit = seconds(kwargs.get("timeout_seconds", timeout))
    deadline = time.monotonic() + (900 if limit is None else limit)
    while time.monotonic() < deadline:
        if fn(False):
            return
        time.sleep(1)
    if not fn(True):
        raise RequestedAssertionFailed(f"action timed out after {limit} seconds")


class BaseMachine:
    def __init__(self, name, start_script, keep_state, out_dir, driver):
        self.name = name
        self.start_command = start_script
        self.out_dir = out_dir
        self.tmp_dir = state_root()
        self.state_dir = self.tmp_dir / f"vm-state-{name}"
        self.shared_dir = self.tmp_dir / "shared-xchg"
        self.monitor_path = self.state_dir / "monitor"
        self.shell_path = self.state_dir / "shell"
        self.qmp_path = self.state_dir / "qmp"
        self.process = None
        self.pid = None
        self.monitor = None
        self.shell = None
        self.booted = False
        self.connected = False
        self.callbacks = []
        self.driver = driver
        if GENERATION == "2025":
            self.keep_vm_state = keep_state
        else:
            self.keep_machine_state = keep_state
        if not keep_state and self.state_dir.exists():
            subprocess.run(["rm", "-rf", str(self.state_dir)], check=True)
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.shared_dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    def log(self, msg):
        log(f"{self.name}: {msg}")

    @contextlib.contextmanager
    def nested(self, msg):
        self.log(msg)
        started = time.monotonic()
        yield
        self.log(f"(finished: {msg}, in {time.monotonic() - started:.2f} seconds)")

    def is_up(self):
        return self.booted and self.connected

    def start(self, allow_reboot=False):
        if self.booted:
            return
        self.log("starting vm")

        def listener(path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            s = socket.socket(socket.AF_UNIX)
            s.bind(str(path))
            s.listen(1)
            return s

        monitor_socket, shell_socket = listener(self.monitor_path), listener(self.shell_path)
        flags = (
            f" -qmp unix:{self.qmp_path},server=on,wait=off -monitor unix:{self.monitor_path}"
            f" -chardev socket,id=shell,path={self.shell_path} -device virtio-serial -device virtconsole,chardev=shell"
            f" -device virtio-rng-pci -serial stdio{'' if allow_reboot else ' -no-reboot'}"
        )
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            flags += " -nographic"
        env = dict(os.environ, TMPDIR=str(self.state_dir), SHARED_DIR=str(self.shared_dir), USE_TMPDIR="1")
        self.process = subprocess.Popen(
            self.start_command + flags, shell=True, cwd=self.state_dir, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        self.pid = self.process.pid
        self.monitor = self._accept(monitor_socket)
        self.shell = self._accept(shell_socket)
        monitor_socket.close()
        shell_socket.close()
        threading.Thread(target=self._read_serial, daemon=True).start()
        self.wait_for_monitor_prompt()
        self.log(f"QEMU running (pid {self.pid})")
        self.booted = True

    def _accept(self, listener):
        """Waits for QEMU to connect; QEMU exiting first is an error that
        shows its output, as the newest driver reports it."""
        listener.settimeout(0.1)
        while True:
            try:
                return listener.accept()[0]
            except TimeoutError:
                if self.process.poll() is not None:
                    output = self.process.stdout.read().decode(errors="replace")
                    raise Exception(f"QEMU of {self.name} exited with {self.process.returncode} before connecting: {output}")

    def _read_serial(self):
        for line in iter(self.process.stdout.readline, b""):
            if self.driver.serial_stdout:
                log(f"{self.name} # {line.decode(errors='replace').rstrip()}")

    def wait_for_monitor_prompt(self):
        answer = b""
        while not answer.endswith(b"(qemu) "):
            chunk = self.monitor.recv(1024)
            if not chunk:
                raise Exception("Monitor connection closed")
            answer += chunk
        return answer.decode(errors="replace")

    def send_monitor_command(self, command):
        self.monitor.send(f"{command}\n".encode())
        return self.wait_for_monitor_prompt()

    def connect(self):
        if self.connected:
            return
        with self.nested("waiting for the VM to finish booting"):
            self.start()
            seen = b""
            while MARKER not in seen:
                chunk = self.shell.recv(1024)
                if not chunk:
                    raise Exception("Shell disconnected")
                seen += chunk
                self.log(f"Guest shell says: {chunk!r}")
            self.log("connected to guest root shell")
            self.connected = True

    def _line_from_shell(self):
        out = b""
        while not out.endswith(b"\n"):
            chunk = self.shell.recv(4096)
            if not chunk:
                break
            out += chunk
        return out

    def execute(self, command, check_return=True, check_output=True, timeout=TIMEOUT):
        self.run_callbacks()
        self.connect()
        limit = seconds(timeout)
        prefix = "" if limit is None else f"timeout {float(limit) if NEWEST else int(limit)} "
        self.shell.send(f"{prefix}bash -c {shlex.quote(f'set -euo pipefail; {command}')} | (base64 -w 0; echo)\n".encode())
        if not check_output:
            return (-2, "")
        output = base64.b64decode(self._line_from_shell()).decode(errors="replace")
        if not check_return:
            return (-1, output)
        self.shell.send(b"echo ${PIPESTATUS[0]}\n")
        return (int(self._line_from_shell().strip()), output)

    def run_callbacks(self):
        for callback in self.callbacks:
            callback()
        for condition in self.driver.polling_conditions:
            condition.check()

    def succeed(self, *commands, timeout=None):
        output = ""
        for command in commands:
            with self.nested(f"must succeed: {command}"):
                status, out = self.execute(command, timeout=timeout)
                if status != 0:
                    self.log(f"output: {out}")
                    raise RequestedAssertionFailed(f"command `{command}` failed (exit code {status})")
                output += out
        return output

    def fail(self, *commands, timeout=None):
        output = ""
        for command in commands:
            with self.nested(f"must fail: {command}"):
                status, out = self.execute(command, timeout=timeout)
                if status == 0:
                    raise RequestedAssertionFailed(f"command `{command}` unexpectedly succeeded")
                output += out
        return output

    def wait_until_succeeds(self, command, timeout=TIMEOUT):
        output = ""

        def check(_last):
            nonlocal output
            status, output = self.execute(command, timeout=timeout)
            return status == 0

        with self.nested(f"waiting for success: {command}"):
            retry(check, timeout)
        return output

    def systemctl(self, q, user=None):
        return self.execute(f"systemctl {q}")

    def get_unit_info(self, unit, user=None):
        status, lines = self.systemctl(f'--no-pager show "{unit}"', user)
        if status != 0:
            raise Exception(f'retrieving systemctl info for unit "{unit}" failed with exit code {status}')
        return dict(line.split("=", 1) for line in lines.splitlines() if "=" in line)

    def wait_for_unit(self, unit, user=None, timeout=TIMEOUT):
        def active(_last):
            state = self.get_unit_info(unit, user)["ActiveState"]
            if state == "failed":
                raise Exception(f'unit "{unit}" reached state "{state}"')
            return state == "active"

        with self.nested(f"waiting for unit {unit}"):
            retry(active, timeout)

    def wait_for_file(self, filename, timeout=TIMEOUT):
        with self.nested(f"waiting for file '{filename}'"):
            retry(lambda _: self.execute(f"test -e {filename}")[0] == 0, timeout)

    def wait_for_open_port(self, port, addr="localhost", timeout=TIMEOUT):
        with self.nested(f"waiting for TCP port {port} on {addr}"):
            retry(lambda _: self.execute(f"nc -z {addr} {port}")[0] == 0, timeout)

    def copy_from_host(self, source, target):
        shared = self.shared_dir / Path(source).name
        subprocess.run(["cp", "-r", source, str(shared)], check=True)
        self.succeed(f"mkdir -p $(dirname {target})", f"cp -r /tmp/shared/{shared.name} {target}")

    def screenshot(self, filename):
        if "." not in filename:
            filename += ".png"
        if "/" not in filename:
            filename = os.path.join(self.out_dir, filename)
        self.send_monitor_command(f"screendump {filename}.ppm")
        if subprocess.run(f"pnmtopng '{filename}.ppm' > '{filename}'", shell=True).returncode != 0:
            raise Exception("Cannot convert screenshot")
        os.unlink(f"{filename}.ppm")

    def shutdown(self):
        if not self.booted:
            return
        self.shell.send(b"poweroff\n")
        self.wait_for_shutdown()

    def crash(self):
        if not self.booted:
            return
        self.log("forced crash")
        self.send_monitor_command("quit")
        self.wait_for_shutdown()

    def wait_for_shutdown(self, timeout=None):
        if not self.booted:
            return
        with self.nested("waiting for the VM to power off"):
            self.process.wait(timeout=seconds(timeout))
            self.pid = None
            self.booted = self.connected = False

    def release(self):
        if self.pid is None:
            return
        self.log(f"kill machine (pid {self.pid})")
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.process.kill()
        self.shell.close()
        self.monitor.close()
        self.pid = None


class QemuMachine(BaseMachine):
    pass


class RecordingMachine:
    """FAKE_DRIVER_RECORD: prints every call instead of running it."""

    def __init__(self, name):
        self.name = name
        self.booted = False

    def is_up(self):
        return self.booted

    def start(self, allow_reboot=False):
        if not self.booted:
            self.booted = True
            print(f"{self.name}: starting", flush=True)

    def release(self):
        pass

    def __getattr__(self, method):
        if method.startswith("__"):
            raise AttributeError(method)

        def record(*args, **kwargs):
            self.start()
            shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in sorted(kwargs.items())]
            print(f"{self.name}: {method}({', '.join(shown)})", flush=True)
            return ""

        return record


class Logger:
    """The script's `log`: messages go where the driver's own lines go."""

    def log(self, message, attributes=None):
        log(message)

    info = warning = debug = error = log_test_error = lambda self, *args, **kwargs: log(" ".join(map(str, args)))

    @contextlib.contextmanager
    def nested(self, message, attributes=None):
        log(message)
        yield

    subtest = nested


class VLan:
    def __init__(self, nr):
        self.nr = nr
        self.socket_dir = state_root() / f"vde{nr}.ctl"

    def stop(self):
        pass


class Poll:
    def __init__(self, fun, description):
        self.fun = fun
        self.description = description

    def check(self):
        if not self.fun():
            raise RequestedAssertionFailed(f"Polling condition failed: {self.description or self.fun.__name__}")


class MachineDeprecationWrapper:
    """Newest: the `machine` alias of a test's only VM warns on every use."""

    def __init__(self, machine):
        object.__setattr__(self, "_machine", machine)

    def __getattr__(self, name):
        log("warning: the `machine` alias of the only VM is deprecated: use its name")
        return getattr(object.__getattribute__(self, "_machine"), name)


class Driver:
    def __init__(self, tests, machines, vlans, global_timeout, keep_state, out_dir):
        self.tests = tests
        self.vlans = [VLan(n) for n in vlans]
        self.polling_conditions = []
        self.serial_stdout = True
        self.global_timeout = global_timeout
        self.out_dir = out_dir
        self.race_timer = threading.Timer(global_timeout, self.terminate_test)
        recording = bool(os.environ.get("FAKE_DRIVER_RECORD"))
        self.machines_qemu = [
            RecordingMachine(name) if recording else QemuMachine(name, script, keep_state, out_dir, self) for name, script in machines
        ]
        self.machines_nspawn = []

    @property
    def machines(self):
        return sorted(self.machines_qemu + self.machines_nspawn, key=lambda m: m.name) if NEWEST else list(self.machines_qemu)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.race_timer.cancel()
        for machine in self.machines:
            machine.release()
        for vlan in self.vlans:
            vlan.stop()

    def terminate_test(self):
        log(f"Timeout reached ({self.global_timeout} s): killing the test")
        for machine in self.machines:
            machine.release()
        os.kill(os.getpid(), signal.SIGTERM)

    @contextlib.contextmanager
    def subtest(self, name):
        log(f"subtest: {name}")
        try:
            yield
        except Exception as e:
            log(f"error: {e}")
            raise

    def start_all(self):
        for machine in self.machines:
            machine.start()

    def join_all(self):
        for machine in self.machines:
            machine.wait_for_shutdown()

    def create_machine(self, start_command, *, name=None, **keep):
        machine = QemuMachine(name or "machine", start_command, any(keep.values()), self.out_dir, self)
        self.machines_qemu.append(machine)
        return machine

    def polling_condition(self, fun_=None, *, seconds_interval=2.0, description=None, **_):
        def wrap(fun):
            poll = Poll(fun, description)
            self.polling_conditions.append(poll)
            return poll

        return wrap(fun_) if fun_ is not None else wrap

    def test_symbols(self):
        general = dict(
            start_all=self.start_all, test_script=self.test_script, vlans=self.vlans, driver=self, log=Logger(),
            os=os, create_machine=self.create_machine, subtest=self.subtest, run_tests=self.run_tests, join_all=self.join_all, retry=retry,
            serial_stdout_off=lambda: setattr(self, "serial_stdout", False), serial_stdout_on=lambda: setattr(self, "serial_stdout", True),
            polling_condition=self.polling_condition, t=unittest.TestCase(),
        )
        if GENERATION == "2025":
            general.update(machines=self.machines, Machine=QemuMachine)
        else:
            general.update(machines_qemu=self.machines_qemu, machines_nspawn=self.machines_nspawn, BaseMachine=BaseMachine, debug=None)
        if NEWEST:
            general.update(machines=self.machines, QemuMachine=QemuMachine, dump_machine_ssh=lambda: None)
        machines = {re.sub(r"\W", "_", m.name): m for m in self.machines}
        if len(self.machines) == 1 and "machine" not in machines:
            only = self.machines[0]
            machines["machine"] = MachineDeprecationWrapper(only) if NEWEST else only
        return {**general, **machines, **{f"vlan{v.nr}": v for v in self.vlans}}

    def test_script(self):
        exec(self.tests, self.test_symbols(), None)

    def run_tests(self):
        self.race_timer.start()
        self.test_script()
        for machine in self.machines:
            if machine.is_up():
                machine.execute("sync")


def machines_of(args):
    if NEWEST:
        config = load_newest_config(args.config)
        vms = [(m["name"], m["start_script"]) for m in config["vms"].values()]
        return vms, config["vlans"], config["global_timeout"], Path(config["test_script"])
    if GENERATION == "2025":
        vms = []
        for script in args.start_scripts:
            match = re.search(r"run-(.+)-vm$", script)
            vms.append((match.group(1) if match else "machine", script))
    else:
        if len(args.vm_names) != len(args.vm_start_scripts):
            sys.exit("--vm-names and --vm-start-scripts differ in length")
        vms = list(zip(args.vm_names, args.vm_start_scripts))
    # `list(set(None))` in the real driver: --vlans must be given.
    vlans = [int(v) for v in set(args.vlans)]
    if args.testscript is None:
        sys.exit("nixos-test-driver: error: the following arguments are required: testscript")
    return vms, vlans, args.global_timeout or 3600, args.testscript


def main():
    args = parse_args(sys.argv[2:])
    if args.interactive:
        sys.exit("the stand-in has no interactive mode")
    vms, vlans, global_timeout, script = machines_of(args)
    keep = bool(getattr(args, "keep_machine_state", False) or getattr(args, "keep_vm_state", False))
    with Driver(script.read_text(), vms, vlans, global_timeout, keep, args.output_directory.resolve()) as driver:
        try:
            driver.run_tests()
        except Exception:
            log("!!! Test failed")
            traceback.print_exc()
            sys.exit(1)


if __name__ == "__main__":
    main()
