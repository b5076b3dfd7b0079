//! The blob header and schema decoders on damaged input: every truncation of a real header is an error,
//! and random bit flips never panic or allocate beyond what the input justifies.
//!
//! The inputs are the Java-written vector blobs. Every blob starts with a header, so each one is a
//! different real header (deltas list only their changed types' schemas).

mod common;

use std::fs;
use std::path::PathBuf;

use hollow::blob::BlobHeader;
use hollow::encoding::ByteReader;
use hollow::schema::codec::{read_schema, write_schema};
use hollow::{Error, ErrorKind};

/// Every blob of every scenario, with its name.
fn blobs() -> Vec<(String, Vec<u8>)> {
    let root = common::vectors();
    let mut found: Vec<(String, Vec<u8>)> = Vec::new();
    for scenario in fs::read_dir(&root).unwrap() {
        let dir: PathBuf = scenario.unwrap().path().join("blobs");
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if ["snapshot-", "delta-", "reversedelta-", "header-"].iter().any(|p| name.starts_with(p)) {
                found.push((path.strip_prefix(&root).unwrap().display().to_string(), fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    assert!(found.len() >= 40, "expected the blobs of all five scenarios, found {}", found.len());
    found
}

/// The header and the number of bytes it takes at the start of `blob`.
fn header_of(blob: &[u8]) -> (BlobHeader, usize) {
    let mut r = ByteReader::new(blob);
    let header = BlobHeader::read(&mut r).unwrap();
    (header, r.position() as usize)
}

/// SplitMix64: a small deterministic generator, so failures reproduce.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn every_truncated_header_is_a_corrupt_blob_error() {
    let mut truncations = 0;
    for (name, blob) in blobs() {
        let (header, len) = header_of(&blob);
        assert!(!header.schemas.is_empty(), "{name}");
        for cut in 0..len {
            match BlobHeader::read(&mut ByteReader::new(&blob[..cut])) {
                Err(e) => assert_eq!(e.kind(), ErrorKind::CorruptBlob, "{name} cut at {cut}: {e}"),
                Ok(h) => panic!("{name} cut at {cut} of {len} bytes parsed as {h:?}"),
            }
            truncations += 1;
        }
        // The whole header still parses on its own, with nothing after it.
        assert_eq!(BlobHeader::read(&mut ByteReader::new(&blob[..len])).unwrap(), header, "{name}");
    }
    assert!(truncations > 30_000, "only {truncations} truncations tried");
}

#[test]
fn truncation_errors_say_where() {
    let (name, blob) = blobs().into_iter().find(|(n, _)| n.starts_with("collections/blobs/header-")).unwrap();
    let (header, len) = header_of(&blob);
    // The header ends with the last tag's value (tags are written in Java HashMap order, so find which).
    let last_value = header
        .tags
        .values()
        .find(|v| {
            let start = len - v.len();
            blob[..len].ends_with(v.as_bytes()) && blob[start - 2..start] == (v.len() as u16).to_be_bytes()
        })
        .unwrap();
    let err = BlobHeader::read(&mut ByteReader::new(&blob[..len - 1])).unwrap_err();
    match &err {
        Error::CorruptBlob { position, message } => {
            // The value's bytes are what is missing: the error points just past its length prefix.
            assert_eq!(position.offset, (len - last_value.len()) as u64, "{name}: {err}");
            assert!(message.contains("header tag value"), "{name}: {err}");
        }
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn every_truncated_schema_is_an_error() {
    let mut checked = 0;
    for (name, blob) in blobs() {
        for schema in header_of(&blob).0.schemas {
            let mut bytes = Vec::new();
            write_schema(&mut bytes, &schema).unwrap();
            let mut r = ByteReader::new(&bytes);
            assert_eq!(read_schema(&mut r).unwrap(), schema, "{name}");
            assert!(r.is_empty());
            for cut in 0..bytes.len() {
                let result = read_schema(&mut ByteReader::new(&bytes[..cut]));
                assert!(result.is_err(), "{name}: schema {} cut at {cut} parsed as {result:?}", schema.name());
            }
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} schemas checked");
}

/// Damaged headers either fail cleanly or decode to a header that survives its own round trip.
#[test]
fn bit_flips_never_panic() {
    let mut rng = SplitMix(0x5eed_0f4a_1100_beef);
    let (mut parsed, mut rejected) = (0, 0);
    for (name, blob) in blobs() {
        let (_, len) = header_of(&blob);
        for round in 0..400 {
            let mut damaged = blob[..len].to_vec();
            for _ in 0..=rng.below(3) {
                let bit = rng.below(len * 8);
                damaged[bit / 8] ^= 1 << (bit % 8);
            }
            match BlobHeader::read(&mut ByteReader::new(&damaged)) {
                Ok(header) => {
                    let mut rewritten = Vec::new();
                    header.write(&mut rewritten).unwrap_or_else(|e| panic!("{name} round {round}: rewrite: {e}"));
                    let again = BlobHeader::read(&mut ByteReader::new(&rewritten))
                        .unwrap_or_else(|e| panic!("{name} round {round}: reread: {e}"));
                    assert_eq!(again, header, "{name} round {round}");
                    parsed += 1;
                }
                Err(e) => {
                    assert!(
                        matches!(e.kind(), ErrorKind::CorruptBlob),
                        "{name} round {round}: unexpected error kind: {e}"
                    );
                    rejected += 1;
                }
            }
        }
    }
    // Most single flips land in names and tag values and still decode; flips in lengths and counts do not.
    assert!(parsed > 1000 && rejected > 1000, "parsed {parsed}, rejected {rejected}");
}

/// Counts and lengths at their maximum must be refused before anything is allocated for them.
#[test]
fn huge_counts_are_refused_up_front() {
    let (_, blob) = blobs().into_iter().find(|(n, _)| n.starts_with("strings/blobs/header-")).unwrap();
    // Bytes 0..20 are version and tags; then the schema envelope length and the number of schemas.
    let mut huge_schema_count = blob[..20].to_vec();
    huge_schema_count.extend_from_slice(&[0x87, 0xFF, 0xFF, 0xFF, 0x7F]); // envelope length i32::MAX
    huge_schema_count.extend_from_slice(&[0x87, 0xFF, 0xFF, 0xFF, 0x7F]); // schema count i32::MAX
    huge_schema_count.extend_from_slice(&blob[22..]);
    let err = BlobHeader::read(&mut ByteReader::new(&huge_schema_count)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptBlob, "{err}");

    // An OBJECT schema claiming 32767 fields, and one claiming a key of i32::MAX paths.
    let mut many_fields = vec![0, 0, 1, b'T'];
    many_fields.extend_from_slice(&i16::MAX.to_be_bytes());
    assert!(read_schema(&mut ByteReader::new(&many_fields)).is_err());
    let huge_key = [6, 0, 1, b'T', 0x87, 0xFF, 0xFF, 0xFF, 0x7F];
    assert!(read_schema(&mut ByteReader::new(&huge_key)).is_err());
}
