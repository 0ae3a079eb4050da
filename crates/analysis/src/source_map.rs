//! The map from bytes of the extracted Python script back to bytes of the Nix
//! file (or of a file it reads with `builtins.readFile`).
//!
//! Python text is assembled from segments. A *verbatim* segment maps byte for
//! byte; an *escape* (`''$`, `\n`, ...) or a *hole* (`${...}`, or a Nix
//! expression whose value is unknown) maps as a whole to its source range, so
//! a diagnostic inside it covers the whole escape or hole.

pub use ruff_text_size::{TextRange, TextSize};
use serde::Serialize;

/// Which file a source range points into: the Nix file itself, or one of the
/// files read with `builtins.readFile`, numbered across the tests of a file
/// (see [`crate::nix::TestFile::read_file`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FileId {
    Nix,
    Read(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SegmentKind {
    Verbatim,
    Escape,
    Hole,
}

/// What text inserted into a segment's source must be escaped against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Quoting {
    /// Inside `''...''`: `''` and `${` are special.
    Indented,
    /// Inside `"..."`: `"`, `\` and `${` are special.
    Quoted,
    /// A file read with `builtins.readFile`, or a hole: nothing is special.
    Raw,
}

impl Quoting {
    /// Whether `text` can be written into such a source as it is (new
    /// lines in `''…''` need the indentation of their place as well).
    pub fn accepts(self, text: &str) -> bool {
        match self {
            Quoting::Indented => !text.contains("''") && !text.contains("${") && !text.ends_with('\'') && !text.ends_with('$'),
            Quoting::Quoted => !text.contains(['"', '\\']) && !text.contains("${") && !text.ends_with('$'),
            Quoting::Raw => true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub py: TextRange,
    pub src: TextRange,
    pub file: FileId,
    pub kind: SegmentKind,
    pub quoting: Quoting,
}

/// Segments sorted by Python offset; they tile the Python text without gaps.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceMap {
    segments: Vec<Segment>,
}

/// A range in a source file, as the target of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct SourceRange {
    pub file: FileId,
    pub range: TextRange,
}

impl SourceMap {
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Renumbers the read files by `by`: their ids count across the whole
    /// file's tests, not per test.
    pub(crate) fn offset_read_files(&mut self, by: u32) {
        for s in &mut self.segments {
            if let FileId::Read(i) = &mut s.file {
                *i = i.saturating_add(by);
            }
        }
    }

    /// Appends a segment; adjacent verbatim segments that continue each other
    /// in both texts are merged so that the map stays small.
    pub fn push(&mut self, seg: Segment) {
        if seg.py.is_empty() && seg.kind != SegmentKind::Hole {
            return;
        }
        if let Some(last) = self.segments.last_mut()
            && last.kind == SegmentKind::Verbatim
            && seg.kind == SegmentKind::Verbatim
            && last.file == seg.file
            && last.quoting == seg.quoting
            && last.py.end() == seg.py.start()
            && last.src.end() == seg.src.start()
        {
            last.py = TextRange::new(last.py.start(), seg.py.end());
            last.src = TextRange::new(last.src.start(), seg.src.end());
            return;
        }
        self.segments.push(seg);
    }

    /// Drops every segment (or part of one) at or after `py_len`.
    pub fn truncate(&mut self, py_len: TextSize) {
        self.segments.retain(|s| s.py.start() < py_len || s.py.is_empty() && s.py.start() < py_len);
        if let Some(last) = self.segments.last_mut()
            && last.py.end() > py_len
        {
            if last.kind == SegmentKind::Verbatim {
                let cut = last.py.end() - py_len;
                last.src = TextRange::new(last.src.start(), last.src.end() - cut);
            }
            last.py = TextRange::new(last.py.start(), py_len);
        }
    }

    fn segment_at(&self, offset: TextSize) -> Option<&Segment> {
        let idx = self.segments.partition_point(|s| s.py.end() <= offset);
        self.segments.get(idx).or_else(|| self.segments.last())
    }

    /// Maps one Python offset to a source offset. Offsets inside an escape or
    /// hole map to its start; the end of the text maps to the end of the last
    /// segment.
    pub fn to_source_offset(&self, offset: TextSize) -> Option<(FileId, TextSize)> {
        let seg = self.segment_at(offset)?;
        if offset >= seg.py.end() {
            return Some((seg.file, seg.src.end()));
        }
        match seg.kind {
            SegmentKind::Verbatim => Some((seg.file, seg.src.start() + (offset - seg.py.start()))),
            _ => Some((seg.file, seg.src.start())),
        }
    }

    /// Maps a Python range to the source range that covers it. An escape or a
    /// hole touched by the range is covered whole. A range spanning two files
    /// (possible only across `+`) is clipped to the file of its start.
    pub fn to_source(&self, range: TextRange) -> Option<SourceRange> {
        let first = self.segment_at(range.start())?;
        let start = match first.kind {
            SegmentKind::Verbatim if range.start() < first.py.end() => first.src.start() + (range.start() - first.py.start()),
            SegmentKind::Verbatim => first.src.end(),
            _ => first.src.start(),
        };
        let end_probe = if range.is_empty() { range.start() } else { range.end() - TextSize::from(1) };
        let last = self.segment_at(end_probe)?;
        let end = if last.file != first.file {
            first.src.end()
        } else if range.is_empty() && first.kind == SegmentKind::Verbatim {
            start
        } else {
            match last.kind {
                SegmentKind::Verbatim => last.src.start() + (end_probe - last.py.start()) + TextSize::from(1),
                _ => last.src.end(),
            }
        };
        Some(SourceRange { file: first.file, range: TextRange::new(start, end.max(start)) })
    }

    /// Maps a source offset in `file` to the Python offset, if that byte of the
    /// source ended up in the script.
    pub fn to_python_offset(&self, file: FileId, offset: TextSize) -> Option<TextSize> {
        self.segments.iter().find_map(|s| {
            if s.file != file {
                return None;
            }
            let inside = s.src.contains(offset) || (s.src.end() == offset && !s.src.is_empty());
            if !inside {
                return None;
            }
            match s.kind {
                SegmentKind::Verbatim => Some(s.py.start() + (offset - s.src.start()).min(s.py.len())),
                _ => Some(s.py.start()),
            }
        })
    }

    /// The hole segments, in order.
    pub fn holes(&self) -> impl Iterator<Item = &Segment> {
        self.segments.iter().filter(|s| s.kind == SegmentKind::Hole)
    }
}

#[cfg(test)]
mod tests {
    use super::Quoting;

    #[test]
    fn what_each_string_kind_accepts() {
        assert!(Quoting::Indented.accepts("\"true\""));
        assert!(!Quoting::Indented.accepts("a''b") && !Quoting::Indented.accepts("${x}") && !Quoting::Indented.accepts("x'"));
        assert!(!Quoting::Quoted.accepts("\"true\"") && !Quoting::Quoted.accepts("a\\b"));
        assert!(Quoting::Quoted.accepts("'true'"));
        assert!(Quoting::Raw.accepts("anything \" ' ${}"));
        // New lines are fine (their indentation is map_fix's business).
        assert!(Quoting::Raw.accepts("two\nlines") && Quoting::Indented.accepts("two\nlines"));
    }
}
