//! The `hollow.schema.hash` header tag (Java's `HollowSchemaHash`).
//!
//! A producer tags each blob with a hash of its dataset's schemas so that a consumer can tell, from a header
//! alone, whether the data model changed (Java's `doubleSnapshotOnSchemaChange` relies on it). The value is:
//!
//! 1. the schemas keyed by type name in Java `String` order (by UTF-16 code unit, which differs from Rust's
//!    `str` order for characters above U+FFFF), a later schema replacing an earlier one of the same name;
//! 2. their text forms ([`to_java_string`](super::dsl::to_java_string)) concatenated with no separator;
//! 3. hashed with `HashCodes.hashCode(String)` ([`murmur3_string`]);
//! 4. written as a signed decimal number.

use std::collections::BTreeMap;

use super::{dsl, Schema};
use crate::encoding::hash::murmur3_string;

/// The schema hash of a dataset, as an integer.
pub fn schema_hash<'a>(schemas: impl IntoIterator<Item = &'a Schema>) -> i32 {
    // Keying by UTF-16 units gives Java's TreeMap order; inserting replaces, as TreeMap.put does.
    let by_name: BTreeMap<Vec<u16>, &Schema> =
        schemas.into_iter().map(|s| (s.name().encode_utf16().collect(), s)).collect();
    let text: String = by_name.values().map(|s| dsl::to_java_string(s)).collect();
    murmur3_string(&text)
}

/// The value of the `hollow.schema.hash` header tag for a dataset.
pub fn schema_hash_tag<'a>(schemas: impl IntoIterator<Item = &'a Schema>) -> String {
    schema_hash(schemas).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::dsl::parse_schemas;

    #[test]
    fn order_of_the_input_does_not_matter() {
        let schemas = parse_schemas("B List<A>; A { int x; } C Set<A> @HashKey(x);").unwrap();
        let mut reversed = schemas.clone();
        reversed.reverse();
        assert_eq!(schema_hash(&schemas), schema_hash(&reversed));
        let sorted_text = "A {\n\tint x;\n}B List<A>;C Set<A> @HashKey(x);";
        assert_eq!(schema_hash(&schemas), murmur3_string(sorted_text));
        assert_eq!(schema_hash_tag(&schemas), murmur3_string(sorted_text).to_string());
    }

    #[test]
    fn any_change_changes_the_hash() {
        let base = schema_hash(&parse_schemas("A { int x; }").unwrap());
        for changed in ["A { long x; }", "A { int y; }", "A @PrimaryKey(x) { int x; }", "A { int x; int z; }"] {
            assert_ne!(schema_hash(&parse_schemas(changed).unwrap()), base, "{changed}");
        }
    }

    #[test]
    fn names_sort_by_utf16_units_and_the_last_duplicate_wins() {
        // U+10000 is the surrogate pair D800 DC00, which Java sorts before U+FFFD; Rust's str order is the
        // opposite.
        let schemas = parse_schemas("\u{fffd} List<X>; \u{10000} List<X>;").unwrap();
        assert_eq!(schema_hash(&schemas), murmur3_string("\u{10000} List<X>;\u{fffd} List<X>;"));
        let dup = parse_schemas("A List<X>; A List<Y>;").unwrap();
        assert_eq!(schema_hash(&dup), murmur3_string("A List<Y>;"));
    }

    #[test]
    fn empty_dataset_hashes_the_empty_string() {
        assert_eq!(schema_hash(&[]), murmur3_string(""));
    }
}
