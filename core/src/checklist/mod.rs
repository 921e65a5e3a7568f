//! Five-priority checklists: versioned templates, answer validation, and the
//! hazard rules that turn an answer into a case draft.
//!
//! A template is immutable once stored under its (id, version); a visit pins
//! the version it used so old answers stay readable after the template moves
//! on.

mod answer;
pub mod categories;
pub mod defaults;
mod template;

pub(crate) use answer::answer_text;
pub use answer::{Answer, AnswerValue, HazardFinding};
pub use template::{ChecklistTemplate, Choice, HazardRule, HazardWhen, Item, ItemKind, Section};
