//! Byte offsets to line/column and back (UTF-8 bytes or UTF-16 units).
//! Analysis keeps byte offsets; shells convert with this at their edge.

use ruff_text_size::TextSize;

#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset of the start of each line.
    starts: Vec<u32>,
    text_len: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl LineIndex {
    /// Lines end at `\n`, `\r\n` and a lone `\r`, as the LSP counts them.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        LineIndex { starts, text_len: u32::try_from(text.len()).unwrap_or(u32::MAX) }
    }

    /// 0-based line and 0-based column in `enc` units of `offset`.
    pub fn position(&self, text: &str, offset: TextSize, enc: Encoding) -> (u32, u32) {
        let offset = u32::from(offset).min(self.text_len);
        let line = self.starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = self.starts[line];
        let mut end = offset as usize;
        while end > start as usize && !text.is_char_boundary(end) {
            end -= 1;
        }
        let slice = &text[start as usize..end];
        let col = match enc {
            Encoding::Utf8 => slice.len(),
            Encoding::Utf16 => slice.encode_utf16().count(),
        };
        (u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(col).unwrap_or(u32::MAX))
    }

    /// The byte offset of a 0-based line and column, clamped into the line:
    /// a column past its end is the end of its text, before `\r\n`.
    pub fn offset(&self, text: &str, line: u32, col: u32, enc: Encoding) -> TextSize {
        let Some(&start) = self.starts.get(line as usize) else {
            return TextSize::from(self.text_len);
        };
        let end = self.starts.get(line as usize + 1).map_or(self.text_len, |&e| e);
        let line_text = &text[start as usize..end as usize];
        let mut units = 0u32;
        for (i, c) in line_text.char_indices() {
            if units >= col || c == '\n' || c == '\r' {
                return TextSize::from(start + u32::try_from(i).unwrap_or(0));
            }
            units += match enc {
                Encoding::Utf8 => u32::try_from(c.len_utf8()).unwrap_or(1),
                Encoding::Utf16 => u32::try_from(c.len_utf16()).unwrap_or(1),
            };
        }
        TextSize::from(end)
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_lone_cr_end_lines() {
        let text = "a\r\nbc\rd\ne";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 4);
        assert_eq!(idx.position(text, TextSize::from(6), Encoding::Utf16), (2, 0));
        // Past the end of a CRLF line: before the CR, never between CR and LF.
        assert_eq!(idx.offset(text, 0, 99, Encoding::Utf16), TextSize::from(1));
        assert_eq!(idx.offset(text, 1, 99, Encoding::Utf8), TextSize::from(5));
    }
}
