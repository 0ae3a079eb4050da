//! Which files to lint: the named files, and under directories every `.nix`
//! file that defines a test (contains `testScript`).

use std::path::PathBuf;

pub struct Found {
    pub files: Vec<PathBuf>,
    pub errors: Vec<(String, String)>,
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
                            // A cheap byte search keeps non-test files out of the run.
                            if std::fs::read(e.path()).is_ok_and(|b| memfind(&b, b"testScript")) {
                                found.files.push(e.into_path());
                            }
                        }
                        Ok(_) => {}
                    }
                }
            }
            Ok(_) => found.files.push(path),
        }
    }
    found
}

fn memfind(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
