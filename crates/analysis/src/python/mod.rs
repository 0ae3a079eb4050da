//! The Python side: the script's parse tree, what its names refer to
//! (nodes, driver globals, fixtures, local bindings), and our `NT` checks.

pub mod brackets;
mod scope;
pub mod ty;

pub use scope::{MachineTy, ScriptScope, TestFunction, assigned_names, function_locals, local_bindings, machine_ty_of_node};

/// Whether a module-level function is a test, as pytest collects them
/// (`python_functions = "test"`, a prefix match): one rule for the checks,
/// the IDE and the Run lenses.
pub fn is_test_function(name: &str) -> bool {
    name.starts_with("test")
}

/// Python builtins a node name may hide.
pub const BUILTINS: &[&str] = &[
    "abs",
    "all",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
];

/// Keywords: a node with such a name cannot be written in the script.
pub const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except",
    "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
    "while", "with", "yield",
];

/// Fixtures pytest itself provides (fixture mode resolves these, not nodes).
pub const PYTEST_FIXTURES: &[&str] = &[
    "request",
    "tmp_path",
    "tmp_path_factory",
    "tmpdir",
    "tmpdir_factory",
    "capsys",
    "capsysbinary",
    "capfd",
    "capfdbinary",
    "caplog",
    "monkeypatch",
    "pytestconfig",
    "record_property",
    "record_xml_attribute",
    "record_testsuite_property",
    "recwarn",
    "subtests",
    "cache",
    "doctest_namespace",
];

/// Fixtures our plugin provides beside the nodes.
pub const DRIVER_FIXTURES: &[&str] = &["driver", "machines", "machines_qemu", "machines_nspawn", "vlans"];

/// `vlan<N>` globals exist for every VLAN in use; their numbers come from
/// node configuration we do not evaluate, so any such name is accepted.
pub fn is_vlan_name(name: &str) -> bool {
    name.strip_prefix("vlan").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Python's builtins (and the modules scripts use most), which no node can
/// be taken for and no node may hide.
const PYTHON_BUILTINS: &[&str] = &[
    "print",
    "str",
    "int",
    "float",
    "bool",
    "list",
    "dict",
    "set",
    "tuple",
    "len",
    "range",
    "open",
    "object",
    "type",
    "super",
    "self",
    "cls",
    "os",
    "sys",
    "re",
    "json",
    "time",
    "subprocess",
    "shutil",
    "tempfile",
    "pathlib",
    "abs",
    "all",
    "any",
    "bytes",
    "callable",
    "chr",
    "enumerate",
    "eval",
    "exec",
    "filter",
    "format",
    "getattr",
    "hasattr",
    "hash",
    "id",
    "input",
    "isinstance",
    "iter",
    "map",
    "max",
    "min",
    "next",
    "ord",
    "pow",
    "repr",
    "reversed",
    "round",
    "setattr",
    "sorted",
    "sum",
    "vars",
    "zip",
    "Exception",
    "None",
    "True",
    "False",
];

pub fn is_python_builtin(name: &str) -> bool {
    PYTHON_BUILTINS.contains(&name)
}
