"""Prepares the real NixOS test driver from a nixpkgs checkout for the
opt-in tests (crates/runner/tests/real_driver.rs). Usage:
prepare.py SRC CACHE_DIR, where SRC is <nixpkgs>/nixos/lib/test-driver/src.
Prints JSON: the Python to run it with, its PYTHONPATH and the generation.

The driver is not in any package registry and is not vendored here. It
needs Python >= 3.13 (`warnings.deprecated` at class definition since
early 2026) and its PyPI dependencies (colorama, junit-xml, junitparser,
ptpython, ipython, remote-pdb, pydantic; pytest for fixture mode), set up
once in a venv under CACHE_DIR. `ovmfvartool` (imported by the newest
driver's EFI support, not on PyPI) is a stand-in module: the EFI methods
are not exercised.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

DEPENDENCIES = ["colorama", "junit-xml", "junitparser", "ptpython", "ipython", "remote-pdb", "pydantic", "pytest"]


def python313():
    candidates = [shutil.which(n) for n in ("python3.14", "python3.13")]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.1[3-9]*/bin/python3"))
    for c in filter(None, candidates):
        ok = subprocess.run([c, "-c", "import sys, warnings; assert sys.version_info >= (3, 13) and warnings.deprecated"], capture_output=True)
        if ok.returncode == 0:
            return c
    sys.exit("prepare.py: the real driver needs Python >= 3.13 (python3.13 on PATH or under ~/.pyenv/versions)")


def generation(src):
    package = src / "test_driver"
    machine = package / "machine" / "__init__.py"
    if not machine.exists():
        machine = package / "machine.py"
    if not machine.exists():
        sys.exit(f"prepare.py: {src} holds no test_driver package (expected <nixpkgs>/nixos/lib/test-driver/src)")
    text = machine.read_text()
    if "class BaseMachine" not in text:
        return "2025"
    return "newest" if (package / "config.py").exists() else "early-2026"


def main():
    src, cache = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    gen = generation(src)
    python = python313()
    version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True, check=True).stdout.strip()
    venv = cache / f"real-driver-venv-{version}"
    ready = venv / ".dependencies"
    if not ready.exists() or ready.read_text() != " ".join(DEPENDENCIES):
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *DEPENDENCIES], check=True)
        ready.write_text(" ".join(DEPENDENCIES))
    stubs = cache / "real-driver-stubs"
    stubs.mkdir(parents=True, exist_ok=True)
    (stubs / "ovmfvartool.py").write_text(
        '"""Stand-in for ovmfvartool (not on PyPI): any name imported from it exists; EFI methods are not run."""\n\n\n'
        "def __getattr__(name):\n    return type(name, (), {})\n"
    )
    print(json.dumps({"python": str(venv / "bin" / "python"), "pythonpath": f"{src}:{stubs}", "generation": gen}))


if __name__ == "__main__":
    main()
