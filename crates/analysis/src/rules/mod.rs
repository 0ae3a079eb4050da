//! Rules: our `NT` codes (registered in [`registry`]), the selection logic,
//! and the bridge to `ruff_linter` for the pyflakes-class checks.

pub mod registry;
pub mod ruff;
pub mod selection;

pub use registry::{RULES, RuleInfo, explain, rule};
pub use selection::RuleSelection;
