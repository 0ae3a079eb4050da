"""The fixture-mode plugin with real pytest, against fake machines.

Each case runs the stand-in for the NixOS test driver that the runner's
tests use (crates/runner/tests/fake-driver): it execs the script into a
namespace of fake machines, as the driver does, and the script ends with the
plugin call that the ``usePytestFixtures`` module appends.
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


def run(tmp_path, script, machines="server,client", env=None):
    s = tmp_path / "script.py"
    s.write_text(textwrap.dedent(script) + APPENDED)
    driver = tmp_path / "driver"
    subprocess.run([sys.executable, str(FAKE_DRIVER / "make_driver.py"), str(driver), str(s), machines], check=True, capture_output=True)
    events = tmp_path / "events.jsonl"
    env = dict(env or {})
    # The fake machines print what they do; pytest must not capture it.
    env["NIXOS_TEST_PYTEST_ARGS"] = "-s -q " + env.get("NIXOS_TEST_PYTEST_ARGS", "")
    e = dict(os.environ, NIXOS_TEST_EVENTS=str(events), PYTHONPATH=str(PLUGIN_DIR), **env)
    e.pop("PYTEST_ADDOPTS", None)
    p = subprocess.run([str(driver / "bin" / "nixos-test-driver")], capture_output=True, text=True, env=e, cwd=tmp_path, timeout=120)
    return {
        "status": "passed" if p.returncode == 0 else f"failed ({p.returncode})",
        # pytest's progress dots share lines with what the machines print.
        "log": [line.lstrip(".") for line in p.stdout.splitlines() if line.lstrip(".") and not line.startswith(("=", " ", "platform", "rootdir", "collected", "/"))],
        "events": [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else [],
        "output": p.stdout + p.stderr,
    }


def outcomes(result):
    return {(e["event"], e["test"]) for e in result["events"] if "test" in e}


def test_parameters_resolve_to_machines_started_on_first_use(tmp_path):
    r = run(tmp_path, """
        def test_fetch(server, client):
            client.succeed("curl http://server")
            print(f"{type(server).__name__} {server.name}")
        """, machines="server,client,idle")
    assert r["status"] == "passed", r["output"]
    assert "server: starting" in r["log"] and "client: starting" in r["log"]
    assert "idle: starting" not in r["log"]
    assert "Machine server" in r["log"]
    assert ("test_pass", "test_fetch") in outcomes(r)


def test_machines_come_from_the_driver_where_there_is_no_machines_global(tmp_path):
    # The early-2026 driver: no `machines` global, `driver.machines_qemu`.
    r = run(tmp_path, """
        def test_fetch(server, client):
            client.succeed("curl http://server")
        """, env={"FAKE_DRIVER_GENERATION": "early-2026"})
    assert r["status"] == "passed", r["output"]
    assert ("test_pass", "test_fetch") in outcomes(r)


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
            client.succeed(f"curl http://server{path}")
            assert len(machines) == 2
        """)
    assert r["status"] == "passed", r["output"]
    assert "client: curl http://server/" in r["log"] and "client: curl http://server/index.html" in r["log"]
    assert sum(1 for e in r["events"] if e["event"] == "test_pass") == 2


def test_a_parametrized_argument_named_like_a_fixture_is_still_a_test(tmp_path):
    # The linter and the Run lenses take this for a test: so does the plugin.
    r = run(tmp_path, """
        import pytest

        @pytest.mark.parametrize("fixture_path", ["/a"])
        def test_path(client, fixture_path):
            client.succeed(f"ls {fixture_path}")
        """)
    assert r["status"] == "passed", r["output"]
    assert ("test_pass", "test_path[/a]") in outcomes(r), r["events"]


def test_failures_carry_rewritten_assertions_and_the_script_line(tmp_path):
    r = run(tmp_path, """
        def test_page(server):
            out = server.succeed("cat /index.html")
            assert out == "nginx", "unexpected page"

        def test_command(client):
            client.succeed("false")
        """)
    assert r["status"].startswith("failed"), r["output"]
    fails = {e["test"]: e for e in r["events"] if e["event"] == "test_fail"}
    assert fails["test_page"]["line"] == 4
    assert "assert '0 loaded units listed' == 'nginx'" in fails["test_page"]["message"]
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
    assert r["log"] == ["server: starting", "server: true"]
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
