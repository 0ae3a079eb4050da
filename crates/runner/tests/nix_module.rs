//! `nix/fixtures-module.nix` under the real Nix evaluator: the runner's
//! QMP socket goes to VMs only (`nodeDefaults` where the framework has
//! containers, whose `defaults` would reach containers that have no QEMU),
//! and `defaults` in frameworks from before containers. The module system
//! itself is not here (no nixpkgs): a minimal `lib` stands for it, enough
//! to read what the module sets.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::process::Command;

#[test]
fn the_runner_qmp_socket_is_set_for_vms_only() {
    let module = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../nix/fixtures-module.nix").canonicalize().unwrap();
    let expr = format!(
        r#"
let
  module = import {};
  lib = {{ mkOption = x: x; types.bool = "bool"; mkIf = c: v: if c then v else {{ }}; mkAfter = x: x; }};
  hostPkgs = {{ callPackage = _: _: "plugin"; }};
  eval = options: (module {{ config.usePytestFixtures = true; inherit lib hostPkgs options; }}).config;
  withContainers = eval {{ nodeDefaults = {{ }}; }};
in {{
  withContainers = builtins.attrNames withContainers;
  before = builtins.attrNames (eval {{ }});
  qemu = (withContainers.nodeDefaults {{ config.system.name = "server"; }}).virtualisation.qemu.options;
}}"#,
        module.display()
    );
    let out = match Command::new("nix-instantiate").args(["--eval", "--strict", "--json", "--expr", &expr]).output() {
        Ok(out) => out,
        Err(e) => panic!("nix-instantiate is needed (Debian package nix-bin; `cargo xtask setup` installs it): {e}"),
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names = |k: &str| v[k].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert!(names("withContainers").contains(&"nodeDefaults".into()) && !names("withContainers").contains(&"defaults".into()), "{v}");
    assert!(names("before").contains(&"defaults".into()), "{v}");
    assert_eq!(v["qemu"][0], "-qmp unix:${NIXOS_TEST_RUNNER_QMP_DIR:-$TMPDIR}/server.runner-qmp,server=on,wait=off");
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
