//! `nixos-test-lint`: lint the Python testScript of NixOS VM tests, with
//! findings located in the Nix source. A thin shell over the analysis crate:
//! it finds files, reads them, runs `analyze` in parallel and prints.

mod args;
mod config;
mod fix;
mod output;
mod typecheck;

use std::io::{Read, Write};

use std::process::ExitCode;

use nixos_test_analysis::diagnostics::Severity;
use nixos_test_analysis::{Analysis, Config, lint};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use rayon::prelude::*;

use args::{Args, Format};
use nixos_test_fs::{DiskLoader, MAX_FILE_BYTES, ReadError};

/// One input's outcome: an analysis, or why it could not be read.
pub enum Outcome {
    Analysed(Box<Analysis>),
    Failed {
        path: String,
        error: String,
    },
    /// Found by walking a directory, but it defines no test.
    NotATest,
}

fn main() -> ExitCode {
    let args = parse_args();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nixos-test-lint: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The arguments; `--version` also names the ty that `--type-check` would run.
fn parse_args() -> Args {
    use clap::{CommandFactory, FromArgMatches};
    let mut cmd = Args::command();
    if std::env::args().skip(1).any(|a| a == "--version" || a == "-V") {
        let ty = typecheck::find_ty(None, None).ok();
        let ty = ty.as_deref().and_then(typecheck::version).unwrap_or_else(|| "not found".into());
        let text = format!("{} (type check: {ty}; tested with ty {})", env!("CARGO_PKG_VERSION"), typecheck::TESTED_TY);
        cmd = cmd.version(&*Box::leak(text.into_boxed_str()));
    }
    let matches = cmd.get_matches();
    Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// Reads an input once; `Ok(None)` for a walked file that holds no test.
fn read_text(input: &nixos_test_fs::discover::Input) -> Result<Option<String>, String> {
    let bytes = nixos_test_fs::read_bytes(&input.path, MAX_FILE_BYTES).map_err(|e| e.to_string())?;
    if input.from_walk && !nixos_test_fs::discover::may_hold_test(&bytes) {
        return Ok(None);
    }
    String::from_utf8(bytes).map(Some).map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to()).to_string())
}

/// Standard input, bounded like a file.
fn read_stdin() -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin().lock().take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        anyhow::bail!("standard input: {}", ReadError::TooLarge(MAX_FILE_BYTES));
    }
    String::from_utf8(bytes).map_err(|e| anyhow::anyhow!("standard input: {}", ReadError::NotUtf8(e.utf8_error().valid_up_to())))
}

/// Analysis recurses over syntax trees (ours, rnix's, rowan's, ruff's):
/// every analysis runs on a thread with this much stack, and the analysis
/// bounds nesting so that no input can need more.
const ANALYSIS_STACK: usize = nixos_test_analysis::ANALYSIS_STACK_BYTES;

fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(code) = &args.explain {
        if let Some(rule) = code.strip_prefix("ty:") {
            println!(
                "{code}: a finding of ty's type check (`--type-check`), mapped to the Nix source.\n\nThe NixOS build runs ty on every testScript (unless `skipTypeCheck = true`). The rule is ty's own: https://docs.astral.sh/ty/reference/rules/#{rule}"
            );
            return Ok(ExitCode::SUCCESS);
        }
        return match nixos_test_analysis::rules::explain(code) {
            Some(text) => {
                println!("{text}");
                Ok(ExitCode::SUCCESS)
            }
            None => anyhow::bail!("unknown rule code `{code}`"),
        };
    }
    let settings = config::load(&args)?;
    let loader = DiskLoader::new(&settings.read_roots);
    let config = Config::new(settings).map_err(anyhow::Error::msg)?;
    let pool = rayon::ThreadPoolBuilder::new().stack_size(ANALYSIS_STACK).build()?;
    let mut io_errors = false;

    let mut outcomes: Vec<Outcome> = if args.stdin {
        let text = read_stdin()?;
        let name = args.stdin_filename.clone().unwrap_or_else(|| "<stdin>".into());
        vec![pool.install(|| Outcome::Analysed(Box::new(lint(&name, &text, &loader, &config))))]
    } else {
        if args.paths.is_empty() {
            anyhow::bail!("no input: give files or directories, or --stdin");
        }
        let found = nixos_test_fs::discover::inputs(&args.paths);
        for (path, err) in &found.errors {
            eprintln!("nixos-test-lint: {path}: {err}");
            io_errors = true;
        }
        let outcomes: Vec<Outcome> = pool.install(|| {
            found
                .files
                .par_iter()
                .map(|input| {
                    let display = input.path.display().to_string();
                    match read_text(input) {
                        Ok(Some(text)) => Outcome::Analysed(Box::new(lint(&display, &text, &loader, &config))),
                        Ok(None) => Outcome::NotATest,
                        Err(error) => Outcome::Failed { path: display, error },
                    }
                })
                .collect()
        });
        if found.errors.is_empty() && outcomes.iter().all(|o| matches!(o, Outcome::NotATest)) {
            eprintln!("nixos-test-lint: no NixOS test files found under {}", args.paths.join(", "));
        }
        outcomes
    };

    if args.fix || args.unsafe_fixes || args.diff {
        let unsafe_fixes = args.unsafe_fixes;
        let stdin = args.stdin;
        let results: Vec<Option<fix::Fixed>> = pool.install(|| {
            outcomes
                .par_iter()
                .map(|o| match o {
                    Outcome::Analysed(a) => Some(fix::fix(a, &loader, &config, unsafe_fixes)),
                    _ => None,
                })
                .collect()
        });
        let (mut files, mut fixes, mut migrated) = (0, 0, 0);
        for (outcome, fixed) in outcomes.iter_mut().zip(results) {
            let (Outcome::Analysed(a), Some(mut fixed)) = (&*outcome, fixed) else { continue };
            if stdin && !args.diff {
                // The text goes on down the pipe, fixed or not.
                print!("{}", fixed.text);
            }
            if fixed.text == a.source {
                continue;
            }
            (files, fixes, migrated) = (files + 1, fixes + fixed.fixes, migrated + fixed.migrated);
            let path = a.path.clone();
            if args.diff {
                print!("{}", fix::diff(&path, &a.source, &fixed.text));
                continue;
            }
            if !stdin && let Err(e) = std::fs::write(&path, &fixed.text) {
                eprintln!("nixos-test-lint: {path}: cannot write the fixes: {e}");
                io_errors = true;
                continue;
            }
            // What is left, from the analysis the last round made.
            let left = fixed.analysis.take().unwrap_or_else(|| pool.install(|| lint(&path, &fixed.text, &loader, &config)));
            *outcome = Outcome::Analysed(Box::new(left));
        }
        let verb = if args.diff { "Would fix" } else { "Fixed" };
        let migrations = if migrated > 0 { format!(", {migrated} test(s) migrated to fixture mode") } else { String::new() };
        eprintln!("nixos-test-lint: {verb} {fixes} finding(s) in {files} file(s){migrations}.");
        if migrated > 0 && config.settings.fixtures_module.is_none() {
            eprintln!(
                "nixos-test-lint: note: add the module that declares `usePytestFixtures` to the migrated tests' `imports` (`nixos-test-tools.nixosTestModules.fixtures`), or set `fixtures-module` in nixos-test-lint.toml to have it added."
            );
        }
        if args.diff {
            return Ok(if io_errors {
                ExitCode::from(2)
            } else if files > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            });
        }
        if stdin {
            // The fixed text went to stdout; findings are not mixed into it.
            return Ok(if io_errors { ExitCode::from(2) } else { ExitCode::SUCCESS });
        }
    }

    if (args.type_check || config.settings.type_check) && !args.show_script {
        let checked = typecheck::find_ty(args.ty.as_deref(), config.settings.ty.as_deref())
            .and_then(|ty| typecheck::check(&mut outcomes, &ty, &config));
        if let Err(e) = checked {
            // The other findings are still printed; the exit status says
            // the type check did not happen.
            eprintln!("nixos-test-lint: error: {e:#}");
            io_errors = true;
        }
    }

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.show_script {
        output::show_scripts(&mut out, &outcomes, &config.generation_note())?;
    } else if args.statistics {
        output::statistics(&mut out, &outcomes)?;
    } else {
        let color = args.color.enabled();
        match args.format {
            Format::Human => output::human::write(&mut out, &outcomes, color)?,
            Format::Json => output::json::write(&mut out, &outcomes)?,
            Format::Github => output::github::write(&mut out, &outcomes)?,
            Format::Sarif => output::sarif::write(&mut out, &outcomes)?,
        }
    }
    out.flush()?;
    for o in &outcomes {
        if let Outcome::Failed { path, error } = o {
            eprintln!("nixos-test-lint: {path}: {error}");
            io_errors = true;
        }
    }
    let findings = outcomes.iter().any(|o| match o {
        Outcome::Analysed(a) => a.diagnostics.iter().any(|d| d.severity >= Severity::Warning),
        Outcome::Failed { .. } | Outcome::NotATest => false,
    });
    Ok(if io_errors {
        ExitCode::from(2)
    } else if findings && !args.show_script {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
