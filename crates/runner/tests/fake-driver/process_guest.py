"""A process guest: what a start script runs in the fast runner tests.

It is started as `process_guest.py QEMU-FLAGS...` by a `run-<name>-vm`
script, with the flags the driver appends (and `$QEMU_OPTS`). A real QEMU
(a PC with a VGA screen and no operating system) takes every flag but the
guest's `shell` console: so the driver's monitor, the driver's and the
runner's QMP sockets, screendumps and `quit` are QEMU's own. The guest's
side of the backdoor is played on the `shell` socket the way the NixOS
guest plays it (audit §4.2): the marker line, then a non-interactive bash
reading commands, with tests/guest/bin (systemctl, nc, poweroff) first on
PATH. Commands run on the host, in the VM's state directory.

It ends when QEMU ends (`quit`, `crash()`), when `poweroff` runs, or on
SIGTERM (the driver's `release()`), and takes QEMU and bash with it.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

flags = sys.argv[1:]
shell_path = None
qemu_flags = []
i = 0
while i < len(flags):
    flag, value = flags[i], flags[i + 1] if i + 1 < len(flags) else ""
    if flag == "-chardev" and value.startswith("socket,id=shell,"):
        shell_path = dict(kv.split("=", 1) for kv in value.split(",")[1:])["path"]
        i += 2
    elif flag == "-device" and value.startswith("virtconsole,chardev=shell"):
        i += 2
    else:
        qemu_flags.append(flag)
        i += 1
if shell_path is None:
    sys.exit("process_guest.py: no `-chardev socket,id=shell,path=...` among the flags")

children = []


def stop(*_):
    # Only raises: the clean-up is the `finally` below, outside the handler
    # (a handler waiting for a child could deadlock with a `wait()` it
    # interrupted, which holds the child's lock).
    sys.exit(0)


# Before any child exists: a release() right after start() must not
# leave a QEMU behind. The driver's release() signals the `sh -c` that
# runs the start script, which dash does not replace by it: the shell's
# end is ours too (PR_SET_PDEATHSIG).
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGHUP, stop)
ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
if os.getppid() == 1:
    sys.exit(0)

qemu = shutil.which("qemu-system-x86_64")
if qemu is None:
    sys.exit("process_guest.py: qemu-system-x86_64 is not installed")
try:
    vm = subprocess.Popen([qemu, "-machine", "pc,accel=tcg", "-m", "32", "-nodefaults", "-vga", "std", *qemu_flags], stdin=subprocess.DEVNULL)
    children.append(vm)

    shell = socket.socket(socket.AF_UNIX)
    shell.connect(shell_path)
    shell.sendall(b"Spawning backdoor root shell...\n")
    stubs = Path(__file__).resolve().parent.parent / "guest" / "bin"
    env = dict(os.environ, PATH=f"{stubs}:{os.environ.get('PATH', '/usr/bin:/bin')}", NIXOS_PROCESS_GUEST_PID=str(os.getpid()), PS1="")
    children.append(subprocess.Popen(["bash", "--norc"], stdin=shell.fileno(), stdout=shell.fileno(), env=env))
    shell.close()
    # QEMU's end is the VM's end (a `quit` on the monitor or QMP).
    while vm.poll() is None:
        time.sleep(0.05)
finally:
    for p in children:
        if p.poll() is None:
            p.terminate()
    for p in children:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
