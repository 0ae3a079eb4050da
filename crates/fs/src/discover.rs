//! Which files hold tests: the named files, and under directories every
//! `.nix` file that defines a test (contains `testScript`), for the CLI and
//! the server's workspace diagnostics. The walk only lists paths; files are
//! read once, in parallel, by the caller.

use std::path::PathBuf;

pub struct Input {
    pub path: PathBuf,
    /// Found by walking a directory: skipped unless it holds a test.
    pub from_walk: bool,
}

pub struct Found {
    pub files: Vec<Input>,
    pub errors: Vec<(String, String)>,
}

/// Whether a file found by the walk can hold a test.
pub fn may_hold_test(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"testScript").is_some()
}

fn skipped_dir(name: &str) -> bool {
    name.starts_with('.') && name.len() > 1 || matches!(name, "node_modules" | "target" | "result")
}

pub fn inputs(paths: &[String]) -> Found {
    let mut found = Found { files: Vec::new(), errors: Vec::new() };
    for p in paths {
        let path = PathBuf::from(p);
        match std::fs::metadata(&path) {
            Err(e) => found.errors.push((p.clone(), e.to_string())),
            Ok(m) if m.is_dir() => {
                let walker = walkdir::WalkDir::new(&path)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_entry(|e| e.depth() == 0 || !(e.file_type().is_dir() && skipped_dir(&e.file_name().to_string_lossy())));
                for entry in walker {
                    match entry {
                        Err(e) => found.errors.push((p.clone(), e.to_string())),
                        Ok(e) if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "nix") => {
                            found.files.push(Input { path: e.into_path(), from_walk: true });
                        }
                        Ok(_) => {}
                    }
                }
            }
            Ok(_) => found.files.push(Input { path, from_walk: false }),
        }
    }
    found
}
