//! Hollow's schema text form. (Being written: see the schema DSL task.)

use super::Schema;

/// `HollowSchema.toString()`.
pub fn to_java_string(schema: &Schema) -> String {
    format!("{schema:?}")
}
