//! `nix/fixtures-module.nix` and `flake.nix` under the real Nix evaluator.
//! The module system itself is not here (no nixpkgs): a minimal `lib`
//! stands for it, enough to read what the module sets.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::process::Command;

/// The module adds pytest and the plugin to the driver's Python and the
/// plugin's call after the script, and nothing else: no node option, so it
/// fits frameworks with and without containers (the runner's QMP socket
/// comes through `QEMU_OPTS`, not from here).
#[test]
fn the_module_sets_the_drivers_python_and_script_only() {
    let module = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../nix/fixtures-module.nix").canonicalize().unwrap();
    let expr = format!(
        r#"
let
  module = import {};
  lib = {{ mkOption = x: x; types.bool = "bool"; mkIf = c: v: if c then v else {{ }}; mkAfter = x: x; }};
  hostPkgs = {{ callPackage = _: _: "plugin"; }};
  eval = on: (module {{ config.usePytestFixtures = on; inherit lib hostPkgs; }}).config;
  on = eval true;
in {{
  on = builtins.attrNames on;
  off = builtins.attrNames (eval false);
  packages = on.extraPythonPackages {{ pytest = "pytest"; callPackage = _: _: "plugin"; }};
  script = on.testScript;
}}"#,
        module.display()
    );
    let out = match Command::new("nix-instantiate").args(["--eval", "--strict", "--json", "--expr", &expr]).output() {
        Ok(out) => out,
        Err(e) => panic!("nix-instantiate is needed (Debian package nix-bin; `cargo xtask setup` installs it): {e}"),
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["on"], serde_json::json!(["extraPythonPackages", "passthru", "testScript"]), "{v}");
    assert_eq!(v["off"], serde_json::json!([]), "{v}");
    assert_eq!(v["packages"], serde_json::json!(["pytest", "plugin"]), "{v}");
    assert!(v["script"].as_str().unwrap().contains("nixos_test_pytest.main(globals(), source=driver.tests)"), "{v}");
}

/// The flake's package holds every binary, the runner included: a server
/// installed with Nix finds its runner next to itself.
#[test]
fn the_flake_package_builds_all_three_binaries() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    let expr = format!(
        r#"
let
  flake = import {}/flake.nix;
  pkgs = {{ callPackage = _: _: {{ }}; rustPlatform.buildRustPackage = args: args; }};
  nixpkgs = {{
    lib.genAttrs = names: f: builtins.listToAttrs (map (n: {{ name = n; value = f n; }}) names);
    legacyPackages = {{ x86_64-linux = pkgs; aarch64-linux = pkgs; }};
  }};
in (flake.outputs {{ self = {{ }}; inherit nixpkgs; }}).packages.x86_64-linux.default.cargoBuildFlags"#,
        root.display()
    );
    let out = Command::new("nix-instantiate").args(["--eval", "--strict", "--json", "--expr", &expr]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let flags: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    for bin in ["nixos-test-lint", "nixos-test-lsp", "nixos-test-run"] {
        assert!(flags.windows(2).any(|w| w[0] == "-p" && w[1] == bin), "{bin} is not built: {flags:?}");
    }
}
