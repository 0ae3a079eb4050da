"""Makes a fake "built driver" directory: bin/nixos-test-driver wraps
fake_driver.py with its own --config (as the real wrapper does), whose
test_script is SCRIPT. Usage: make_driver.py OUT_DIR SCRIPT_FILE VM[,VM...]"""

import json
import os
import stat
import sys
from pathlib import Path

out, script, vms = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].split(",")
(out / "bin").mkdir(parents=True, exist_ok=True)
config = {"vms": {v: {"name": v, "start_script": "/bin/true"} for v in vms}, "containers": {}, "vlans": [1], "global_timeout": 3600, "test_script": str(script.resolve())}
(out / "driverConfiguration.json").write_text(json.dumps(config))
fake = Path(__file__).resolve().parent / "fake_driver.py"
wrapper = out / "bin" / "nixos-test-driver"
wrapper.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{fake}' --config '{out / 'driverConfiguration.json'}' --log-level info \"$@\"\n")
wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
print(os.fspath(out))
