"""The fixture-mode plugin with real pytest, against the driver stand-ins.

Each case runs a stand-in for the NixOS test driver that the runner's tests
use (crates/runner/tests/fake-driver; newest unless a case says otherwise):
it execs the script into the namespace its generation gives, with machines
that start a process guest (a real QEMU, the host's bash as the guest's
shell), and the script ends with the plugin call that the
``usePytestFixtures`` module appends.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent.parent
FAKE_DRIVER = PLUGIN_DIR.parent / "tests" / "fake-driver"

# What nix/fixtures-module.nix appends to the script.
APPENDED = "\n\nimport nixos_test_pytest\nnixos_test_pytest.main(globals(), source=driver.tests)\n"


def run(tmp_path, script, machines="server,client", env=None, generation="newest", vlans=""):
    s = tmp_path / "script.py"
    s.write_text(textwrap.dedent(script) + APPENDED)
    driver = tmp_path / "driver"
    make = [sys.executable, str(FAKE_DRIVER / "make_driver.py"), str(driver), str(s), machines, "--generation", generation, "--vlans", vlans]
    subprocess.run(make, check=True, capture_output=True)
    events = tmp_path / "events.jsonl"
    env = dict(env or {})
    # The fake machines print what they do; pytest must not capture it.
    env["NIXOS_TEST_PYTEST_ARGS"] = "-s -q " + env.get("NIXOS_TEST_PYTEST_ARGS", "")
    e = dict(os.environ, NIXOS_TEST_EVENTS=str(events), PYTHONPATH=str(PLUGIN_DIR), XDG_RUNTIME_DIR=str(tmp_path), **env)
    e.pop("PYTEST_ADDOPTS", None)
    p = subprocess.run([str(driver / "bin" / "nixos-test-driver")], capture_output=True, text=True, env=e, cwd=tmp_path, timeout=120)
    return {
        "status": "passed" if p.returncode == 0 else f"failed ({p.returncode})",
        # pytest's progress dots share lines with what the script prints;
        # the driver's own lines are on stderr.
        "log": [line.lstrip(".") for line in p.stdout.splitlines() if line.lstrip(".") and not line.startswith(("=", " ", "platform", "rootdir", "collected", "/"))],
        "driver": p.stderr.splitlines(),
        "events": [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else [],
        "output": p.stdout + p.stderr,
    }


def outcomes(result):
    return {(e["event"], e["test"]) for e in result["events"] if "test" in e}


def test_parameters_resolve_to_machines_started_on_first_use(tmp_path):
    r = run(tmp_path, """
        def test_fetch(server, client):
            # Started, as the real driver starts a VM: `is_up()` only once
            # the guest's shell has connected (the first command).
            assert server.booted and not server.is_up()
            client.succeed("echo fetched")
            assert client.is_up()
            print(f"{type(server).__name__} {server.name}")
        """, machines="server,client,idle")
    assert r["status"] == "passed", r["output"]
    assert "server: starting vm" in r["driver"] and "client: starting vm" in r["driver"]
    assert "idle: starting vm" not in r["driver"]
    assert "client: must succeed: echo fetched" in r["driver"]
    assert "QemuMachine server" in r["log"]
    assert ("test_pass", "test_fetch") in outcomes(r)


def test_every_generation_gives_machine_fixtures(tmp_path):
    # early 2026 has no `machines` global (the plugin takes
    # `driver.machines`); 2025 has one `Machine` class.
    for generation in ("2025", "early-2026", "newest"):
        (tmp_path / generation).mkdir()
        r = run(tmp_path / generation, """
            def test_fetch(server, client):
                client.succeed("echo fetched")
            """, generation=generation)
        assert r["status"] == "passed", (generation, r["output"])
        assert ("test_pass", "test_fetch") in outcomes(r), generation


def test_selection_by_name_and_by_keyword(tmp_path):
    script = """
        def test_one(server):
            print("one")

        def test_two(server):
            print("two")
        """
    r = run(tmp_path, script, env={"NIXOS_TEST_SELECT": "test_two"})
    assert "two" in r["log"] and "one" not in r["log"]
    r = run(tmp_path, script, env={"NIXOS_TEST_PYTEST_ARGS": "-k one"})
    assert "one" in r["log"] and "two" not in r["log"]


def test_parametrize_and_driver_fixtures(tmp_path):
    r = run(tmp_path, """
        import pytest

        @pytest.mark.parametrize("path", ["/", "/index.html"])
        def test_paths(client, path, driver, vlan1, machines):
            client.succeed(f"echo http://server{path}")
            assert len(machines) == 2 and vlan1.nr == 1
        """, vlans="1")
    assert r["status"] == "passed", r["output"]
    assert "client: must succeed: echo http://server/" in r["driver"]
    assert "client: must succeed: echo http://server/index.html" in r["driver"]
    assert sum(1 for e in r["events"] if e["event"] == "test_pass") == 2


def test_a_parametrized_argument_named_like_a_fixture_is_still_a_test(tmp_path):
    # The linter and the Run lenses take this for a test: so does the plugin.
    r = run(tmp_path, """
        import pytest

        @pytest.mark.parametrize("fixture_path", ["/a"])
        def test_path(client, fixture_path):
            client.succeed(f"echo {fixture_path}")
        """)
    assert r["status"] == "passed", r["output"]
    assert ("test_pass", "test_path[/a]") in outcomes(r), r["events"]


def test_failures_carry_rewritten_assertions_and_the_script_line(tmp_path):
    r = run(tmp_path, """
        def test_page(server):
            out = server.succeed("echo apache")
            assert out == "nginx", "unexpected page"

        def test_command(client):
            client.succeed("false")
        """)
    assert r["status"].startswith("failed"), r["output"]
    fails = {e["test"]: e for e in r["events"] if e["event"] == "test_fail"}
    assert fails["test_page"]["line"] == 4
    assert "assert 'apache\\n' == 'nginx'" in fails["test_page"]["message"], fails["test_page"]["message"]
    assert fails["test_command"]["line"] == 7
    assert "command `false` failed" in fails["test_command"]["message"]


def test_legacy_script_runs_unchanged(tmp_path):
    r = run(tmp_path, """
        server.start()
        server.succeed("true")
        def helper(x):
            return x
        """)
    assert r["status"] == "passed", r["output"]
    assert [line for line in r["driver"] if line.startswith("server: must")] == ["server: must succeed: true"]
    assert r["events"] == []
    assert "test session starts" not in r["output"]


def test_mixed_script_runs_module_code_first(tmp_path):
    r = run(tmp_path, """
        print("module")
        PORT = 80

        def test_after(server):
            print(f"test {PORT}")
        """)
    assert r["log"].index("module") < r["log"].index("test 80")


def test_unknown_fixture_is_a_failure(tmp_path):
    r = run(tmp_path, """
        def test_ping(server, carol):
            pass
        """)
    assert r["status"].startswith("failed")
    fail = next(e for e in r["events"] if e["event"] == "test_fail")
    assert fail["phase"] == "setup" and "carol" in fail["message"]


def test_user_fixtures_and_junit_xml(tmp_path):
    junit = tmp_path / "junit.xml"
    r = run(tmp_path, """
        import pytest

        @pytest.fixture
        def token():
            return "secret"

        def test_token(token, server):
            assert token == "secret"
        """, env={"NIXOS_TEST_PYTEST_ARGS": f"--junitxml={junit}"})
    assert r["status"] == "passed", r["output"]
    assert 'name="test_token"' in junit.read_text()
