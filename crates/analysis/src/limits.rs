//! The bounds that keep analysis finite on hostile input.
//!
//! Syntax trees are walked recursively: by rnix's parser (`[`, `++`, `//`,
//! `!`, `-` recurse without its own depth check), by rowan when a tree is
//! freed, by ruff's parser and visitors, and by ours. A stack overflow aborts
//! the process and no `catch_unwind` helps, so instead:
//!
//! - every shell runs analysis on threads with [`ANALYSIS_STACK_BYTES`] of
//!   stack (reserved address space, touched only as deep as used);
//! - an input up to [`SCAN_ABOVE_BYTES`] cannot nest deeper than that stack
//!   holds (nesting needs at least one token per level);
//! - a larger input is scanned token by token, without recursion, for an
//!   upper bound of its tree depth; beyond [`MAX_NESTING`] it is reported
//!   once as "nested too deeply to analyse" and not analysed. Nix is scanned
//!   before rnix parses it; Python after ruff's parser (which grows its own
//!   stack) from the parser's own tokens, and a tree too deep is freed on a
//!   stack segment of its own ([`drop_deep`]).
//!
//! Static evaluation of the script is bounded in bytes produced and steps
//! taken ([`MAX_SCRIPT_BYTES`], [`MAX_EVAL_STEPS`]): a `let` chain that doubles
//! a string, or a file read sixty times, stops at the budget.

use ruff_python_ast::token::{Token, TokenKind};

/// Stack of every thread that runs analysis.
pub const ANALYSIS_STACK_BYTES: usize = 128 * 1024 * 1024;

/// Inputs up to this size are not scanned for depth (see the module doc).
pub const SCAN_ABOVE_BYTES: usize = 16 * 1024;

/// Upper bound of tree depth accepted in a large input. rnix stops at 512
/// levels of `parse_expr` with its own error; we stop before, so valid but
/// deep Nix is "too deep to analyse", never a false syntax error.
pub const MAX_NESTING: usize = 500;

/// Longest chain of operators (or applications) accepted in one expression
/// of a large input: chains make trees as deep as they are long.
pub const MAX_CHAIN: usize = 10_000;

/// The most Python text a script may produce (holes, `readFile`s included).
pub const MAX_SCRIPT_BYTES: usize = 16 * 1024 * 1024;

/// The most lowering steps spent on one script.
pub const MAX_EVAL_STEPS: usize = 100_000;

/// Depth bound over a token stream: brackets nest, and every operator in an
/// expression deepens the tree by one until a separator ends the expression.
#[derive(Default)]
struct DepthBound {
    /// Per open bracket: the chain length outside it.
    stack: Vec<usize>,
    chain: usize,
    total: usize,
}

impl DepthBound {
    fn open(&mut self) {
        self.stack.push(self.chain);
        self.total += 1;
        self.chain = 0;
    }
    fn close(&mut self) {
        if let Some(outer) = self.stack.pop() {
            self.total = self.total.saturating_sub(self.chain + 1);
            self.chain = outer;
        }
    }
    fn deepen(&mut self) {
        self.chain += 1;
        self.total += 1;
    }
    fn separate(&mut self) {
        self.total = self.total.saturating_sub(self.chain);
        self.chain = 0;
    }
    fn exceeded(&self) -> Option<String> {
        if self.stack.len() > MAX_NESTING {
            Some(format!("more than {MAX_NESTING} levels of brackets"))
        } else if self.total > MAX_CHAIN {
            Some(format!("an expression more than {MAX_CHAIN} levels deep"))
        } else {
            None
        }
    }
}

/// Why the Nix `source` is too deeply nested to parse, if it is.
pub fn nix_too_deep(source: &str) -> Option<String> {
    use rnix::SyntaxKind::*;
    if source.len() <= SCAN_ABOVE_BYTES {
        return None;
    }
    let mut d = DepthBound::default();
    let mut operand_before = false;
    let mut in_list = Vec::new();
    for (kind, _) in rnix::tokenize(source) {
        let operand_after =
            matches!(kind, TOKEN_IDENT | TOKEN_INTEGER | TOKEN_FLOAT | TOKEN_STRING_END | TOKEN_R_PAREN | TOKEN_R_BRACK | TOKEN_R_BRACE)
                || matches!(kind, TOKEN_PATH_ABS | TOKEN_PATH_HOME | TOKEN_PATH_REL | TOKEN_PATH_SEARCH | TOKEN_URI);
        let starts_operand = operand_after && !matches!(kind, TOKEN_STRING_END | TOKEN_R_PAREN | TOKEN_R_BRACK | TOKEN_R_BRACE)
            || matches!(kind, TOKEN_STRING_START | TOKEN_L_PAREN | TOKEN_L_BRACK | TOKEN_L_BRACE);
        // `f a b`: an application nests, items of a list do not.
        if operand_before && starts_operand && !in_list.last().copied().unwrap_or(false) {
            d.deepen();
        }
        match kind {
            TOKEN_WHITESPACE | TOKEN_COMMENT => continue,
            TOKEN_L_PAREN | TOKEN_L_BRACE | TOKEN_L_BRACK | TOKEN_INTERPOL_START | TOKEN_STRING_START => {
                in_list.push(kind == TOKEN_L_BRACK);
                d.open();
            }
            TOKEN_R_PAREN | TOKEN_R_BRACE | TOKEN_R_BRACK | TOKEN_INTERPOL_END | TOKEN_STRING_END => {
                in_list.pop();
                d.close();
            }
            TOKEN_SEMICOLON | TOKEN_COMMA => d.separate(),
            TOKEN_ADD | TOKEN_SUB | TOKEN_MUL | TOKEN_DIV | TOKEN_CONCAT | TOKEN_UPDATE | TOKEN_AND_AND | TOKEN_OR_OR
            | TOKEN_IMPLICATION | TOKEN_EQUAL | TOKEN_NOT_EQUAL | TOKEN_LESS | TOKEN_LESS_OR_EQ | TOKEN_MORE | TOKEN_MORE_OR_EQ
            | TOKEN_INVERT | TOKEN_QUESTION | TOKEN_PIPE_LEFT | TOKEN_PIPE_RIGHT | TOKEN_COLON | TOKEN_LET | TOKEN_WITH | TOKEN_ASSERT
            | TOKEN_IF | TOKEN_THEN | TOKEN_ELSE | TOKEN_IN => d.deepen(),
            _ => {}
        }
        operand_before = operand_after;
        if let Some(why) = d.exceeded() {
            return Some(why);
        }
    }
    None
}

/// Why a Python script of `len` bytes is too deeply nested to analyse, if
/// it is: its tokens (from the parser, which grows its own stack) give an
/// upper bound of the tree's depth.
pub fn python_too_deep(len: usize, tokens: &[Token]) -> Option<String> {
    if len <= SCAN_ABOVE_BYTES {
        return None;
    }
    let mut d = DepthBound::default();
    for t in tokens {
        match t.kind() {
            TokenKind::Lpar | TokenKind::Lsqb | TokenKind::Lbrace => d.open(),
            TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace => d.close(),
            TokenKind::Newline | TokenKind::Comma | TokenKind::Semi => d.separate(),
            TokenKind::Lambda | TokenKind::If | TokenKind::Else | TokenKind::Await => d.deepen(),
            k if k.is_operator() => d.deepen(),
            _ => {}
        }
        // CPython's own limit on brackets is 200 ("too many nested parentheses").
        if d.stack.len() > 200 {
            return Some("more than 200 levels of brackets (CPython refuses it too)".into());
        }
        if let Some(why) = d.exceeded() {
            return Some(why);
        }
    }
    None
}

/// Frees a tree that may be too deep for this thread's stack: on a stack
/// segment of its own, sized for the script (touched only as deep as used).
pub fn drop_deep<T>(tree: T, len: usize) {
    stacker::grow(len.saturating_mul(256).max(1 << 20), move || drop(tree));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn padded(s: String) -> String {
        format!("{s}\n{}", "# padding\n".repeat(SCAN_ABOVE_BYTES / 8))
    }

    #[test]
    fn deep_nix_is_found_without_recursion() {
        assert!(nix_too_deep(&padded(format!("{}1{}", "[ ".repeat(50_000), " ]".repeat(50_000)))).is_some());
        assert!(nix_too_deep(&padded(format!("x = {}1;", "a ++ ".repeat(20_000)))).is_some());
        assert!(nix_too_deep(&padded(format!("x = {};", "!".repeat(20_000) + "true"))).is_some());
        // Wide is fine: a long list, many attributes, many short expressions.
        let wide = format!("{{ l = [ {} ]; {} }}", "a b ".repeat(20_000), "x = a + b; ".repeat(5_000));
        assert_eq!(nix_too_deep(&wide), None);
        // Brackets inside strings and comments do not count.
        assert_eq!(nix_too_deep(&padded(format!("x = \"{}\"; # {}", "(".repeat(5_000), "[".repeat(5_000)))), None);
    }

    fn python(text: &str) -> Option<String> {
        let parsed = crate::parse_script(text, ruff_python_ast::PythonVersion::PY313).unwrap();
        let why = python_too_deep(text.len(), parsed.tokens());
        drop_deep(parsed, text.len());
        why
    }

    #[test]
    fn deep_python_is_found_without_recursion() {
        assert!(python(&padded(format!("x = {}1", "1 + ".repeat(20_000)))).is_some());
        assert!(python(&padded(format!("x = {}1{}", "(".repeat(300), ")".repeat(300)))).is_some());
        let wide = format!("x = [{}]\n", "1, ".repeat(20_000)) + &"y = a + b\n".repeat(5_000);
        assert_eq!(python(&wide), None);
        assert_eq!(python(&padded(format!("s = '{}'", "+".repeat(30_000)))), None);
    }
}
