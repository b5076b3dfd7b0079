//! The binary form of a schema, as Java's `HollowSchema.writeTo` / `readFrom`.
//!
//! ```text
//! u8   type id: OBJECT 0, SET 1, LIST 2, MAP 3; OBJECT with primary key 6, SET with hash key 4,
//!      MAP with hash key 5
//! UTF  type name
//! OBJECT: [id 6: VarInt n, n × UTF key path] · i16 numFields · per field: UTF name, UTF FieldType name,
//!         and for REFERENCE a UTF referenced type
//! LIST:   UTF element type
//! SET:    UTF element type · [id 4: VarInt n, n × UTF key path]
//! MAP:    UTF key type · UTF value type · [id 5: VarInt n, n × UTF key path]
//! ```

use super::{FieldType, ListSchema, MapSchema, ObjectField, ObjectSchema, Schema, SetSchema};
use crate::encoding::{mutf8, varint, ByteReader};
use crate::error::{Error, Result};

const OBJECT: u8 = 0;
const SET: u8 = 1;
const LIST: u8 = 2;
const MAP: u8 = 3;
const SET_WITH_KEY: u8 = 4;
const MAP_WITH_KEY: u8 = 5;
const OBJECT_WITH_KEY: u8 = 6;

/// Read one schema.
///
/// # Errors
///
/// [`Error::CorruptBlob`] for a truncated schema or an unknown schema kind or
/// field type.
pub fn read_schema(r: &mut ByteReader<'_>) -> Result<Schema> {
    let at = r.position();
    let id = r.u8("schema type id")?;
    let name = r.utf("schema name")?;
    let schema = match id {
        OBJECT | OBJECT_WITH_KEY => {
            let primary_key = if id == OBJECT_WITH_KEY { Some(read_key_paths(r)?) } else { None };
            let n = r.i16("number of fields")?;
            if n < 0 {
                return Err(r.error(format!("type {name}: negative field count {n}")));
            }
            let mut fields = Vec::with_capacity(r.check_len(n as u64, 4, "fields")?);
            for _ in 0..n {
                let field_name = r.utf("field name")?;
                let type_at = r.position();
                let type_name = r.utf("field type")?;
                let field_type = FieldType::from_java_name(&type_name).ok_or_else(|| {
                    Error::corrupt(format!("type {name}: field {field_name} has unknown type {type_name:?}"), type_at)
                })?;
                let referenced_type =
                    if field_type == FieldType::Reference { Some(r.utf("referenced type")?) } else { None };
                fields.push(ObjectField { name: field_name, field_type, referenced_type });
            }
            Schema::Object(ObjectSchema { name, fields, primary_key })
        }
        LIST => Schema::List(ListSchema { name, element_type: r.utf("list element type")? }),
        SET | SET_WITH_KEY => {
            let element_type = r.utf("set element type")?;
            let hash_key = if id == SET_WITH_KEY { Some(read_key_paths(r)?) } else { None };
            Schema::Set(SetSchema { name, element_type, hash_key })
        }
        MAP | MAP_WITH_KEY => {
            let key_type = r.utf("map key type")?;
            let value_type = r.utf("map value type")?;
            let hash_key = if id == MAP_WITH_KEY { Some(read_key_paths(r)?) } else { None };
            Schema::Map(MapSchema { name, key_type, value_type, hash_key })
        }
        other => return Err(Error::corrupt(format!("unknown schema type id {other}"), at)),
    };
    Ok(schema)
}

fn read_key_paths(r: &mut ByteReader<'_>) -> Result<Vec<String>> {
    let n = r.varint_count("number of key fields")?;
    let n = r.check_len(n as u64, 2, "key fields")?;
    (0..n).map(|_| r.utf("key field path")).collect()
}

/// Append the binary form of `schema`.
///
/// # Errors
///
/// [`Error::Schema`] for a schema that cannot be encoded: a name longer than 65535
/// bytes (Java's `writeUTF`), too many fields, a reference field that names no type.
pub fn write_schema(out: &mut Vec<u8>, schema: &Schema) -> Result<()> {
    match schema {
        Schema::Object(s) => {
            out.push(if s.primary_key.is_some() { OBJECT_WITH_KEY } else { OBJECT });
            utf(out, &s.name)?;
            if let Some(pk) = &s.primary_key {
                write_key_paths(out, pk)?;
            }
            let n = i16::try_from(s.fields.len())
                .map_err(|_| Error::Schema(format!("type {}: too many fields ({})", s.name, s.fields.len())))?;
            out.extend_from_slice(&n.to_be_bytes());
            for f in &s.fields {
                utf(out, &f.name)?;
                utf(out, f.field_type.java_name())?;
                if f.field_type == FieldType::Reference {
                    let target = f.referenced_type.as_deref().ok_or_else(|| {
                        Error::Schema(format!("type {}: reference field {} names no type", s.name, f.name))
                    })?;
                    utf(out, target)?;
                }
            }
        }
        Schema::List(s) => {
            out.push(LIST);
            utf(out, &s.name)?;
            utf(out, &s.element_type)?;
        }
        Schema::Set(s) => {
            out.push(if s.hash_key.is_some() { SET_WITH_KEY } else { SET });
            utf(out, &s.name)?;
            utf(out, &s.element_type)?;
            if let Some(k) = &s.hash_key {
                write_key_paths(out, k)?;
            }
        }
        Schema::Map(s) => {
            out.push(if s.hash_key.is_some() { MAP_WITH_KEY } else { MAP });
            utf(out, &s.name)?;
            utf(out, &s.key_type)?;
            utf(out, &s.value_type)?;
            if let Some(k) = &s.hash_key {
                write_key_paths(out, k)?;
            }
        }
    }
    Ok(())
}

fn write_key_paths(out: &mut Vec<u8>, paths: &[String]) -> Result<()> {
    varint::write_usize(out, paths.len());
    for p in paths {
        utf(out, p)?;
    }
    Ok(())
}

fn utf(out: &mut Vec<u8>, s: &str) -> Result<()> {
    mutf8::write_utf(out, s).ok_or_else(|| Error::Schema(format!("name longer than 65535 bytes: {:.40}...", s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movie_schema_bytes_match_java() {
        let s: Schema = ObjectSchema::new("Movie")
            .with_field(ObjectField::new("id", FieldType::Int))
            .with_field(ObjectField::new("title", FieldType::String))
            .with_primary_key(["id"])
            .into();
        let mut out = Vec::new();
        write_schema(&mut out, &s).unwrap();
        let mut expected = vec![0x06, 0x00, 0x05];
        expected.extend_from_slice(b"Movie");
        expected.extend_from_slice(&[0x01, 0x00, 0x02, b'i', b'd', 0x00, 0x02, 0x00, 0x02, b'i', b'd', 0x00, 0x03]);
        expected.extend_from_slice(b"INT");
        expected.extend_from_slice(&[0x00, 0x05]);
        expected.extend_from_slice(b"title");
        expected.extend_from_slice(&[0x00, 0x06]);
        expected.extend_from_slice(b"STRING");
        assert_eq!(out, expected);
        let mut r = ByteReader::new(&out);
        assert_eq!(read_schema(&mut r).unwrap(), s);
        assert!(r.is_empty());
    }

    #[test]
    fn collection_schemas_round_trip() {
        let schemas: Vec<Schema> = vec![
            ListSchema { name: "ListOfString".into(), element_type: "String".into() }.into(),
            SetSchema {
                name: "SetOfString".into(),
                element_type: "String".into(),
                hash_key: Some(vec!["value".into()]),
            }
            .into(),
            SetSchema { name: "SetOfX".into(), element_type: "X".into(), hash_key: None }.into(),
            MapSchema {
                name: "MapOfStringToLong".into(),
                key_type: "String".into(),
                value_type: "Long".into(),
                hash_key: Some(vec!["value".into()]),
            }
            .into(),
            ObjectSchema::new("Ref").with_field(ObjectField::reference("r", "String")).into(),
        ];
        for s in schemas {
            let mut out = Vec::new();
            write_schema(&mut out, &s).unwrap();
            let mut r = ByteReader::new(&out);
            assert_eq!(read_schema(&mut r).unwrap(), s);
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(read_schema(&mut ByteReader::new(&[9, 0, 1, b'x'])).is_err());
        assert!(read_schema(&mut ByteReader::new(&[0, 0, 1, b'x', 0xFF, 0xFF])).is_err());
        let err = read_schema(&mut ByteReader::new(&[0, 0, 1, b'x', 0, 1, 0, 1, b'a', 0, 3, b'I', b'N', b'X']))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown type"), "{err}");
    }
}
