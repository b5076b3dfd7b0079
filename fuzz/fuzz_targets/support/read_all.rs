//! Reading everything a state holds, shared by the read engine's targets.

use hollow::read::lookup::{find_map_entry, find_set_element, BoundKey, SetMapKeyValue};
use hollow::read::ReadStateEngine;
use hollow::schema::{FieldType, Schema};
use hollow::tools::checksum::HollowChecksum;
use hollow::tools::stringify::stringify;

/// Every populated record (checksum), a few stringified records (following references), and hash-key
/// lookups in sets and maps (binding key paths through the blob's schemas).
pub fn read_everything(engine: &ReadStateEngine) {
    let _ = HollowChecksum::for_state_engine(engine);
    for state in engine.types() {
        for ordinal in state.populated().iter().take(8) {
            let _ = stringify(engine, state.name(), ordinal);
        }
        let (root, paths) = match state.schema() {
            Schema::Set(s) => (&s.element_type, &s.hash_key),
            Schema::Map(m) => (&m.key_type, &m.hash_key),
            _ => continue,
        };
        let Some(paths) = paths else { continue };
        let Ok(bound) = BoundKey::bind(engine, root, paths) else { continue };
        let key: Vec<SetMapKeyValue<'_>> = bound.paths().iter().map(|p| sample(p.leaf_type())).collect();
        for ordinal in state.populated().iter().take(8) {
            let _ = find_set_element(engine, state.name(), ordinal, &key);
            let _ = find_map_entry(engine, state.name(), ordinal, &key);
        }
    }
}

fn sample(field_type: FieldType) -> SetMapKeyValue<'static> {
    match field_type {
        FieldType::Int => SetMapKeyValue::Int(1),
        FieldType::Long => SetMapKeyValue::Long(1),
        FieldType::Boolean => SetMapKeyValue::Boolean(true),
        FieldType::Float => SetMapKeyValue::Float(1.0),
        FieldType::Double => SetMapKeyValue::Double(1.0),
        FieldType::String => SetMapKeyValue::String("a"),
        FieldType::Bytes => SetMapKeyValue::Bytes(b"a"),
        FieldType::Reference => SetMapKeyValue::Reference(1),
    }
}
