"""Builds the test guest from Debian packages and caches it:
IMAGE_DIR/vmlinuz, IMAGE_DIR/initrd.gz and IMAGE_DIR/accel. Prints IMAGE_DIR.

Usage: build_guest.py CACHE_DIR

* the generic kernel (the package `linux-image-amd64` depends on), with its
  virtio, virtio_console and 9p modules (the cloud kernel has no 9p);
* `busybox-static` (the userland) and `bash-static` (the driver's commands
  need bash: `${PIPESTATUS[0]}`);
* `init` and the stubs in `bin/` (systemctl, nc -z, poweroff, timeout) from this
  directory.

The image is named by the package versions and a hash of init and stubs,
so a new kernel or a changed init builds a new one; `apt-get download`
needs the package lists (`apt-get update`), not root. `accel` is `kvm`
where /dev/kvm can run a stock kernel and `tcg` otherwise: a nested
paravirtual KVM (kvm_pvm) opens fine but hangs a stock kernel at boot.
"""

import gzip
import hashlib
import io
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# In the order they must be loaded (no depmod: init insmods them).
MODULES = [
    "drivers/virtio/virtio_ring", "drivers/virtio/virtio", "drivers/virtio/virtio_pci_legacy_dev", "drivers/virtio/virtio_pci_modern_dev", "drivers/virtio/virtio_pci",
    "drivers/char/virtio_console", "fs/netfs/netfs", "fs/fscache/fscache", "net/9p/9pnet", "net/9p/9pnet_virtio", "fs/9p/9p",
]


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def kernel_package():
    for line in run("apt-cache", "depends", "linux-image-amd64").splitlines():
        name = line.strip().removeprefix("Depends: ")
        if name.startswith("linux-image-") and name != "linux-image-amd64":
            return name
    sys.exit("build_guest.py: apt-cache knows no kernel for linux-image-amd64 (run apt-get update)")


def version(package):
    return run("apt-cache", "policy", package).split("Candidate:")[1].split()[0]


def accel():
    """`kvm` only where it can run a stock kernel: not on kvm_pvm."""
    if os.environ.get("NIXOS_TEST_GUEST_ACCEL") in ("kvm", "tcg"):
        return os.environ["NIXOS_TEST_GUEST_ACCEL"]
    if Path("/sys/module/kvm_pvm").exists():
        print("build_guest.py: /dev/kvm is kvm_pvm (nested paravirtual), on which a stock kernel hangs: using TCG", file=sys.stderr)
        return "tcg"
    if os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "kvm"
    print("build_guest.py: no usable /dev/kvm: using TCG", file=sys.stderr)
    return "tcg"


def cpio_newc(root):
    """The tree under `root` as a newc cpio archive (what the kernel unpacks
    as its initramfs), without needing the cpio tool."""
    out = io.BytesIO()
    ino = 1

    def entry(name, mode, data=b"", nlink=1):
        nonlocal ino
        name_bytes = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name_bytes), 0]
        out.write(b"070701" + b"".join(b"%08X" % f for f in fields) + name_bytes)
        out.write(b"\0" * (-(110 + len(name_bytes)) % 4))
        out.write(data)
        out.write(b"\0" * (-len(data) % 4))
        ino += 1

    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            entry(rel, st.st_mode, os.readlink(path).encode())
        elif path.is_dir():
            entry(rel, st.st_mode, nlink=2)
        else:
            entry(rel, st.st_mode, path.read_bytes())
    entry("TRAILER!!!", 0)
    return out.getvalue()


def build(cache):
    kernel = kernel_package()
    packages = [kernel, "busybox-static", "bash-static"]
    ours = hashlib.sha256()
    for f in [HERE / "init", *sorted((HERE / "bin").iterdir()), Path(__file__).resolve()]:
        ours.update(f.name.encode() + f.read_bytes())
    key = "-".join(f"{p}_{version(p)}" for p in packages) + "-" + ours.hexdigest()[:12]
    image = cache / key.replace(":", "_").replace("+", "_")
    if (image / "initrd.gz").exists():
        (image / "accel").write_text(accel() + "\n")
        return image
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        tmp = Path(tmp)
        run("apt-get", "download", *packages, cwd=tmp)
        tree = tmp / "x"
        for deb in tmp.glob("*.deb"):
            run("dpkg-deb", "-x", str(deb), str(tree))
        root = tmp / "root"
        for d in ["bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "lib/modules", "usr/local/bin"]:
            (root / d).mkdir(parents=True, exist_ok=True)
        shutil.copy2(tree / "bin/busybox", root / "bin/busybox")
        shutil.copy2(tree / "bin/bash-static", root / "bin/bash")
        (root / "bin/sh").symlink_to("busybox")
        for stub in (HERE / "bin").iterdir():
            shutil.copy2(stub, root / "usr/local/bin" / stub.name)
            (root / "usr/local/bin" / stub.name).chmod(0o755)
        shutil.copy2(HERE / "init", root / "init")
        (root / "init").chmod(0o755)
        release = kernel.removeprefix("linux-image-")
        modules = tree / "lib/modules" / release / "kernel"
        names = []
        for m in MODULES:
            src = next((p for p in [modules / f"{m}.ko", modules / f"{m}.ko.xz"] if p.exists()), None)
            if src is None:
                continue  # built in
            if src.suffix == ".xz":
                run("xz", "-dk", str(src))
                src = src.with_suffix("")
            shutil.copy2(src, root / "lib/modules" / src.name)
            names.append(src.stem)
        (root / "etc/modules-order").write_text("\n".join(names) + "\n")
        staging = tmp / "image"
        staging.mkdir()
        shutil.copy2(next((tree / "boot").glob("vmlinuz-*")), staging / "vmlinuz")
        (staging / "initrd.gz").write_bytes(gzip.compress(cpio_newc(root), 6))
        (staging / "accel").write_text(accel() + "\n")
        staging.rename(image)
    # Images of older packages or older guest files are not used again.
    for old in cache.iterdir():
        if old.is_dir() and old != image and old.name.startswith("linux-image-"):
            shutil.rmtree(old, ignore_errors=True)
    return image


def main():
    cache = Path(sys.argv[1])
    cache.mkdir(parents=True, exist_ok=True)
    print(build(cache))


if __name__ == "__main__":
    main()
