//! The model of a Nix file holding NixOS tests: every test definition, its
//! nodes (VMs and containers, with their Nix ranges and Python names) and the
//! options that change how the script is checked.

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;
use ruff_text_size::TextRange;
use serde::Serialize;

use super::FileLoader;
use super::script::{ScriptSource, extract};
use super::syntax::{attr_name, attrpath_names, callee_name, range_of, unwrap};
use crate::source_map::FileId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NodeKind {
    /// `nodes.<n>`: a QEMU VM (`QemuMachine`).
    Vm,
    /// `containers.<n>`: a systemd-nspawn container (`NspawnMachine`).
    Container,
}

impl NodeKind {
    /// The test option that declares such nodes.
    pub fn group(self) -> &'static str {
        match self {
            NodeKind::Vm => "nodes",
            NodeKind::Container => "containers",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// The attribute name as written in Nix (`web-server`).
    pub name: String,
    /// The Python global the driver creates for it (`web_server`).
    pub py_name: String,
    pub kind: NodeKind,
    /// Range of the attribute name (what rename edits).
    pub name_range: TextRange,
    /// Range of the whole definition (what go-to-definition shows).
    pub def_range: TextRange,
    /// Declared with the legacy top-level `machine = ...;`.
    pub legacy: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TestOptions {
    pub skip_lint: bool,
    pub skip_type_check: bool,
    pub use_pytest_fixtures: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestDef {
    /// `name = "...";` if it is a literal.
    pub name: Option<String>,
    /// The attribute the test is bound to in the file (`escapes` in
    /// `{ escapes = runNixOSTest {...}; }`), for building it.
    pub attr: Option<String>,
    /// Range of the attrset that defines the test.
    pub range: TextRange,
    /// Range of the `testScript` attribute name.
    pub script_key: TextRange,
    pub nodes: Vec<Node>,
    /// Why the set of nodes is not fully known (`lib.genAttrs ...`), if so.
    pub nodes_open: Option<String>,
    pub options: TestOptions,
    pub script: ScriptSource,
}

impl TestDef {
    pub fn node(&self, py_name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.py_name == py_name)
    }

    /// The node `machine` stands for where no node has that name: the
    /// driver's implicit alias, which exists only with exactly one machine.
    /// The one statement of that rule for checks, IDE and type check alike.
    pub fn machine_alias(&self) -> Option<&Node> {
        match self.nodes.as_slice() {
            [only] if self.node("machine").is_none() => Some(only),
            _ => None,
        }
    }

    /// The node a Python name refers to: by its name, or through the alias.
    pub fn machine_named(&self, py_name: &str) -> Option<&Node> {
        self.node(py_name).or_else(|| (py_name == "machine").then(|| self.machine_alias()).flatten())
    }

    /// A display label: the test's name, else its attribute, else "test".
    pub fn label(&self) -> &str {
        self.name.as_deref().or(self.attr.as_deref()).unwrap_or("test")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TestFile {
    pub tests: Vec<TestDef>,
    /// Nix syntax errors: message and range.
    pub syntax_errors: Vec<(String, TextRange)>,
    /// Why the file was not analysed because it nests too deeply (valid or
    /// not, it is not a syntax error of the user's).
    pub too_deep: Option<String>,
}

/// The driver's `pythonize_name`: a first character that is not a letter or
/// underscore becomes `_`, later characters outside `[A-Za-z0-9_]` too.
pub fn pythonize(name: &str) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            let ok = c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit());
            if ok { c } else { '_' }
        })
        .collect()
}

impl TestFile {
    /// Parses `source` (the text of the Nix file at `path`) and extracts every test.
    pub fn parse(path: &str, source: &str, loader: &dyn FileLoader) -> TestFile {
        if let Some(why) = crate::limits::nix_too_deep(source) {
            return TestFile { tests: Vec::new(), syntax_errors: Vec::new(), too_deep: Some(why) };
        }
        let parse = rnix::Root::parse(source);
        if parse.errors().iter().any(|e| matches!(e, rnix::ParseError::RecursionLimitExceeded)) {
            let why = "more than 512 nested expressions, rnix's limit".to_string();
            return TestFile { tests: Vec::new(), syntax_errors: Vec::new(), too_deep: Some(why) };
        }
        let syntax_errors = match unclosed_string(source).filter(|_| !parse.errors().is_empty()) {
            // One mistake, at its place: everything after an unclosed
            // string is read as its text, and what rnix reports is noise.
            Some(at) => vec![(format!("this `{}` string is never closed", &source[at]), at)],
            None => parse.errors().iter().map(|e| (error_message(e), error_range(e, source.len()))).collect(),
        };
        let root = parse.tree();
        let mut tests = Vec::new();
        for node in root.syntax().descendants() {
            let Some(set) = ast::AttrSet::cast(node) else { continue };
            if let Some(test) = test_from_attrset(path, source, &set, loader) {
                tests.push(test);
            }
        }
        // File ids count across tests, so that an id alone names a file.
        let mut read = 0u32;
        for t in &mut tests {
            t.script.map.offset_read_files(read);
            read = read.saturating_add(u32::try_from(t.script.read_files.len()).unwrap_or(u32::MAX));
        }
        TestFile { tests, syntax_errors, too_deep: None }
    }

    /// A file read with `builtins.readFile` by any test, by its id.
    pub fn read_file(&self, file: FileId) -> Option<&super::ReadFile> {
        let FileId::Read(i) = file else { return None };
        self.tests.iter().flat_map(|t| &t.script.read_files).nth(usize::try_from(i).ok()?)
    }

    /// The test whose attrset contains `offset`.
    pub fn test_at(&self, offset: ruff_text_size::TextSize) -> Option<&TestDef> {
        self.tests.iter().filter(|t| t.range.contains_inclusive(offset)).min_by_key(|t| t.range.len())
    }
}

/// The opener of the first string that is never closed, if any.
fn unclosed_string(source: &str) -> Option<TextRange> {
    use rnix::SyntaxKind::{TOKEN_INTERPOL_END, TOKEN_INTERPOL_START, TOKEN_STRING_END, TOKEN_STRING_START};
    let mut open: Vec<(rnix::SyntaxKind, TextRange)> = Vec::new();
    let mut at = 0u32;
    for (kind, text) in rnix::tokenize(source) {
        let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
        let range = TextRange::at(at.into(), len.into());
        at = at.saturating_add(len);
        match kind {
            TOKEN_STRING_START | TOKEN_INTERPOL_START => open.push((kind, range)),
            TOKEN_STRING_END | TOKEN_INTERPOL_END => {
                open.pop();
            }
            _ => {}
        }
    }
    open.into_iter().find(|(k, _)| *k == TOKEN_STRING_START).map(|(_, r)| r)
}

/// rnix's message without its byte range (the diagnostic has the range),
/// with the common token kinds in words: "unexpected `=`, wanted `;`".
fn error_message(err: &rnix::ParseError) -> String {
    let text = err.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(" at ") {
        let after = &rest[at + 4..];
        let span_len = after.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(after.len());
        if span_len > 0 && after[..span_len].contains("..") {
            out.push_str(&rest[..at]);
            rest = &after[span_len..];
        } else {
            out.push_str(&rest[..at + 4]);
            rest = after;
        }
    }
    out.push_str(rest);
    for (kind, word) in [
        ("TOKEN_SEMICOLON", "`;`"),
        ("TOKEN_ASSIGN", "`=`"),
        ("TOKEN_L_BRACE", "`{`"),
        ("TOKEN_R_BRACE", "`}`"),
        ("TOKEN_L_PAREN", "`(`"),
        ("TOKEN_R_PAREN", "`)`"),
        ("TOKEN_L_BRACK", "`[`"),
        ("TOKEN_R_BRACK", "`]`"),
        ("TOKEN_COLON", "`:`"),
        ("TOKEN_COMMA", "`,`"),
        ("TOKEN_DOT", "`.`"),
        ("TOKEN_IDENT", "a name"),
        ("TOKEN_STRING_END", "the end of the string"),
        ("TOKEN_STRING_CONTENT", "string text"),
        ("TOKEN_INTERPOL_START", "`${`"),
        ("TOKEN_INTERPOL_END", "`}`"),
        ("TOKEN_ERROR", "an invalid character"),
        ("TOKEN_STRING_START", "a string"),
        ("TOKEN_IN", "`in`"),
        ("TOKEN_THEN", "`then`"),
        ("TOKEN_ELSE", "`else`"),
    ] {
        out = out.replace(kind, word);
    }
    // Whatever is left: `TOKEN_FOO_BAR` as `foo bar`.
    while let Some(at) = out.find("TOKEN_") {
        let end = out[at..].find(|c: char| !(c.is_ascii_uppercase() || c == '_')).map_or(out.len(), |e| at + e);
        let words = out[at + 6..end].to_lowercase().replace('_', " ");
        out.replace_range(at..end, &words);
    }
    out
}

fn error_range(err: &rnix::ParseError, len: usize) -> TextRange {
    use rnix::ParseError as E;
    let r = match err {
        E::Unexpected(r) | E::UnexpectedExtra(r) | E::UnexpectedWanted(_, r, _) | E::UnexpectedDoubleBind(r) | E::DuplicatedArgs(r, _) => {
            Some(*r)
        }
        _ => None,
    };
    match r {
        Some(r) => TextRange::new(u32::from(r.start()).into(), u32::from(r.end()).into()),
        None => {
            let end = u32::try_from(len).unwrap_or(u32::MAX).into();
            TextRange::new(end, end)
        }
    }
}

fn bool_literal(expr: Option<ast::Expr>) -> bool {
    matches!(expr.map(unwrap), Some(ast::Expr::Ident(i)) if i.ident_token().is_some_and(|t| t.text() == "true"))
}

fn test_from_attrset(path: &str, source: &str, set: &ast::AttrSet, loader: &dyn FileLoader) -> Option<TestDef> {
    let mut script_entry = None;
    let mut name = None;
    let mut options = TestOptions::default();
    let mut nodes = Vec::new();
    let mut open: Option<String> = None;
    let mut declares_nodes = false;
    for entry in set.attrpath_values() {
        let Some(names) = entry.attrpath().and_then(|p| attrpath_names(source, &p)) else { continue };
        let keys: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
        match keys.as_slice() {
            ["testScript"] => script_entry = Some((entry.clone(), names[0].1)),
            ["name"] => {
                if let Some(ast::Expr::Str(s)) = entry.value().map(unwrap) {
                    let mut sink = super::strings::PlainSink::default();
                    super::strings::lower_string(source, &s, &mut sink);
                    if sink.map.holes().next().is_none() {
                        name = Some(sink.text);
                    }
                }
            }
            ["skipLint"] => options.skip_lint = bool_literal(entry.value()),
            ["skipTypeCheck"] => options.skip_type_check = bool_literal(entry.value()),
            ["usePytestFixtures"] => options.use_pytest_fixtures = bool_literal(entry.value()),
            [group @ ("nodes" | "containers"), node, ..] => {
                declares_nodes = true;
                let kind = if *group == "nodes" { NodeKind::Vm } else { NodeKind::Container };
                push_node(&mut nodes, node, names[1].1, range_of(&entry), kind, false);
            }
            [group @ ("nodes" | "containers")] => {
                declares_nodes = true;
                let kind = if *group == "nodes" { NodeKind::Vm } else { NodeKind::Container };
                if let Some(value) = entry.value() {
                    let cx = NodeCx { source, path, loader, at: None, depth: 0 };
                    collect_node_set(&cx, value, kind, &mut nodes, &mut open);
                }
            }
            ["machine"] => {
                declares_nodes = true;
                push_node(&mut nodes, "machine", names[0].1, range_of(&entry), NodeKind::Vm, true)
            }
            ["imports"] => {
                let cx = NodeCx { source, path, loader, at: None, depth: 0 };
                match entry.value() {
                    Some(list) if nodes_of_imports(&cx, list.clone(), &mut nodes, &mut declares_nodes) => {}
                    _ => {
                        open.get_or_insert_with(|| "the test imports modules that may add nodes".into());
                    }
                }
            }
            _ => {}
        }
    }
    for inherit in set.inherits() {
        for attr in inherit.attrs() {
            if let Some((n, r)) = attr_name(source, &attr)
                && matches!(n.as_str(), "nodes" | "containers")
            {
                declares_nodes = true;
                // `inherit nodes;` / `inherit (cfg) nodes;` from this file's `let`.
                let kind = if n == "nodes" { NodeKind::Vm } else { NodeKind::Container };
                let value = match inherit.from().and_then(|f| f.expr()) {
                    None => super::syntax::resolve_let(source, set.syntax(), &n),
                    Some(from) => inherited_from(source, from, &n),
                };
                match value {
                    Some(v) => {
                        let cx = NodeCx { source, path, loader, at: None, depth: 0 };
                        collect_node_set(&cx, v, kind, &mut nodes, &mut open);
                    }
                    None => {
                        let _ = r;
                        open.get_or_insert_with(|| format!("`{n}` is inherited"));
                    }
                }
            }
        }
    }
    let (entry, script_key) = script_entry?;
    if !declares_nodes {
        // Frameworks built on the driver (nix-vm-test, ...) define machines
        // themselves; plain NixOS tests always say `nodes`.
        open.get_or_insert_with(|| "the test declares no `nodes`; its framework may define them".into());
    }
    let script = extract(path, source, entry.value()?, loader);
    Some(TestDef { name, attr: binding_of(source, set), range: range_of(set), script_key, nodes, nodes_open: open, options, script })
}

fn push_node(nodes: &mut Vec<Node>, name: &str, name_range: TextRange, def: TextRange, kind: NodeKind, legacy: bool) {
    if nodes.iter().any(|n| n.name == name) {
        return;
    }
    nodes.push(Node { name: name.to_string(), py_name: pythonize(name), kind, name_range, def_range: def, legacy });
}

/// Where node sets are read: the file, its loader for relative imports,
/// and, for a set read from another file, the range in this file that
/// stands for its nodes (the import's path).
struct NodeCx<'a> {
    source: &'a str,
    path: &'a str,
    loader: &'a dyn FileLoader,
    at: Option<TextRange>,
    depth: usize,
}

impl NodeCx<'_> {
    fn deeper(&self) -> Option<NodeCx<'_>> {
        (self.depth < 16).then(|| NodeCx { source: self.source, path: self.path, loader: self.loader, at: self.at, depth: self.depth + 1 })
    }
}

fn push_at(cx: &NodeCx<'_>, nodes: &mut Vec<Node>, name: &str, name_range: TextRange, def: TextRange, kind: NodeKind) {
    match cx.at {
        Some(at) => push_node(nodes, name, at, at, kind, false),
        None => push_node(nodes, name, name_range, def, kind, false),
    }
}

/// `x` of `inherit (from) x;`, when `from` is an attrset this file writes.
fn inherited_from(source: &str, from: ast::Expr, name: &str) -> Option<ast::Expr> {
    let set = match unwrap(from) {
        ast::Expr::Ident(i) => super::syntax::resolve_let(source, i.syntax(), i.ident_token()?.text())?,
        other => other,
    };
    let ast::Expr::AttrSet(set) = unwrap(set) else { return None };
    set.attrpath_values().find_map(|entry| {
        let names = entry.attrpath().and_then(|p| attrpath_names(source, &p))?;
        (names.len() == 1 && names[0].0 == name).then(|| entry.value()).flatten()
    })
}

/// The string literals of a literal list (`[ "a" "b" ]`), with ranges.
fn literal_strings(source: &str, list: ast::Expr) -> Option<Vec<(String, TextRange)>> {
    let ast::Expr::List(list) = unwrap(list) else { return None };
    list.items()
        .map(|item| match unwrap(item) {
            ast::Expr::Str(s) => {
                let mut sink = super::strings::PlainSink::default();
                super::strings::lower_string(source, &s, &mut sink);
                sink.map.holes().next().is_none().then(|| (sink.text, range_of(&ast::Expr::Str(s))))
            }
            _ => None,
        })
        .collect()
}

/// The relative file a call reads (`import ./x.nix`, `callPackage ./x.nix {}`).
fn imported_path(expr: &ast::Expr) -> Option<(String, TextRange)> {
    let mut e = unwrap(expr.clone());
    // Peel `f a b`: the innermost call names the function and the file.
    loop {
        let ast::Expr::Apply(app) = &e else { return None };
        let callee = app.lambda()?;
        if let Some(name) = callee_name(&callee)
            && matches!(last_segment_of(&name), "import" | "callPackage")
        {
            return match unwrap(app.argument()?) {
                ast::Expr::PathRel(p) => Some((p.syntax().text().to_string(), range_of(&ast::Expr::PathRel(p)))),
                _ => None,
            };
        }
        e = unwrap(callee);
    }
}

fn last_segment_of(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The top-level value of another file of the repository, parsed: through
/// its function header, if any.
fn with_file<T>(cx: &NodeCx<'_>, rel: &str, f: impl FnOnce(&str, ast::Expr) -> T) -> Option<T> {
    let (_, text) = cx.loader.read(cx.path, rel).ok()?;
    if crate::limits::nix_too_deep(&text).is_some() {
        return None;
    }
    let parse = rnix::Root::parse(&text);
    if !parse.errors().is_empty() {
        return None;
    }
    let mut value = parse.tree().expr()?;
    while let ast::Expr::Lambda(l) = unwrap(value.clone()) {
        value = l.body()?;
    }
    Some(f(&text, value))
}

/// Nodes from `imports = [ ./nodes.nix ... ]`: `true` when every import was
/// read (a module that imports further keeps the set open).
fn nodes_of_imports(cx: &NodeCx<'_>, list: ast::Expr, nodes: &mut Vec<Node>, declares: &mut bool) -> bool {
    let ast::Expr::List(list) = unwrap(list) else { return false };
    let mut all_known = true;
    for item in list.items() {
        let ast::Expr::PathRel(p) = unwrap(item) else {
            all_known = false;
            continue;
        };
        let rel = p.syntax().text().to_string();
        let at = range_of(&ast::Expr::PathRel(p));
        let read = with_file(cx, &rel, |text, value| {
            let ast::Expr::AttrSet(set) = unwrap(value) else { return false };
            let inner = NodeCx { source: text, path: cx.path, loader: cx.loader, at: Some(at), depth: cx.depth + 1 };
            let mut open = None;
            for entry in set.attrpath_values() {
                let Some(names) = entry.attrpath().and_then(|p| attrpath_names(text, &p)) else { continue };
                match names.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().as_slice() {
                    [group @ ("nodes" | "containers"), node, ..] => {
                        *declares = true;
                        let kind = if *group == "nodes" { NodeKind::Vm } else { NodeKind::Container };
                        push_node(nodes, node, at, at, kind, false);
                    }
                    [group @ ("nodes" | "containers")] => {
                        *declares = true;
                        let kind = if *group == "nodes" { NodeKind::Vm } else { NodeKind::Container };
                        if let Some(v) = entry.value() {
                            collect_node_set(&inner, v, kind, nodes, &mut open);
                        }
                    }
                    ["imports"] => open = Some(String::new()),
                    _ => {}
                }
            }
            open.is_none()
        });
        all_known &= read == Some(true);
    }
    all_known
}

/// The nodes of `nodes = ...`, statically evaluated: attrsets, `//`,
/// `let ... in`, names from this file's `let`, `if` (both branches: nodes
/// that may exist), `lib.mkMerge [ ... ]`, `lib.genAttrs [ "a" ] f`,
/// `builtins.listToAttrs (map f [ "a" ])`, and `import`/`callPackage` of a
/// relative file of the repository.
fn collect_node_set(cx: &NodeCx<'_>, value: ast::Expr, kind: NodeKind, nodes: &mut Vec<Node>, open: &mut Option<String>) {
    let source = cx.source;
    let Some(next) = cx.deeper() else {
        open.get_or_insert_with(|| "the node set is nested too deeply".into());
        return;
    };
    match unwrap(value) {
        ast::Expr::AttrSet(set) => {
            for entry in set.attrpath_values() {
                match entry.attrpath().and_then(|p| attrpath_names(source, &p)) {
                    Some(names) if !names.is_empty() => push_at(cx, nodes, &names[0].0, names[0].1, range_of(&entry), kind),
                    _ => {
                        open.get_or_insert_with(|| "a node name is computed".into());
                    }
                }
            }
            for inherit in set.inherits() {
                for attr in inherit.attrs() {
                    if let Some((n, r)) = attr_name(source, &attr) {
                        push_at(cx, nodes, &n, r, r, kind);
                    }
                }
            }
        }
        ast::Expr::BinOp(op) if op.operator() == Some(ast::BinOpKind::Update) => {
            if let Some(l) = op.lhs() {
                collect_node_set(&next, l, kind, nodes, open);
            }
            if let Some(r) = op.rhs() {
                collect_node_set(&next, r, kind, nodes, open);
            }
        }
        ast::Expr::LetIn(l) if l.body().is_some() => collect_node_set(&next, l.body().expect("checked"), kind, nodes, open),
        ast::Expr::IfElse(e) => {
            for branch in [e.body(), e.else_body()].into_iter().flatten() {
                collect_node_set(&next, branch, kind, nodes, open);
            }
        }
        ast::Expr::Ident(i) if i.ident_token().is_some() => {
            let name = i.ident_token().expect("checked").text().to_string();
            match super::syntax::resolve_let(source, i.syntax(), &name) {
                Some(v) => collect_node_set(&next, v, kind, nodes, open),
                None => {
                    open.get_or_insert_with(|| format!("nodes come from `{name}`"));
                }
            }
        }
        ast::Expr::Apply(app) if node_set_call(&next, &app, kind, nodes, open) => {}
        other => {
            let text = other.syntax().text().to_string();
            let short: String = text.chars().take(40).collect();
            open.get_or_insert_with(|| format!("nodes come from `{}`", short.split_whitespace().collect::<Vec<_>>().join(" ")));
        }
    }
}

/// The calls that build node sets; `false` when `app` is none of them.
fn node_set_call(cx: &NodeCx<'_>, app: &ast::Apply, kind: NodeKind, nodes: &mut Vec<Node>, open: &mut Option<String>) -> bool {
    let source = cx.source;
    let callee = app.lambda().as_ref().and_then(callee_name);
    match callee.as_deref().map(last_segment_of) {
        Some("mkMerge") => {
            let Some(ast::Expr::List(list)) = app.argument().map(unwrap) else { return false };
            for item in list.items() {
                collect_node_set(cx, item, kind, nodes, open);
            }
            return true;
        }
        Some("listToAttrs") => {
            // `builtins.listToAttrs (map f [ "a" "b" ])`
            let Some(ast::Expr::Apply(map)) = app.argument().map(unwrap) else { return false };
            let Some(ast::Expr::Apply(map_f)) = map.lambda().map(unwrap) else { return false };
            if map_f.lambda().as_ref().and_then(callee_name).as_deref().map(last_segment_of) != Some("map") {
                return false;
            }
            let Some(names) = map.argument().and_then(|l| literal_strings(source, l)) else { return false };
            for (n, r) in names {
                push_at(cx, nodes, &n, r, r, kind);
            }
            return true;
        }
        _ => {}
    }
    // `lib.genAttrs [ "a" "b" ] (name: { ... })`
    if let Some(ast::Expr::Apply(inner)) = app.lambda().map(unwrap)
        && inner.lambda().as_ref().and_then(callee_name).as_deref().map(last_segment_of) == Some("genAttrs")
        && let Some(names) = inner.argument().and_then(|l| literal_strings(source, l))
    {
        for (n, r) in names {
            push_at(cx, nodes, &n, r, r, kind);
        }
        return true;
    }
    // `import ./nodes.nix { ... }`, `callPackage ./nodes.nix { }`
    if let Some((rel, at)) = imported_path(&ast::Expr::Apply(app.clone())) {
        let at = cx.at.unwrap_or(at);
        let read = with_file(cx, &rel, |text, value| {
            let inner = NodeCx { source: text, path: cx.path, loader: cx.loader, at: Some(at), depth: cx.depth + 1 };
            let mut inner_open = None;
            collect_node_set(&inner, value, kind, nodes, &mut inner_open);
            inner_open
        });
        match read {
            Some(None) => {}
            Some(Some(why)) => {
                open.get_or_insert(why);
            }
            None => {
                open.get_or_insert_with(|| format!("nodes come from `{rel}`, which cannot be read here"));
            }
        }
        return true;
    }
    false
}

/// The attribute name a test attrset is bound to, looking through calls
/// (`x = runNixOSTest { ... };`, `x = makeTest { ... };`).
fn binding_of(source: &str, set: &ast::AttrSet) -> Option<String> {
    let mut node = set.syntax().parent();
    while let Some(n) = node {
        if let Some(entry) = ast::AttrpathValue::cast(n.clone()) {
            let names = attrpath_names(source, &entry.attrpath()?)?;
            return Some(names.into_iter().map(|(n, _)| n).collect::<Vec<_>>().join("."));
        }
        let passthrough = ast::Apply::cast(n.clone()).is_some_and(|a| {
            a.lambda().as_ref().and_then(callee_name).is_some() || a.lambda().is_some_and(|l| matches!(l, ast::Expr::Apply(_)))
        }) || ast::Paren::can_cast(n.kind())
            || ast::Lambda::can_cast(n.kind())
            || ast::LetIn::can_cast(n.kind());
        if !passthrough {
            return None;
        }
        node = n.parent();
    }
    None
}
