//! Bounded reads of regular files.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use rustix::fs::{Mode, OFlags};

/// Inputs larger than this are refused, with a message, not analysed.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A configuration file is a few lines; anything bigger is not one.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not a regular file ({0}): refused without reading")]
    NotRegular(&'static str),
    #[error("file is larger than the {} MB limit", .0 >> 20)]
    TooLarge(u64),
    #[error("not UTF-8 text (invalid byte at offset {0})")]
    NotUtf8(usize),
    #[error("{0}")]
    Outside(String),
}

fn kind(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else {
        "not a regular file"
    }
}

/// Opens `path` without blocking (a FIFO without a writer, a terminal) and
/// without becoming its controlling terminal, then checks the type of what
/// was opened, not of what the path named before.
fn open_regular(path: &Path) -> Result<(File, u64), ReadError> {
    let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC, Mode::empty())
        .map_err(std::io::Error::from)?;
    let file = File::from(fd);
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(ReadError::NotRegular(kind(meta.file_type())));
    }
    Ok((file, meta.len()))
}

/// The bytes of the regular file at `path`, at most `limit` of them.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let (file, len) = open_regular(path)?;
    if len > limit {
        return Err(ReadError::TooLarge(limit));
    }
    // The size may change between fstat and read (or lie, on /proc): the
    // reader itself stops one byte past the limit.
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(bytes)
}

/// The text of the regular file at `path` (UTF-8), at most `limit` bytes.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bytes(path, limit)?;
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_fifos_and_directories_are_refused_without_reading() {
        for dev in ["/dev/zero", "/dev/urandom", "/dev/null"] {
            assert!(matches!(read_bytes(Path::new(dev), 10), Err(ReadError::NotRegular(_))), "{dev}");
        }
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read_bytes(dir.path(), 10), Err(ReadError::NotRegular("a directory"))));
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(rustix::fs::CWD, &fifo, rustix::fs::FileType::Fifo, Mode::from_raw_mode(0o600), 0).unwrap();
        // Would block forever with a plain open.
        assert!(matches!(read_bytes(&fifo, 10), Err(ReadError::NotRegular("a FIFO"))));
        let link = dir.path().join("zero.py");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(matches!(read_bytes(&link, 10), Err(ReadError::NotRegular(_))));
    }

    #[test]
    fn the_limit_holds_and_text_must_be_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a");
        std::fs::write(&f, b"hello").unwrap();
        assert_eq!(read_text(&f, 5).unwrap(), "hello");
        assert!(matches!(read_bytes(&f, 4), Err(ReadError::TooLarge(4))));
        std::fs::write(&f, b"ab\xff").unwrap();
        assert!(matches!(read_text(&f, 5), Err(ReadError::NotUtf8(2))));
    }
}
