//! The Nix side: parse a file with `rnix`, find the test definitions in it,
//! their nodes and options, and extract each `testScript` with a source map.

mod model;
mod script;
pub mod strings;
mod syntax;

pub use model::{Node, NodeKind, TestDef, TestFile, TestOptions, pythonize};
pub use script::{HOLE_PREFIX, ReadFile, ScriptSource, ScriptStatus};

/// Reads the files a testScript names with `builtins.readFile`. Analysis does
/// no I/O itself: the shell (CLI, server) decides how to read.
pub trait FileLoader {
    /// `base` is the Nix file's path, `rel` the path literal as written.
    fn read(&self, base: &str, rel: &str) -> Result<(String, String), String>;
}

/// Where `builtins.readFile ./rel` in the Nix file at `base` reads from:
/// relative to the file's directory, as Nix resolves path literals.
pub fn read_path(base: &str, rel: &str) -> std::path::PathBuf {
    std::path::Path::new(base).parent().unwrap_or(std::path::Path::new(".")).join(rel)
}

/// A loader for callers that have no file system (tests, stdin).
pub struct NoFiles;

impl FileLoader for NoFiles {
    fn read(&self, _base: &str, rel: &str) -> Result<(String, String), String> {
        Err(format!("cannot read `{rel}` here"))
    }
}
