"""A stand-in for the newest `nixos-test-driver` CLI, for the runner's tests.

Like the real driver it reads the *last* `--config` (JSON: `vms`,
`containers`, `test_script`), takes `-o DIR` and `-K`, builds the script's
namespace (one object per machine, `machines`, `vlans`, `vlan<N>`, `driver`
with `.tests`, `start_all`, `subtest`) and `exec`s the script; an exception fails the run
with exit status 1. With FAKE_DRIVER_QEMU set, each VM is a real QEMU
(`-machine pc`, a VGA display, no guest) with the runner's QMP socket in
NIXOS_TEST_RUNNER_QMP_DIR, as the usePytestFixtures module arranges.
With exactly one machine, `machine` is an alias of it, as in the real
driver. With FAKE_DRIVER_RECORD set, any other method a script calls on a
machine is printed (`name: method(args)`) and returns "" (to compare what
two scripts do, not to pass for the real API).
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import traceback

parser = argparse.ArgumentParser()
parser.add_argument("-c", "--config", action="append", required=True)
parser.add_argument("-o", "--output_directory", default=".")
parser.add_argument("-K", "--keep-machine-state", action="store_true")
parser.add_argument("--log-level", default="info")
parser.add_argument("--junit-xml")
args = parser.parse_args()
config = json.load(open(args.config[-1]))
script = open(config["test_script"]).read()
qemus = []


class Machine:
    def __init__(self, name):
        self.name = name
        self.up = False

    def is_up(self):
        return self.up

    def start(self):
        if self.up:
            return
        self.up = True
        print(f"{self.name}: starting", flush=True)
        qemu = os.environ.get("FAKE_DRIVER_QEMU")
        qmp_dir = os.environ.get("NIXOS_TEST_RUNNER_QMP_DIR")
        if qemu and qmp_dir:
            sock = os.path.join(qmp_dir, f"{self.name}.runner-qmp")
            qemus.append(subprocess.Popen([qemu, "-machine", "pc", "-m", "64", "-nodefaults", "-vga", "std", "-display", "none",
                                           "-qmp", f"unix:{sock},server=on,wait=off"]))
            for _ in range(200):
                if os.path.exists(sock):
                    break
                __import__("time").sleep(0.02)

    def succeed(self, *commands, timeout=None):
        self.start()
        for c in commands:
            print(f"{self.name}: {c}", flush=True)
            if "false" in c:
                raise Exception(f"command `{c}` failed (exit code 1)")
        return "0 loaded units listed"

    def __getattr__(self, method):
        if method.startswith("__") or not os.environ.get("FAKE_DRIVER_RECORD"):
            raise AttributeError(method)

        def record(*args, **kwargs):
            self.start()
            shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in sorted(kwargs.items())]
            print(f"{self.name}: {method}({', '.join(shown)})", flush=True)
            return ""

        return record

    def wait_for_unit(self, unit, user=None, timeout=None):
        self.succeed(f"systemctl is-active {unit}")

    def wait_for_open_port(self, port, addr="localhost", timeout=None):
        self.succeed(f"nc -z {addr} {port}")


class VLan:
    def __init__(self, nr):
        self.nr = nr


class Driver:
    def __init__(self, tests):
        self.tests = tests


machines = [Machine(n) for n in sorted(list(config.get("vms", {})) + list(config.get("containers", {})))]
ns = {"machines": machines, "driver": Driver(script), "start_all": lambda: [m.start() for m in machines],
      "subtest": lambda name: contextlib.nullcontext()}
ns.update({m.name: m for m in machines})
if len(machines) == 1:
    ns["machine"] = machines[0]
vlans = [VLan(n) for n in config.get("vlans", [])]
ns["vlans"] = vlans
# The early-2026 driver has no `machines` global, only the driver's lists
# (nixos-test-driver audit, section 1).
if os.environ.get("FAKE_DRIVER_GENERATION") == "early-2026":
    del ns["machines"]
    ns["driver"].machines_qemu = list(machines)
    ns["driver"].machines_nspawn = []
ns.update({f"vlan{v.nr}": v for v in vlans})
status = 0
try:
    exec(compile(script, "<string>", "exec"), ns)
except Exception:
    traceback.print_exc()
    status = 1
finally:
    for q in qemus:
        q.terminate()
        q.wait()
sys.exit(status)
