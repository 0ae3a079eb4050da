"""The fixture-mode plugin with real pytest, against fake machines.

Each case runs a small stand-in for the NixOS test driver in a subprocess:
it execs the script into a namespace holding fake machines (as the driver
does), then calls ``nixos_test_pytest.main`` as the appended wrapper would.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent.parent

DRIVER = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[3])
    LOG = []

    class FakeMachine:
        def __init__(self, name):
            self.name = name
            self.up = False
        def is_up(self):
            return self.up
        def start(self):
            self.up = True
            LOG.append(f"start {self.name}")
        def succeed(self, cmd):
            LOG.append(f"{self.name}: {cmd}")
            if "false" in cmd:
                raise Exception(f"command failed: {cmd}")
            return "ok"

    machines = [FakeMachine(n) for n in sys.argv[2].split(",")]
    ns = {"machines": machines, "driver": object(), "vlan1": object(), "LOG": LOG}
    ns.update({m.name: m for m in machines})
    script = sys.argv[1]
    exec(compile(open(script).read(), "<string>", "exec"), ns)
    import nixos_test_pytest
    status = "passed"
    try:
        nixos_test_pytest.main(ns, script)
    except RuntimeError as e:
        status = f"failed: {e}"
    print("RESULT " + json.dumps({"status": status, "log": LOG}))
    """
)


def run(tmp_path, script, machines="server,client", env=None):
    s = tmp_path / "script.py"
    s.write_text(textwrap.dedent(script))
    d = tmp_path / "driver.py"
    d.write_text(DRIVER)
    events = tmp_path / "events.jsonl"
    e = dict(os.environ, NIXOS_TEST_EVENTS=str(events), **(env or {}))
    e.pop("PYTEST_ADDOPTS", None)
    p = subprocess.run([sys.executable, str(d), str(s), machines, str(PLUGIN_DIR)], capture_output=True, text=True, env=e, cwd=tmp_path, timeout=120)
    line = next((l for l in p.stdout.splitlines() if l.startswith("RESULT ")), None)
    assert line, p.stdout + p.stderr
    result = json.loads(line[len("RESULT "):])
    result["events"] = [json.loads(l) for l in events.read_text().splitlines()] if events.exists() else []
    result["output"] = p.stdout
    return result


def outcomes(result):
    return {(e["event"], e["test"]) for e in result["events"] if "test" in e}


def test_parameters_resolve_to_machines_started_on_first_use(tmp_path):
    r = run(tmp_path, """
        def test_fetch(server, client):
            client.succeed("curl http://server")
            LOG.append(f"{type(server).__name__} {server.name}")
        """, machines="server,client,idle")
    assert r["status"] == "passed"
    assert "start server" in r["log"] and "start client" in r["log"]
    assert "start idle" not in r["log"]
    assert "FakeMachine server" in r["log"]
    assert ("test_pass", "test_fetch") in outcomes(r)


def test_selection_by_name_and_by_keyword(tmp_path):
    script = """
        def test_one(server):
            LOG.append("one")

        def test_two(server):
            LOG.append("two")
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
    assert r["status"] == "passed"
    assert "client: curl http://server/" in r["log"] and "client: curl http://server/index.html" in r["log"]
    assert sum(1 for e in r["events"] if e["event"] == "test_pass") == 2


def test_failures_carry_rewritten_assertions_and_the_script_line(tmp_path):
    r = run(tmp_path, """
        def test_page(server):
            out = server.succeed("cat /index.html")
            assert out == "nginx", "unexpected page"

        def test_command(client):
            client.succeed("false")
        """)
    assert r["status"].startswith("failed")
    fails = {e["test"]: e for e in r["events"] if e["event"] == "test_fail"}
    assert fails["test_page"]["line"] == 4
    assert "assert 'ok' == 'nginx'" in fails["test_page"]["message"]
    assert fails["test_command"]["line"] == 7
    assert "command failed: false" in fails["test_command"]["message"]


def test_legacy_script_runs_unchanged(tmp_path):
    r = run(tmp_path, """
        server.start()
        server.succeed("true")
        def helper(x):
            return x
        """)
    assert r["status"] == "passed"
    assert r["log"] == ["start server", "server: true"]
    assert r["events"] == []
    assert "test session starts" not in r["output"]


def test_mixed_script_runs_module_code_first(tmp_path):
    r = run(tmp_path, """
        LOG.append("module")
        PORT = 80

        def test_after(server):
            LOG.append(f"test {PORT}")
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
    assert r["status"] == "passed"
    assert 'name="test_token"' in junit.read_text()
