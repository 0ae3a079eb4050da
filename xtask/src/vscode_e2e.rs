//! `cargo xtask vscode-e2e`: the VS Code extension in a real VS Code.
//!
//! code-server (VS Code in the browser, from the npm registry; it needs
//! Node 24, which the npm package `node@24` provides, and its postinstall run
//! by hand) is installed once under `~/.cache/nixos-test-tools/code-server`.
//! The built `.vsix` is installed into a fresh profile, a workspace with the
//! repository's examples (and `e2e.nix`, whose runs go to a driver stand-in)
//! is opened, and `editors/vscode/e2e/e2e.mjs` drives headless Chromium
//! through puppeteer-core, saving a screenshot of each step in
//! `target/vscode-e2e/`.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{root, tools_dir};

/// Debian packages code-server's postinstall builds native modules with.
pub const BUILD_PACKAGES: [&str; 6] = ["libkrb5-dev", "libx11-dev", "libxkbfile-dev", "libsecret-1-dev", "pkg-config", "build-essential"];

const CODE_SERVER: &str = "code-server@4.139.1";
const NODE: &str = "node@24";
const PUPPETEER: &str = "puppeteer-core@25.16.0";

/// A test whose runs the stand-in driver answers: one test passes, one
/// fails at line 8.
const E2E_NIX: &str = "{\n  nodes.server = { };\n  testScript = ''\n    def test_ok(server):\n        server.succeed(\"true\")\n\n    def test_broken(server):\n        server.succeed(\"false\")\n  '';\n}\n";
const E2E_SCRIPT: &str = "def test_ok(server):\n    server.succeed(\"true\")\n\ndef test_broken(server):\n    server.succeed(\"false\")\n";

fn cache() -> PathBuf {
    tools_dir().join("code-server")
}

fn node_bin() -> PathBuf {
    cache().join("node_modules/.bin")
}

fn path_with_node() -> String {
    format!("{}:{}", node_bin().display(), std::env::var("PATH").unwrap_or_default())
}

/// Node 24, code-server with its native modules built, puppeteer-core.
fn install() -> Result<()> {
    let dir = cache();
    let marker = dir.join(".installed");
    let want = format!("{NODE} {CODE_SERVER} {PUPPETEER}");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == want) {
        return Ok(());
    }
    std::fs::create_dir_all(&dir)?;
    let npm = |args: &[&str]| {
        let mut c = Command::new("npm");
        c.args(args).current_dir(&dir).env("PATH", path_with_node());
        crate::run(&mut c)
    };
    npm(&["install", "--no-audit", "--no-fund", NODE, PUPPETEER])?;
    npm(&["install", "--no-audit", "--no-fund", "--ignore-scripts", CODE_SERVER])?;
    // npm 11 does not run install scripts: code-server's, by hand, with Node 24.
    crate::run(
        Command::new("sh")
            .arg("./postinstall.sh")
            .current_dir(dir.join("node_modules/code-server"))
            .env("PATH", path_with_node())
            .env("npm_config_user_agent", "npm/11 node/v24 linux x64"),
    )?;
    std::fs::write(marker, want)?;
    Ok(())
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Stops code-server with its children when the task ends, however.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["--", &format!("-{}", self.0.id())]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn run() -> Result<()> {
    install()?;
    let vsix = crate::vsix()?;
    let tmp = tempfile::tempdir()?;
    let workspace = tmp.path().join("workspace");
    std::fs::create_dir_all(workspace.join(".git"))?;
    for entry in std::fs::read_dir(root().join("examples"))? {
        let entry = entry?;
        std::fs::copy(entry.path(), workspace.join(entry.file_name()))?;
    }
    std::fs::write(workspace.join("e2e.nix"), E2E_NIX)?;
    let driver = stand_in_driver(tmp.path())?;
    let user = tmp.path().join("user");
    std::fs::create_dir_all(user.join("User"))?;
    std::fs::write(
        user.join("User/settings.json"),
        r#"{ "security.workspace.trust.enabled": false, "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off",
             "workbench.tips.enabled": false, "extensions.ignoreRecommendations": true, "update.mode": "none",
             "chat.disableAIFeatures": true, "workbench.secondarySideBar.defaultVisibility": "hidden" }"#,
    )?;
    std::fs::write(
        user.join("User/keybindings.json"),
        r#"[
  { "key": "ctrl+alt+1", "command": "workbench.view.testing.focus" },
  { "key": "ctrl+alt+2", "command": "testing.runAtCursor" },
  { "key": "ctrl+alt+3", "command": "testing.refreshTests" },
  { "key": "ctrl+alt+4", "command": "workbench.actions.view.problems" },
  { "key": "ctrl+alt+5", "command": "workbench.action.gotoLine" },
  { "key": "ctrl+alt+6", "command": "workbench.action.files.revert" },
  { "key": "ctrl+alt+7", "command": "workbench.action.quickOpen" },
  { "key": "ctrl+alt+8", "command": "nixosTest.showScript" },
  { "key": "ctrl+alt+9", "command": "nixosTest.migrate" }
]"#,
    )?;
    let extensions = tmp.path().join("extensions");
    let code_server = node_bin().join("code-server");
    let profile = |c: &mut Command| {
        c.arg("--user-data-dir").arg(&user).arg("--extensions-dir").arg(&extensions).env("PATH", path_with_node());
    };
    let mut install = Command::new(&code_server);
    profile(&mut install);
    crate::run(install.arg("--install-extension").arg(&vsix))?;

    let port = free_port()?;
    let runtime = tmp.path().join("runtime");
    std::fs::create_dir_all(&runtime)?;
    let mut serve = Command::new(&code_server);
    profile(&mut serve);
    serve
        .args(["--auth", "none", "--bind-addr", &format!("127.0.0.1:{port}"), "--disable-telemetry", "--disable-update-check"])
        .arg(&workspace)
        .env("NIXOS_TEST_DRIVER", &driver)
        .env("XDG_RUNTIME_DIR", &runtime)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut serve, 0);
    let server = Server(serve.spawn().context("start code-server")?);
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("code-server did not listen on port {port} within 60 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // ESM resolves imports next to the script: it runs from the cache,
    // where puppeteer-core is.
    let script = cache().join("e2e.mjs");
    std::fs::copy(root().join("editors/vscode/e2e/e2e.mjs"), &script)?;
    let shots = root().join("target/vscode-e2e");
    let _ = std::fs::remove_dir_all(&shots);
    let result = crate::run(
        Command::new(node_bin().join("node"))
            .arg(&script)
            .env("E2E_URL", format!("http://127.0.0.1:{port}/?folder={}", workspace.display()))
            .env("E2E_SHOTS", &shots)
            .env("CHROMIUM", "/usr/bin/chromium"),
    );
    drop(server);
    result
}

/// The runner's tests' stand-in for the newest driver, whose script is
/// e2e.nix's (runs go to process guests: a real QEMU, the host's bash).
fn stand_in_driver(tmp: &Path) -> Result<PathBuf> {
    let script = tmp.join("e2e-script.py");
    std::fs::write(&script, E2E_SCRIPT)?;
    let driver = tmp.join("driver");
    let python = tools_dir().join("venv/bin/python");
    crate::run(
        Command::new(python)
            .arg(root().join("crates/runner/tests/fake-driver/make_driver.py"))
            .arg(&driver)
            .arg(&script)
            .arg("server")
            .stdout(Stdio::null()),
    )?;
    Ok(driver)
}
