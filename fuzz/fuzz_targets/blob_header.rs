//! The blob header decoder (version, tags, schemas, header tags) on arbitrary bytes.
//!
//! Beyond "no panic": a header that decodes must survive its own round trip, so a decoder that accepts
//! something it cannot represent faithfully is caught too.

#![no_main]

use hollow::blob::BlobHeader;
use hollow::encoding::ByteReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = BlobHeader::read(&mut ByteReader::new(data)) else { return };
    let mut rewritten = Vec::new();
    header.write(&mut rewritten).expect("a decoded header can be written");
    let again = BlobHeader::read(&mut ByteReader::new(&rewritten)).expect("a rewritten header decodes");
    assert_eq!(again, header);
});
