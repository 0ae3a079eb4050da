//! Reads the files a testScript names with `builtins.readFile`, relative to
//! the Nix file, for the analysis (which does no I/O itself).

use nixos_test_analysis::nix::{FileLoader, read_path};

pub struct FsLoader;

impl FileLoader for FsLoader {
    fn read(&self, base: &str, rel: &str) -> Result<(String, String), String> {
        let path = read_path(base, rel);
        let display = path.display().to_string();
        let meta = std::fs::metadata(&path).map_err(|e| e.to_string())?;
        if meta.len() > super::MAX_FILE_BYTES {
            return Err("the file is too large".into());
        }
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        Ok((display, text))
    }
}
