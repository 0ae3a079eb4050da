//! A deterministic corpus of realistic NixOS test files for the benchmarks:
//! several nodes, `let` bindings, holes in strings, subtests, loops,
//! f-strings, fixture-mode functions; 40 to 160 lines of script each.

/// A tiny LCG: the same corpus on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407))
    }
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

const UNITS: &[&str] =
    &["nginx.service", "sshd.service", "postgresql.service", "multi-user.target", "network-online.target", "redis.service"];

/// One test: the Nix file, and its script as the driver sees it (holes evaluated).
pub fn test_file(i: usize, blocks: usize) -> (String, String) {
    let mut r = Rng::new(i as u64);
    let clients = 1 + r.below(3);
    let port = 8000 + i % 1000;
    let mut nodes = String::from(
        "    server = { ... }: {\n      services.nginx.enable = true;\n      networking.firewall.allowedTCPPorts = [ port ];\n    };\n",
    );
    for c in 0..clients {
        nodes.push_str(&format!("    client{c} = {{ pkgs, ... }}: {{\n      environment.systemPackages = [ pkgs.curl ];\n    }};\n"));
    }
    let mut script = String::from(
        "import json\nfrom datetime import timedelta\n\nstart_all()\nserver.wait_for_unit(\"nginx.service\")\nserver.wait_for_open_port(@PORT@)\n\n",
    );
    for b in 0..blocks {
        let c = r.below(clients);
        let unit = UNITS[r.below(UNITS.len())];
        match r.below(4) {
            0 => script.push_str(&format!(
                "with subtest(\"block {b}: {unit}\"):\n    client{c}.wait_for_unit(\"{unit}\")\n    out = client{c}.succeed(\"curl -sf http://server:@PORT@/{b}\")\n    assert \"ok\" in out, f\"unexpected page {{out!r}}\"\n\n"
            )),
            1 => script.push_str(&format!(
                "for attempt in range({}):\n    status, output = server.execute(\"systemctl is-active {unit}\")\n    if status == 0:\n        break\n    server.sleep(duration=timedelta(seconds=1))\nelse:\n    raise Exception(f\"{unit} never came up: {{output}}\")\n\n",
                2 + r.below(5)
            )),
            2 => script.push_str(&format!(
                "data = json.loads(server.succeed(\"cat /etc/test-{b}.json\"))\nt.assertEqual(data[\"id\"], {b})\nclient{c}.wait_until_succeeds(\"ping -c1 server\", timeout=timedelta(seconds=30))\n\n"
            )),
            _ => script.push_str(&format!(
                "def check_{b}(machine):\n    machine.wait_for_file(\"/run/marker-{b}\")\n    return machine.succeed(\"cat /run/marker-{b}\").strip()\n\n\nassert check_{b}(client{c}) == \"{b}\"\n\n"
            )),
        }
    }
    script.push_str("\ndef test_server_answers(server, client0):\n    client0.succeed(f\"curl -sf http://server:@PORT@/\")\n");
    let nix_script: String = script
        .replace("@PORT@", "${toString port}")
        .lines()
        .map(|l| if l.is_empty() { String::from("\n") } else { format!("    {l}\n") })
        .collect();
    let nix = format!(
        "# Generated benchmark test {i}.\n{{ pkgs, lib, ... }}:\nlet\n  port = {port};\nin\n{{\n  name = \"bench-{i}\";\n\n  nodes = {{\n{nodes}  }};\n\n  testScript = ''\n{nix_script}  '';\n}}\n"
    );
    (nix, script.replace("@PORT@", &port.to_string()))
}

/// The corpus: `n` tests of varying length.
pub fn corpus(n: usize) -> Vec<(String, String)> {
    (0..n).map(|i| test_file(i, 6 + Rng::new(i as u64 + 7).below(20))).collect()
}
