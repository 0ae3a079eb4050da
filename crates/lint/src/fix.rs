//! `--fix`, `--unsafe-fixes`, `--diff`: the fixes the findings carry (and,
//! when unsafe fixes are asked for, the migration of legacy scripts to
//! fixture mode) applied to the Nix text, round after round until nothing
//! more applies, as ruff does. Edits into files a test reads are left to
//! the editor.

use nixos_test_analysis::diagnostics::Edit;
use nixos_test_analysis::nix::FileLoader;
use nixos_test_analysis::source_map::FileId;
use nixos_test_analysis::{Analysis, Config, analyze, ide};

/// Rounds before giving up on fixes that keep producing fixes.
const MAX_ROUNDS: usize = 10;

/// What fixing one file did.
pub struct Fixed {
    pub text: String,
    /// Findings fixed (all rounds).
    pub fixes: usize,
    /// Tests migrated to fixture mode.
    pub migrated: usize,
    /// The analysis of `text` when it changed (what is left to report).
    pub analysis: Option<Analysis>,
}

fn apply(text: &str, edits: &[Edit]) -> Option<String> {
    let mut edits: Vec<&Edit> = edits.iter().filter(|e| e.range.file == FileId::Nix).collect();
    edits.sort_by_key(|e| (e.range.range.start(), e.range.range.end()));
    // Overlapping edits are a bug in a fix: then nothing is applied.
    if edits.windows(2).any(|w| w[0].range.range.end() > w[1].range.range.start()) {
        return None;
    }
    let mut out = text.to_string();
    for e in edits.iter().rev() {
        let (start, end) = (usize::from(e.range.range.start()), usize::from(e.range.range.end()));
        if end > out.len() || !out.is_char_boundary(start) || !out.is_char_boundary(end) {
            return None;
        }
        out.replace_range(start..end, &e.new_text);
    }
    Some(out)
}

/// Fixes the file `linted` is the analysis of. Its findings serve the first
/// round (a clean file is not analysed again); a migration needs the parse
/// trees, which the CLI's lint analysis does not keep.
pub fn fix(linted: &Analysis, loader: &dyn FileLoader, config: &Config, unsafe_fixes: bool) -> Fixed {
    let path = linted.path.as_str();
    let mut fixed = Fixed { text: linted.source.clone(), fixes: 0, migrated: 0, analysis: None };
    let module = config.settings.fixtures_module.as_deref();
    // The analysis of `fixed.text`, when it is not `linted`'s.
    let mut current: Option<Analysis> = None;
    for _ in 0..MAX_ROUNDS {
        if current.is_none() && unsafe_fixes && linted.scripts.iter().all(Option::is_none) {
            current = Some(analyze(path, &fixed.text, loader, config));
        }
        let a = current.as_ref().unwrap_or(linted);
        if let Some(all) = ide::fix_all(a)
            && let Some(next) = apply(&fixed.text, &all.edits)
            && next != fixed.text
        {
            fixed.fixes +=
                a.diagnostics.iter().filter(|d| d.fix.as_ref().is_some_and(|f| f.edits.iter().all(|e| all.edits.contains(e)))).count();
            fixed.text = next;
            current = Some(analyze(path, &fixed.text, loader, config));
            continue;
        }
        if !unsafe_fixes {
            break;
        }
        // One migration per round: the next analysis sees its result.
        let migration = (0..a.file.tests.len()).find_map(|i| ide::migrate_to_fixtures(a, i, module));
        match migration.and_then(|m| apply(&fixed.text, &m.edits)) {
            Some(next) if next != fixed.text => {
                fixed.migrated += 1;
                fixed.text = next;
                current = Some(analyze(path, &fixed.text, loader, config));
            }
            _ => break,
        }
    }
    // Only an analysis of changed text is news to the caller.
    fixed.analysis = current.filter(|_| fixed.text != linted.source);
    fixed
}

/// A unified diff of `before` → `after` for `path` (empty when equal).
pub fn diff(path: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    similar::TextDiff::from_lines(before, after).unified_diff().context_radius(3).header(path, path).to_string()
}
