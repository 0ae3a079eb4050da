//! What can be run: the whole test, and each `def test_...` in it. The
//! server shows these as "Run test" / "Run all" code lenses.

use ruff_text_size::TextRange;
use serde::Serialize;

use crate::Analysis;
use crate::source_map::FileId;

#[derive(Debug, Clone, Serialize)]
pub struct Runnable {
    pub label: String,
    /// Where the lens goes (Nix range).
    pub range: TextRange,
    /// The test's name (`name = ...`) and its attribute in the file.
    pub test_name: Option<String>,
    pub attr: Option<String>,
    /// The `test_` function, or `None` for the whole test.
    pub function: Option<String>,
}

pub fn runnables(a: &Analysis) -> Vec<Runnable> {
    let mut out = Vec::new();
    for (i, test) in a.file.tests.iter().enumerate() {
        out.push(Runnable {
            label: format!("▶ Run all ({})", test.label()),
            range: test.script_key,
            test_name: test.name.clone(),
            attr: test.attr.clone(),
            function: None,
        });
        let Some(Some(script)) = a.scripts.get(i) else { continue };
        for f in script.scope.test_functions.iter().filter(|f| script.scope.is_runnable(f, test)) {
            let Some(src) = test.script.map.to_source(f.name_range).filter(|r| r.file == FileId::Nix) else { continue };
            out.push(Runnable {
                label: format!("▶ Run {}", f.name),
                range: src.range,
                test_name: test.name.clone(),
                attr: test.attr.clone(),
                function: Some(f.name.clone()),
            });
        }
    }
    out
}
