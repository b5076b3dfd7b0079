//! Java-compatible hash lookups in sets and maps (being written).

/// One field value of a hash key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyValue<'a> {
    /// An INT field.
    Int(i32),
    /// A STRING field.
    String(&'a str),
}
