//! Java's "modified UTF-8", as written by `DataOutput.writeUTF`.
//!
//! It differs from UTF-8 in two ways: NUL is the two bytes `C0 80`, and a character outside the BMP is
//! written as its two UTF-16 surrogates, three bytes each (CESU-8 style).
//!
//! Hand-written on purpose: names and header tags must round-trip byte for byte with Java's
//! `writeUTF`/`readUTF`, which standard UTF-8 decoders refuse (see the [module overview](super)).

/// Encode `s` as modified UTF-8 (without the length prefix).
pub fn encode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for unit in s.encode_utf16() {
        push_unit(&mut out, unit);
    }
    out
}

fn push_unit(out: &mut Vec<u8>, c: u16) {
    match c {
        0x0001..=0x007F => out.push(c as u8),
        0x0000 | 0x0080..=0x07FF => {
            out.push(0xC0 | ((c >> 6) & 0x1F) as u8);
            out.push(0x80 | (c & 0x3F) as u8);
        }
        _ => {
            out.push(0xE0 | ((c >> 12) & 0x0F) as u8);
            out.push(0x80 | ((c >> 6) & 0x3F) as u8);
            out.push(0x80 | (c & 0x3F) as u8);
        }
    }
}

/// Append `s` as Java's `writeUTF` does: a big-endian u16 byte length, then modified UTF-8.
/// Returns `None` when the encoding is longer than 65535 bytes, which Java rejects too.
pub fn write_utf(out: &mut Vec<u8>, s: &str) -> Option<()> {
    let bytes = encode(s);
    let len = u16::try_from(bytes.len()).ok()?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&bytes);
    Some(())
}

/// Decode modified UTF-8 into UTF-16 code units; `None` if the bytes are malformed.
pub fn decode_utf16(bytes: &[u8]) -> Option<Vec<u16>> {
    let mut units = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let unit = if b & 0x80 == 0 {
            i += 1;
            b as u16
        } else if b & 0xE0 == 0xC0 {
            let b2 = *bytes.get(i + 1)?;
            if b2 & 0xC0 != 0x80 {
                return None;
            }
            i += 2;
            ((b as u16 & 0x1F) << 6) | (b2 as u16 & 0x3F)
        } else if b & 0xF0 == 0xE0 {
            let (b2, b3) = (*bytes.get(i + 1)?, *bytes.get(i + 2)?);
            if b2 & 0xC0 != 0x80 || b3 & 0xC0 != 0x80 {
                return None;
            }
            i += 3;
            ((b as u16 & 0x0F) << 12) | ((b2 as u16 & 0x3F) << 6) | (b3 as u16 & 0x3F)
        } else {
            return None;
        };
        units.push(unit);
    }
    Some(units)
}

/// Decode modified UTF-8 into a `String`; `None` if malformed or if it holds a lone surrogate.
pub fn decode(bytes: &[u8]) -> Option<String> {
    if bytes.iter().all(|&b| b != 0 && b < 0x80) {
        return Some(std::str::from_utf8(bytes).ok()?.to_owned());
    }
    String::from_utf16(&decode_utf16(bytes)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_specific_encodings() {
        assert_eq!(encode("a"), b"a");
        assert_eq!(encode("\0"), [0xC0, 0x80]);
        assert_eq!(encode("é"), [0xC3, 0xA9]);
        assert_eq!(encode("€"), [0xE2, 0x82, 0xAC]);
        // U+1F600 as two 3-byte surrogates, not one 4-byte sequence.
        assert_eq!(encode("😀"), [0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]);
    }

    #[test]
    fn round_trips() {
        for s in ["", "Movie", "a\0b", "naïve", "日本", "😀x"] {
            assert_eq!(decode(&encode(s)).as_deref(), Some(s));
        }
        let mut out = Vec::new();
        write_utf(&mut out, "id").unwrap();
        assert_eq!(out, [0, 2, b'i', b'd']);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(decode(&[0xC3]), None);
        assert_eq!(decode(&[0xFF]), None);
        assert_eq!(decode(&[0xED, 0xA0, 0xBD]), None, "lone surrogate is not a String");
    }
}
