//! The schema text parser on arbitrary text.
//!
//! Every schema the parser produces has word names and non-empty keys, so printing it and parsing the
//! print must give it back.

#![no_main]

use hollow::schema::dsl::{parse_schemas, to_java_string};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(schemas) = parse_schemas(text) else { return };
    let printed: String = schemas.iter().map(to_java_string).collect();
    assert_eq!(parse_schemas(&printed).expect("printed schemas parse"), schemas, "printed: {printed:?}");
});
