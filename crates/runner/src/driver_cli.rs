//! How a built driver takes its test script, per generation, read off its
//! wrapper (`bin/nixos-test-driver`, written by nixpkgs' `driver.nix` with
//! makeWrapper; facts in docs/driver-facts.toml):
//!
//! * newest: `--add-flags "--config <driverConfiguration.json>"`; the
//!   script is the JSON's `test_script`, and a second `--config` given
//!   after the wrapper's wins (argparse keeps the last);
//! * early 2026: `--set vmNames/vmStartScripts/testScript …`; 2025:
//!   `--set startScripts/testScript …`. Both take the script as their
//!   positional argument, which overrides the `testScript` default.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use nixos_test_analysis::driver_api::Generation;

use crate::script;

/// The way one driver takes its script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverCli {
    /// Newest: a JSON configuration; `config` is the wrapper's own.
    Config { config: PathBuf },
    /// Early 2026 and 2025: the script positionally; `script` is the
    /// wrapper's `testScript`.
    Positional { generation: Generation, script: PathBuf },
}

impl DriverCli {
    /// Reads the wrapper `text` of the driver built at `driver`.
    pub fn detect(text: &str, driver: &Path) -> Result<DriverCli> {
        let words: Vec<String> = text.lines().flat_map(|l| shlex::split(l).unwrap_or_default()).collect();
        // A path after the flag: `python -c 'import test_driver; ...'` in a
        // hand-made wrapper is not a configuration.
        let config = words.windows(2).rev().find(|w| (w[0] == "--config" || w[0] == "-c") && w[1].starts_with('/'));
        if let Some(config) = config.map(|w| PathBuf::from(&w[1])) {
            return Ok(DriverCli::Config { config });
        }
        let set = |name: &str| {
            let prefix = format!("{name}=");
            words.iter().rev().find_map(|w| w.strip_prefix(&prefix)).map(str::to_string)
        };
        let generation = if set("vmStartScripts").is_some() || set("vmNames").is_some() {
            Generation::Split
        } else if set("startScripts").is_some() {
            Generation::Classic
        } else {
            bail!(
                "{} sets neither --config (newest drivers) nor vmStartScripts (early 2026) nor startScripts (2025): not a NixOS test driver this runner knows",
                driver.join("bin/nixos-test-driver").display()
            );
        };
        let script = set("testScript").map_or_else(|| driver.join("test-script"), PathBuf::from);
        Ok(DriverCli::Positional { generation, script })
    }

    pub fn generation(&self) -> Generation {
        match self {
            DriverCli::Config { .. } => Generation::Newest,
            DriverCli::Positional { generation, .. } => *generation,
        }
    }

    /// The script the driver was built with.
    pub fn original_script(&self) -> Result<PathBuf> {
        match self {
            DriverCli::Config { config } => {
                let json = read_config(config)?;
                let script = json["test_script"].as_str().with_context(|| format!("{}: no test_script", config.display()))?;
                Ok(PathBuf::from(script))
            }
            DriverCli::Positional { script, .. } => Ok(script.clone()),
        }
    }

    /// The arguments that make the driver run `script` with its output in
    /// `out` (newest: a copy of the configuration written into `out`).
    pub fn args(&self, script: &Path, out: &Path, keep_state: bool) -> Result<Vec<OsString>> {
        let mut args: Vec<OsString> = Vec::new();
        match self {
            DriverCli::Config { config } => {
                let mut json = read_config(config)?;
                json["test_script"] = serde_json::Value::String(script.display().to_string());
                let copy = out.join("driver-config.json");
                script::write_private(&copy, serde_json::to_string_pretty(&json)?.as_bytes())?;
                args.extend(["--config".into(), copy.into_os_string()]);
            }
            DriverCli::Positional { .. } => args.push(script.into()),
        }
        args.extend(["-o".into(), out.into()]);
        if keep_state {
            // `--keep-vm-state` (2025) and `--keep-machine-state` alike.
            args.push("-K".into());
        }
        Ok(args)
    }
}

fn read_config(config: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(config).with_context(|| format!("read the driver configuration {}", config.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", config.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three wrappers as makeWrapper writes them.
    #[test]
    fn each_generations_wrapper_is_recognised() {
        let d = Path::new("/nix/store/x-driver");
        let newest = "#! /nix/store/bash/bin/bash -e\nexec -a \"$0\" \"/nix/store/y/bin/.nixos-test-driver-wrapped\"  --config /nix/store/c-driverConfiguration.json --log-level info \"$@\"\n";
        assert_eq!(DriverCli::detect(newest, d).unwrap(), DriverCli::Config { config: "/nix/store/c-driverConfiguration.json".into() });
        let split = "#! /bin/sh -e\nexport vmNames='a b'\nexport vmStartScripts='/s/run-a-vm /s/run-b-vm'\nexport testScript='/nix/store/x-driver/test-script'\nexec /y \"$@\"\n";
        let cli = DriverCli::detect(split, d).unwrap();
        assert_eq!(cli.generation(), Generation::Split);
        assert_eq!(cli.original_script().unwrap(), PathBuf::from("/nix/store/x-driver/test-script"));
        let classic = "#! /bin/sh -e\nexport startScripts=\"/s/run-a-vm\"\nexec /py -c 'import test_driver; test_driver.main()' \"$@\"\n";
        let cli = DriverCli::detect(classic, d).unwrap();
        assert_eq!(cli.generation(), Generation::Classic);
        assert_eq!(cli.original_script().unwrap(), d.join("test-script"), "without testScript, the driver's test-script");
        assert!(DriverCli::detect("#!/bin/sh\nexec python3 x.py\n", d).unwrap_err().to_string().contains("not a NixOS test driver"));
    }

    #[test]
    fn older_drivers_take_the_script_positionally() {
        let cli = DriverCli::Positional { generation: Generation::Classic, script: "/s".into() };
        let args = cli.args(Path::new("/out/test-script.py"), Path::new("/out"), true).unwrap();
        assert_eq!(args, ["/out/test-script.py", "-o", "/out", "-K"].map(OsString::from));
    }
}
