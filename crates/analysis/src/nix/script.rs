//! Extraction of the Python `testScript` from its Nix expression.
//!
//! Handled statically: string literals (both kinds), `${...}` holes, the
//! function form `{ nodes, ... }: ...`, `let ... in`, `+` concatenation,
//! `lib.optionalString c s` (checked as if `c` held), module priorities
//! (`lib.mkBefore` ...), names bound by an enclosing `let`, and
//! `builtins.readFile ./x.py`. Anything else is unknown: a whole unknown
//! script is reported once with the reason; an unknown part of a
//! concatenation becomes a placeholder and is reported the same way.

use rnix::ast;
use rowan::ast::AstNode;
use ruff_text_size::{TextRange, TextSize};
use serde::Serialize;

use super::FileLoader;
use super::strings::{StringSink, lower_string};
use super::syntax::{callee_name, last_segment, range_of, resolve_let, unwrap};
use crate::limits;
use crate::source_map::{FileId, Quoting, Segment, SegmentKind, SourceMap};

/// Every placeholder identifier starts with this; the checks know that such
/// names stand for Nix values.
pub const HOLE_PREFIX: &str = "__nix_hole_";

#[derive(Debug, Clone, Serialize)]
pub struct ReadFile {
    /// Path as resolved by the loader.
    pub path: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ScriptStatus {
    /// Every byte of the script is known (holes aside).
    Known,
    /// Parts are unknown Nix expressions; the reasons, with their ranges.
    Partial(Vec<(String, TextRange)>),
    /// Nothing can be known statically; the reason.
    Unknown(String, TextRange),
}

#[derive(Debug, Clone, Serialize)]
pub struct ScriptSource {
    /// The Python text, holes replaced by placeholder identifiers.
    pub text: String,
    pub map: SourceMap,
    pub status: ScriptStatus,
    /// The files read with `builtins.readFile`, indexed by `FileId::Read`.
    pub read_files: Vec<ReadFile>,
    /// Range of the whole testScript value in the Nix file.
    pub value_range: TextRange,
    /// Script ranges of `else` branches (`if c then ''…'' else ''…''`):
    /// both branches are checked, one after the other, so a definition in
    /// both is no redefinition.
    pub else_branches: Vec<TextRange>,
}

impl ScriptSource {
    pub fn is_unknown(&self) -> bool {
        matches!(self.status, ScriptStatus::Unknown(..))
    }

    /// Placeholder names in the script (one per hole or unknown part).
    pub fn hole_names(&self) -> impl Iterator<Item = &str> {
        self.map.holes().map(|s| &self.text[s.py])
    }

    /// The script with each placeholder shown as the Nix text it stands for
    /// (for `--show-script`): what the driver will run, holes marked.
    pub fn display_text(&self, nix_source: &str) -> String {
        let mut out = String::with_capacity(self.text.len());
        let mut at = 0usize;
        for seg in self.map.holes() {
            let start = usize::from(seg.py.start());
            out.push_str(&self.text[at..start]);
            at = usize::from(seg.py.end());
            if seg.src.is_empty() {
                // The line break placed after an unknown part.
                out.push_str(&self.text[seg.py]);
                continue;
            }
            let nix = match seg.file {
                FileId::Nix => nix_source.get(seg.src.start().into()..seg.src.end().into()).unwrap_or("?"),
                FileId::Read(_) => "?",
            };
            let one_line: String = nix.split_whitespace().collect::<Vec<_>>().join(" ");
            let shown = if one_line.starts_with("${") { one_line } else { format!("${{{one_line}}}") };
            out.push_str(&format!("«{shown}»"));
        }
        out.push_str(&self.text[at..]);
        out
    }
}

struct Builder<'a> {
    source: &'a str,
    path: &'a str,
    loader: &'a dyn FileLoader,
    text: String,
    map: SourceMap,
    unknown: Vec<(String, TextRange)>,
    read_files: Vec<ReadFile>,
    else_branches: Vec<TextRange>,
    holes: usize,
    file: FileId,
    depth: usize,
    /// Lowering steps taken (see `limits::MAX_EVAL_STEPS`).
    steps: usize,
    /// Set when the budget ran out: everything after it is skipped.
    exhausted: bool,
    /// The kind of string being lowered.
    quoting: Quoting,
}

impl StringSink for Builder<'_> {
    fn begin(&mut self, quoting: Quoting) {
        self.quoting = quoting;
    }
    fn text(&mut self, text: &str, src: TextRange, kind: SegmentKind) {
        if !self.spend(text.len()) {
            return;
        }
        let start = TextSize::of(self.text.as_str());
        self.text.push_str(text);
        self.map.push(Segment { py: TextRange::at(start, TextSize::of(text)), src, file: self.file, kind, quoting: self.quoting });
    }
    fn hole(&mut self, src: TextRange) {
        self.placeholder(src, "");
    }
}

impl Builder<'_> {
    /// Whether `bytes` more fit the budget; marks the script exhausted if not.
    fn spend(&mut self, bytes: usize) -> bool {
        if self.exhausted || self.text.len() + bytes > limits::MAX_SCRIPT_BYTES || self.steps > limits::MAX_EVAL_STEPS {
            self.exhausted = true;
        }
        !self.exhausted
    }

    fn placeholder(&mut self, src: TextRange, suffix: &str) {
        let name = format!("{HOLE_PREFIX}{}__", self.holes);
        self.holes += 1;
        let start = TextSize::of(self.text.as_str());
        self.text.push_str(&name);
        self.map.push(Segment {
            py: TextRange::at(start, TextSize::of(name.as_str())),
            src,
            file: self.file,
            kind: SegmentKind::Hole,
            quoting: Quoting::Raw,
        });
        if !suffix.is_empty() {
            let start = TextSize::of(self.text.as_str());
            self.text.push_str(suffix);
            self.map.push(Segment {
                py: TextRange::at(start, TextSize::of(suffix)),
                src: TextRange::empty(src.end()),
                file: self.file,
                kind: SegmentKind::Hole,
                quoting: Quoting::Raw,
            });
        }
    }

    fn unknown_part(&mut self, expr: &ast::Expr, reason: String) {
        let range = range_of(expr);
        self.unknown.push((reason, range));
        // On a line of its own, so that the Python around it still parses.
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
        self.placeholder(range, "\n");
    }

    fn lower(&mut self, expr: ast::Expr) {
        self.steps += 1;
        if !self.spend(0) {
            return;
        }
        if self.depth >= 64 {
            self.unknown_part(&expr, "the script is nested too deeply".into());
            return;
        }
        self.depth += 1;
        let expr = unwrap(expr);
        match &expr {
            ast::Expr::Str(s) => lower_string(self.source, s, self),
            ast::Expr::Lambda(l) => match l.body() {
                Some(body) => self.lower(body),
                None => self.unknown_part(&expr, "the function has no body".into()),
            },
            ast::Expr::LetIn(l) => match l.body() {
                Some(body) => self.lower(body),
                None => self.unknown_part(&expr, "the `let` has no body".into()),
            },
            ast::Expr::BinOp(op) if op.operator() == Some(ast::BinOpKind::Add) => {
                if let Some(l) = op.lhs() {
                    self.lower(l);
                }
                if let Some(r) = op.rhs() {
                    self.lower(r);
                }
            }
            ast::Expr::Apply(app) => self.lower_call(&expr, app),
            // Both branches are checked, the `else` one after the other.
            ast::Expr::IfElse(e) => {
                if let Some(then) = e.body() {
                    self.lower(then);
                }
                if let Some(other) = e.else_body() {
                    self.line_break();
                    let start = TextSize::of(self.text.as_str());
                    self.lower(other);
                    self.else_branches.push(TextRange::new(start, TextSize::of(self.text.as_str())));
                }
            }
            ast::Expr::Ident(i) => {
                let name = i.ident_token().map(|t| t.text().to_string()).unwrap_or_default();
                match resolve_let(self.source, i.syntax(), &name) {
                    Some(value) => self.lower(value),
                    None => self.unknown_part(&expr, format!("`{name}` is not a string this file defines")),
                }
            }
            _ => {
                let what = describe(&expr);
                self.unknown_part(&expr, format!("the script is computed by {what}"));
            }
        }
        self.depth -= 1;
    }

    fn lower_call(&mut self, expr: &ast::Expr, app: &ast::Apply) {
        let callee = app.lambda().as_ref().and_then(callee_name);
        if let Some(name) = &callee {
            match last_segment(name) {
                "readFile" => {
                    if let Some(arg) = app.argument() {
                        return self.read_file(expr, arg);
                    }
                }
                "toString" => {
                    if let Some(arg) = app.argument() {
                        return self.lower(arg);
                    }
                }
                _ => {}
            }
        }
        if let Some(done) = self.lower_list_call(app) {
            return done;
        }
        // `mkScript "x"` with `mkScript = name: ''…''` in this file's `let`:
        // the function's body, its parameters as holes.
        if let Some(ast::Expr::Ident(f)) = innermost_callee(app)
            && let Some(ast::Expr::Lambda(mut l)) = f.ident_token().and_then(|t| resolve_let(self.source, f.syntax(), t.text())).map(unwrap)
        {
            while let Some(ast::Expr::Lambda(inner)) = l.body().map(unwrap) {
                l = inner;
            }
            if let Some(body) = l.body() {
                return self.lower(body);
            }
        }
        // `lib.optionalString cond s`: the curried inner call holds the name.
        if let Some(ast::Expr::Apply(inner)) = app.lambda().map(unwrap)
            && let Some(n) = inner.lambda().as_ref().and_then(callee_name)
            && last_segment(&n) == "optionalString"
            && let Some(arg) = app.argument()
        {
            return self.lower(arg);
        }
        let what = callee.map(|c| format!("a call of `{c}`")).unwrap_or_else(|| describe(expr));
        self.unknown_part(expr, format!("the script is computed by {what}"));
    }

    /// A line break in the script before what follows (a placeholder of no
    /// Nix text, like the one after an unknown part).
    fn line_break(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            let start = TextSize::of(self.text.as_str());
            self.text.push('\n');
            let at = self.map.segments().last().map_or(TextSize::default(), |s| s.src.end());
            self.map.push(Segment {
                py: TextRange::at(start, TextSize::of("\n")),
                src: TextRange::empty(at),
                file: self.file,
                kind: SegmentKind::Hole,
                quoting: Quoting::Raw,
            });
        }
    }

    /// `lib.concatStringsSep sep [ … ]`, `lib.concatStrings [ … ]`,
    /// `lib.concatLines [ … ]` (literal lists, expanded) and
    /// `lib.concatMapStringsSep sep f list`, `lib.concatMapStrings f list`
    /// (the function's body once, its parameter a hole): `None` when `app`
    /// is none of them.
    fn lower_list_call(&mut self, app: &ast::Apply) -> Option<()> {
        let mut args = vec![app.argument()?];
        let mut callee = app.lambda()?;
        while let ast::Expr::Apply(inner) = unwrap(callee.clone()) {
            args.insert(0, inner.argument()?);
            callee = inner.lambda()?;
        }
        let name = callee_name(&callee)?;
        match (last_segment(&name), args.as_slice()) {
            ("concatStringsSep", [sep, list]) => self.lower_items(Some(sep.clone()), list.clone()),
            ("concatStrings" | "concatLines", [list]) => self.lower_items(None, list.clone()),
            ("concatMapStringsSep", [_, f, _]) | ("concatMapStrings", [f, _]) => match unwrap(f.clone()) {
                ast::Expr::Lambda(l) => {
                    let body = l.body()?;
                    self.lower(body);
                }
                other => self.unknown_part(&other, format!("the script is computed by {}", describe(&other))),
            },
            _ => return None,
        }
        Some(())
    }

    fn lower_items(&mut self, sep: Option<ast::Expr>, list: ast::Expr) {
        match unwrap(list) {
            ast::Expr::List(l) => {
                for (i, item) in l.items().enumerate() {
                    if i > 0
                        && let Some(sep) = &sep
                    {
                        self.lower(sep.clone());
                    }
                    self.lower(item);
                }
            }
            other => self.unknown_part(&other, format!("the script is computed by {}", describe(&other))),
        }
    }

    fn read_file(&mut self, expr: &ast::Expr, arg: ast::Expr) {
        let rel = match unwrap(arg) {
            ast::Expr::PathRel(p) => p.syntax().text().to_string(),
            other => {
                let what = describe(&other);
                return self.unknown_part(expr, format!("`builtins.readFile` of {what}, not a relative path"));
            }
        };
        match self.loader.read(self.path, &rel) {
            Ok((_, text)) if !self.spend(text.len()) => {}
            Ok((path, text)) => {
                let id = FileId::Read(u32::try_from(self.read_files.len()).unwrap_or(u32::MAX));
                let start = TextSize::of(self.text.as_str());
                self.text.push_str(&text);
                let len = TextSize::of(text.as_str());
                self.map.push(Segment {
                    py: TextRange::at(start, len),
                    src: TextRange::up_to(len),
                    file: id,
                    kind: SegmentKind::Verbatim,
                    quoting: Quoting::Raw,
                });
                self.read_files.push(ReadFile { path, text });
            }
            Err(e) => self.unknown_part(expr, format!("cannot read `{rel}`: {e}")),
        }
    }
}

/// `f` of `f a b`.
fn innermost_callee(app: &ast::Apply) -> Option<ast::Expr> {
    let mut callee = unwrap(app.lambda()?);
    while let ast::Expr::Apply(inner) = callee {
        callee = unwrap(inner.lambda()?);
    }
    Some(callee)
}

fn describe(expr: &ast::Expr) -> String {
    let text = expr.syntax().text().to_string();
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let short: String = one_line.chars().take(48).collect();
    if short.len() < one_line.len() { format!("`{short}…`") } else { format!("`{short}`") }
}

/// Extracts the script from the `testScript` value `expr`.
pub fn extract(path: &str, source: &str, expr: ast::Expr, loader: &dyn FileLoader) -> ScriptSource {
    let value_range = range_of(&expr);
    let mut b = Builder {
        source,
        path,
        loader,
        // The script is about as long as its Nix text: no regrowth.
        text: String::with_capacity(usize::from(value_range.len())),
        map: SourceMap::default(),
        unknown: Vec::new(),
        read_files: Vec::new(),
        else_branches: Vec::new(),
        holes: 0,
        file: FileId::Nix,
        depth: 0,
        steps: 0,
        exhausted: false,
        quoting: Quoting::Raw,
    };
    b.lower(expr);
    if b.exhausted {
        let reason = format!(
            "it is too large to evaluate statically (more than {} MB of text or {} steps)",
            limits::MAX_SCRIPT_BYTES >> 20,
            limits::MAX_EVAL_STEPS
        );
        let status = ScriptStatus::Unknown(reason, value_range);
        return ScriptSource {
            text: String::new(),
            map: SourceMap::default(),
            status,
            read_files: Vec::new(),
            value_range,
            else_branches: Vec::new(),
        };
    }
    // A script made of nothing but one unknown part is unknown as a whole.
    let only_unknown = b.unknown.len() == 1 && b.map.segments().iter().all(|s| s.kind == SegmentKind::Hole);
    let status = if only_unknown {
        let (reason, range) = b.unknown.remove(0);
        ScriptStatus::Unknown(reason, range)
    } else if b.unknown.is_empty() {
        ScriptStatus::Known
    } else {
        ScriptStatus::Partial(b.unknown)
    };
    ScriptSource { text: b.text, map: b.map, status, read_files: b.read_files, value_range, else_branches: b.else_branches }
}
