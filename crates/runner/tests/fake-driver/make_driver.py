"""Makes a "built driver" directory as nixpkgs' driver.nix lays it out:
`test-script`, one start script `vms/run-<name>-vm` per VM, and
`bin/nixos-test-driver`, a makeWrapper-style wrapper of fake_driver.py
that passes the configuration the way GENERATION's wrapper does: newest
adds `--config <driverConfiguration.json> --log-level info`; early-2026
sets `vmNames`/`vmStartScripts`/`vlans`/`globalTimeout`/`testScript`, 2025
`startScripts`/`vlans`/`globalTimeout`/`testScript`.

Usage: make_driver.py OUT_DIR SCRIPT_FILE VM[,VM...]
           [--generation 2025|early-2026|newest] [--guest process|IMAGE_DIR]
           [--vlans N,...] [--real-driver PYTHON PYTHONPATH]

The start scripts run process_guest.py (default) or, given the directory of
a guest image (tests/guest/build_guest.py), QEMU booting that Linux guest.
With --real-driver, the wrapper runs the real driver (its `test_driver`
package on PYTHONPATH, see tests/real-driver/prepare.py) instead of the
stand-in, with the same command line and environment.
"""

import argparse
import json
import os
import shlex
import stat
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

p = argparse.ArgumentParser()
p.add_argument("out", type=Path)
p.add_argument("script", type=Path)
p.add_argument("vms")
p.add_argument("--generation", choices=["2025", "early-2026", "newest"], default="newest")
p.add_argument("--guest", default="process")
p.add_argument("--vlans", default="", help="comma-separated VLan numbers")
p.add_argument("--real-driver", nargs=2, metavar=("PYTHON", "PYTHONPATH"))
args = p.parse_args()
out, vms = args.out.resolve(), args.vms.split(",")
vlans = [int(v) for v in args.vlans.split(",") if v]


def executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


(out / "bin").mkdir(parents=True, exist_ok=True)
(out / "vms").mkdir(exist_ok=True)
(out / "test-script").write_text(args.script.read_text())
scripts = {}
for vm in vms:
    # Like qemu-vm.nix's run-<name>-vm: run from $TMPDIR (the VM's state
    # directory) and end with `$QEMU_OPTS "$@"`.
    if args.guest == "process":
        run = f"exec {shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'process_guest.py'))}"
    else:
        image = Path(args.guest).resolve()
        accel = (image / "accel").read_text().strip()
        run = (
            f"mkdir -p xchg\nexec qemu-system-x86_64 -machine pc,accel={accel} -m 256 -smp 1"
            f" -kernel {image / 'vmlinuz'} -initrd {image / 'initrd.gz'}"
            f" -append 'console=tty0 console=ttyS0 loglevel=4 panic=-1 hostname={vm}'"
            " -virtfs local,path=\"$SHARED_DIR\",security_model=none,mount_tag=shared"
            " -virtfs local,path=xchg,security_model=none,mount_tag=xchg -vga std -nic none"
        )
    start = out / "vms" / f"run-{vm}-vm"
    executable(start, f'#!/bin/sh\ncd "$TMPDIR"\n{run} $QEMU_OPTS "$@"\n')
    scripts[vm] = str(start)

if args.real_driver:
    python, pythonpath = args.real_driver
    run_driver = f"export PYTHONPATH={shlex.quote(pythonpath)}\nexec {shlex.quote(python)} -c 'import test_driver; test_driver.main()'"
else:
    run_driver = f"exec {shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'fake_driver.py'))} {args.generation}"
test_script = out / "test-script"
if args.generation == "newest":
    config = {
        "vms": {v: {"name": v, "start_script": scripts[v]} for v in vms},
        "containers": {},
        "vlans": vlans,
        "global_timeout": 3600,
        "enable_ssh_backdoor": False,
        "test_script": str(test_script),
    }
    (out / "driverConfiguration.json").write_text(json.dumps(config))
    body = f"{run_driver} --config '{out / 'driverConfiguration.json'}' --log-level info \"$@\"\n"
else:
    env = {"vlans": " ".join(map(str, vlans)), "globalTimeout": "3600", "testScript": str(test_script)}
    if args.generation == "2025":
        env["startScripts"] = " ".join(scripts.values())
    else:
        env.update(vmNames=" ".join(vms), vmStartScripts=" ".join(scripts[v] for v in vms))
    body = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items()) + f'{run_driver} "$@"\n'
executable(out / "bin" / "nixos-test-driver", "#! /bin/sh -e\n" + body)
print(os.fspath(out))
