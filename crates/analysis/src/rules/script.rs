//! The script itself (`NT0xx`): Python and Nix syntax errors, and the
//! parts of a testScript that are not statically known. These are found by
//! the pipeline (parsing and extraction), not by the checker.

use super::declare_rules;

declare_rules! {
    /// ## What it does
    /// Reports Python syntax errors in the extracted testScript, at their place in the Nix file. The script is parsed as the driver's Python (3.13 by default; `python-version` in the configuration). An unbalanced bracket is reported once, at the bracket, as CPython does ("'(' was never closed"); what the parser reports after it comes from its recovery and is left out.
    ///
    /// ## Why is this bad?
    /// The driver `exec`s the script; a syntax error fails the test before any VM starts, after a long build.
    ///
    /// ## Example
    /// ```python
    /// with subtest("boot")
    ///     machine.wait_for_unit("multi-user.target")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// with subtest("boot"):
    ///     machine.wait_for_unit("multi-user.target")
    /// ```
    PythonSyntaxError = "NT001", "python-syntax-error", Error;

    /// ## What it does
    /// Says once, with the reason, that a testScript (or a part of it) is computed by Nix in a way this tool does not evaluate, e.g. `testScript = import ./script.nix { };`.
    ///
    /// ## Why is this bad?
    /// It is not: it explains why the unknown part is not checked. Names the unknown part could define are not reported as undefined.
    ///
    /// ## Example
    /// ```nix
    /// testScript = (import ./helpers.nix { }) + ''machine.succeed("true")'';
    /// ```
    ///
    /// ## Use instead
    /// Literal strings, `builtins.readFile ./test.py`, `lib.optionalString`, `+`, `if … then … else …` (both branches checked), `lib.concatStringsSep`/`concatMapStringsSep`, and functions of the file's `let` applied to arguments are all understood. Nodes are read from attrsets, `//`, `let`, `inherit`, `lib.mkMerge`, `lib.genAttrs`/`listToAttrs` over literal lists, `if`, and relative `imports`/`import` files of the repository. A file nested too deeply to analyse, or a script too large to evaluate statically, is reported here once too.
    ScriptNotStatic = "NT002", "script-not-static", Info;

    /// ## What it does
    /// Reports a Nix syntax error in the test file.
    ///
    /// ## Why is this bad?
    /// Nix cannot evaluate the file; the tests in it are checked as far as the parser recovered.
    ///
    /// ## Example
    /// ```nix
    /// { nodes.machine = { }  testScript = ""; }
    /// ```
    ///
    /// ## Use instead
    /// ```nix
    /// { nodes.machine = { }; testScript = ""; }
    /// ```
    NixSyntaxError = "NT003", "nix-syntax-error", Error;
}
