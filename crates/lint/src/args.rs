//! Command-line arguments.

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Code frames on the Nix source.
    Human,
    /// A JSON array of findings.
    Json,
    /// GitHub Actions workflow annotations.
    Github,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    pub fn enabled(self) -> bool {
        use std::io::IsTerminal;
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }
}

/// Lint the Python testScript of NixOS VM tests, located in the Nix source.
///
/// Exit status: 0 clean, 1 findings (warnings or errors), 2 usage or I/O error.
#[derive(Debug, Parser)]
#[command(name = "nixos-test-lint", version, about, long_about = None)]
pub struct Args {
    /// Nix files, or directories to search for NixOS tests (recursively).
    pub paths: Vec<String>,

    /// Read one file from standard input.
    #[arg(long)]
    pub stdin: bool,

    /// The file name to report (and to resolve `readFile` against) with --stdin.
    #[arg(long, requires = "stdin")]
    pub stdin_filename: Option<String>,

    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,

    /// Rules to check (codes or prefixes: NT101, NT2, F, ALL); replaces the default set.
    #[arg(long, value_delimiter = ',')]
    pub select: Option<Vec<String>>,

    /// Rules to add to the selection.
    #[arg(long, value_delimiter = ',')]
    pub extend_select: Vec<String>,

    /// Rules not to check.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Print the documentation of a rule and exit.
    #[arg(long, value_name = "CODE")]
    pub explain: Option<String>,

    /// Print counts per rule instead of findings.
    #[arg(long)]
    pub statistics: bool,

    /// Print the extracted Python of each test (holes marked «${...}») instead of linting.
    #[arg(long)]
    pub show_script: bool,

    /// Apply the safe fixes to the files (then report what is left).
    #[arg(long)]
    pub fix: bool,

    /// Apply the unsafe fixes too: the migration of legacy scripts to fixture
    /// mode (implies --fix).
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print what --fix (or --unsafe-fixes) would change as a unified diff;
    /// no file is written. Exit status 1 when there is a change.
    #[arg(long, conflicts_with = "show_script")]
    pub diff: bool,

    /// Driver generation to check against: newest, early-2026 or 2025.
    #[arg(long)]
    pub driver: Option<String>,

    /// Configuration file (default: nixos-test-lint.toml at the repository root).
    #[arg(long)]
    pub config: Option<std::path::PathBuf>,

    /// Ignore any configuration file.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,

    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,

    /// Also type-check every fully known script with ty, as the NixOS build
    /// does (or `type-check = true` in the configuration file).
    #[arg(long)]
    pub type_check: bool,

    /// The ty executable for --type-check (default: the `ty` setting, then `ty` on PATH).
    #[arg(long, env = "NIXOS_TEST_TY", value_name = "PATH")]
    pub ty: Option<std::path::PathBuf>,
}
