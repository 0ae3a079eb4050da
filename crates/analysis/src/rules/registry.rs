//! Every `NT` rule: code, name, default severity and the text `--explain`
//! prints (What it does / Why is this bad? / Example / Use instead).

use crate::diagnostics::Severity;

#[derive(Debug)]
pub struct RuleInfo {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub explanation: &'static str,
}

macro_rules! rules {
    ($($code:literal $name:literal $sev:ident $doc:literal;)*) => {
        pub static RULES: &[RuleInfo] = &[$(RuleInfo { code: $code, name: $name, severity: Severity::$sev, explanation: $doc }),*];
    };
}

rules! {
"NT001" "python-syntax-error" Error "## What it does
Reports Python syntax errors in the extracted testScript, at their place in the Nix file. The script is parsed as the driver's Python (3.13 by default; `python-version` in the configuration). An unbalanced bracket is reported once, at the bracket, as CPython does (\"'(' was never closed\"); what the parser reports after it comes from its recovery and is left out.

## Why is this bad?
The driver `exec`s the script; a syntax error fails the test before any VM starts, after a long build.

## Example
```python
with subtest(\"boot\")
    machine.wait_for_unit(\"multi-user.target\")
```

## Use instead
```python
with subtest(\"boot\"):
    machine.wait_for_unit(\"multi-user.target\")
```";
"NT002" "script-not-static" Info "## What it does
Says once, with the reason, that a testScript (or a part of it) is computed by Nix in a way this tool does not evaluate, e.g. `testScript = import ./script.nix { };`.

## Why is this bad?
It is not: it explains why the unknown part is not checked. Names the unknown part could define are not reported as undefined.

## Example
```nix
testScript = (import ./helpers.nix { }) + ''machine.succeed(\"true\")'';
```

## Use instead
Literal strings, `builtins.readFile ./test.py`, `lib.optionalString`, `+`, `if … then … else …` (both branches checked), `lib.concatStringsSep`/`concatMapStringsSep`, and functions of the file's `let` applied to arguments are all understood. Nodes are read from attrsets, `//`, `let`, `inherit`, `lib.mkMerge`, `lib.genAttrs`/`listToAttrs` over literal lists, `if`, and relative `imports`/`import` files of the repository. A file nested too deeply to analyse, or a script too large to evaluate statically, is reported here once too.";
"NT003" "nix-syntax-error" Error "## What it does
Reports a Nix syntax error in the test file.

## Why is this bad?
Nix cannot evaluate the file; the tests in it are checked as far as the parser recovered.

## Example
```nix
{ nodes.machine = { }  testScript = \"\"; }
```

## Use instead
```nix
{ nodes.machine = { }; testScript = \"\"; }
```";
"NT101" "undefined-name-typo" Error "## What it does
Reports a name that is not defined but is close to a node, a driver global or a name the script (or the enclosing function) defines, with the likely intended name. The receiver of a Machine method is matched against machines only. Where part of the script or of the nodes is not statically known, the name could be defined there: a near miss is then reported as a warning, and a name close to nothing is not reported.

## Why is this bad?
The driver creates one global per node; a misspelt node name is a `NameError` at run time, after every VM has booted.

## Example
```python
bobb.wait_for_unit(\"multi-user.target\")
```

## Use instead
```python
bob.wait_for_unit(\"multi-user.target\")
```";
"NT102" "node-name-keyword" Error "## What it does
Reports a node whose Python name is a Python keyword (`class`, `if`, ...).

## Why is this bad?
The script cannot refer to the node at all, and the typed build script has a syntax error.

## Example
```nix
nodes.class = { };
```

## Use instead
```nix
nodes.classroom = { };
```";
"NT103" "node-name-shadows" Warning "## What it does
Reports a node whose Python name hides a driver global (`log`, `t`, `driver`, `machines`, ...) or a Python builtin (`id`, `print`, ...).

## Why is this bad?
Machines are merged into the script's globals after the driver's own, so the node silently replaces the global.

## Example
```nix
nodes.log = { };
```

## Use instead
```nix
nodes.logserver = { };
```";
"NT104" "node-name-collision" Error "## What it does
Reports two nodes whose names become the same Python identifier (`a-b` and `a_b`).

## Why is this bad?
Only one of them is reachable from the script; which one depends on sort order.

## Example
```nix
nodes.web-server = { }; nodes.web_server = { };
```

## Use instead
Give the nodes names that differ after `-` becomes `_`.";
"NT201" "unknown-machine-attribute" Error "## What it does
Reports a method or attribute that a machine does not have in the selected driver generation, with the closest existing name; also through aliases (`m = server`), loops over node lists, parameters (annotated, or passed machines by every call), functions returning machines, on machine lists (`machines.succeed`), and on what driver methods return (`server.succeed(...)` is a `str`). When the test's nodes are not all known, a name used as a machine and defined nowhere is presumed a node, and findings on it are warnings.

## Why is this bad?
It is an `AttributeError` at run time, after the VMs booted.

## Example
```python
alice.wait_for_unti(\"network-online.target\")
```

## Use instead
```python
alice.wait_for_unit(\"network-online.target\")
```";
"NT202" "vm-only-on-container" Error "## What it does
Reports a QEMU-only method (`screenshot`, `forward_port`, `send_monitor_command`, ...) called on a `containers.<name>` node.

## Why is this bad?
Containers are `NspawnMachine` objects: they have no display, monitor or user-mode NIC.

## Example
```python
db.screenshot(\"db\")   # db is containers.db
```

## Use instead
Use a `nodes.<name>` VM for display tests, or drop the call.";
"NT203" "wrong-arity" Error "## What it does
Reports a driver call with too many positional arguments, a missing required argument, or an argument given twice.

## Why is this bad?
It is a `TypeError` at run time.

## Example
```python
machine.wait_for_unit()
```

## Use instead
```python
machine.wait_for_unit(\"sshd.service\")
```";
"NT204" "unknown-keyword" Error "## What it does
Reports a keyword argument that the driver method does not take, with the closest parameter name.

## Why is this bad?
It is a `TypeError` at run time.

## Example
```python
bob.wait_for_open_port(22, adress=\"127.0.0.1\")
```

## Use instead
```python
bob.wait_for_open_port(22, addr=\"127.0.0.1\")
```";
"NT205" "argument-type" Error "## What it does
Reports a literal argument whose type does not match the driver's signature (a number where a command string is expected, a string where a port number is).

## Why is this bad?
The build's type check (mypy or ty) rejects it, or it fails at run time.

## Example
```python
alice.succeed(42)
```

## Use instead
```python
alice.succeed(\"42\")
```";
"NT206" "single-value-unpacked" Error "## What it does
Reports unpacking the result of a driver method that returns one value, e.g. `rc, out = server.succeed(...)`: `succeed` returns the command's output (`str`), not `(status, output)`.

## Why is this bad?
At run time it raises `ValueError` (too many values to unpack) unless the output happens to have exactly as many characters as there are names; neither ty nor pyflakes reports it.

## Example
```python
rc, out = server.succeed(\"systemctl is-active sshd\")
```

## Use instead
```python
rc, out = server.execute(\"systemctl is-active sshd\")
```";
"NT301" "fixture-not-a-node" Error "## What it does
Reports a parameter of a module-level `def test_...(...)` that names no node, no driver fixture (`driver`, `machines`, `vlan1`, ...), no pytest fixture and no `parametrize` argument.

## Why is this bad?
In fixture mode every parameter is resolved to the node of that name; an unknown name is a pytest fixture error.

## Example
```python
def test_ping(alice, carol):   # there is no node carol
    ...
```

## Use instead
```python
def test_ping(alice, bob):
    ...
```";
"NT302" "duplicate-test-function" Error "## What it does
Reports a second module-level `def test_...` with the same name.

## Why is this bad?
The second definition replaces the first, which then never runs.

## Example
```python
def test_boot(machine): ...
def test_boot(machine): ...
```

## Use instead
Give each test its own name.";
"NT401" "implicit-machine-alias" Warning "## What it does
Reports uses of the implicit `machine` alias when no node is called `machine`.

## Why is this bad?
The driver adds `machine` only when there is exactly one machine in total; newer drivers deprecate it (removal announced for NixOS 27.05), and with a container beside the VM it does not exist at run time at all.

## Example
```python
machine.wait_for_unit(\"sshd.service\")   # the node is nodes.server
```

## Use instead
```python
server.wait_for_unit(\"sshd.service\")
```";
"NT402" "deprecated-method" Warning "## What it does
Reports driver methods that the selected generation deprecates: `copy_from_vm` (use `copy_from_machine`), `shell_interact` (use the SSH backdoor).

## Why is this bad?
Deprecated methods warn on every run and will be removed.

## Example
```python
server.copy_from_vm(\"/etc/ssh/sshd_config\")
```

## Use instead
```python
server.copy_from_machine(\"/etc/ssh/sshd_config\")
```";
"NT403" "numeric-duration" Warning "## What it does
Reports a bare number of seconds passed where the newest driver expects a `datetime.timedelta` (`timeout=`, `delay=`, ...).

## Why is this bad?
Since nixpkgs #542374 every duration takes a `timedelta`; bare numbers still work but warn, and are ambiguous (seconds? tries?).

## Example
```python
server.wait_for_unit(\"sshd.service\", timeout=30)
```

## Use instead
```python
from datetime import timedelta
server.wait_for_unit(\"sshd.service\", timeout=timedelta(seconds=30))
```";
"NT404" "deprecated-parameter" Warning "## What it does
Reports deprecated parameters: `retry(timeout_seconds=)` (use `timeout=timedelta(...)`), `sleep(secs)` (use `duration=timedelta(...)`).

## Why is this bad?
They warn on every run and will be removed.

## Example
```python
retry(check, timeout_seconds=5)
```

## Use instead
```python
retry(check, timeout=timedelta(seconds=5))
```";
}

pub fn rule(code: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.code == code)
}

/// The documentation of `code`: ours, or ruff's for its rules.
pub fn explain(code: &str) -> Option<String> {
    if let Some(r) = rule(code) {
        return Some(format!("# {} ({})\n\n{}\n", r.name, r.code, r.explanation));
    }
    super::ruff::explain(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_follows_the_doc_template() {
        for r in RULES {
            for heading in ["## What it does", "## Why is this bad?", "## Example", "## Use instead"] {
                assert!(r.explanation.contains(heading), "{} lacks {heading}", r.code);
            }
        }
        let mut codes: Vec<_> = RULES.iter().map(|r| r.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), RULES.len());
    }
}
