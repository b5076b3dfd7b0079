//! Key values: what a caller looks up ([`KeyValue`]), what a record holds ([`FieldValue`]), and the
//! hash and equality that must agree between the two.
//!
//! Equality is Hollow's: integers by value (an INT field matches an `i64` that fits), floats and
//! doubles by bits with every NaN equal to every other (as `floatToIntBits` compares), strings by
//! their UTF-16 units, bytes by bytes, references by ordinal.

use std::borrow::Cow;

use super::hasher::KeyHasher;
use super::path::Leaf;
use crate::encoding::hollow_string;
use crate::schema::FieldType;

/// One field of a lookup key, owned or borrowed.
///
/// Build it with `From`: `KeyValue::from(42_i64)`, `KeyValue::from("Alice")`, from a `String`, from
/// any integer type whose every value fits (`i8` to `i64`, `u8` to `u32`: `u64` and `usize` do not),
/// floats, booleans and bytes; or name the variant.
/// A key field whose path ends at a reference (a path ending in `!`, a collection element, ...) is
/// matched by the referenced record's ordinal: [`KeyValue::Reference`].
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue<'a> {
    /// An INT field, or a LONG field.
    Int(i32),
    /// A LONG field, or an INT field when the value fits in 32 bits.
    Long(i64),
    /// A FLOAT field.
    Float(f32),
    /// A DOUBLE field.
    Double(f64),
    /// A BOOLEAN field.
    Boolean(bool),
    /// A STRING field.
    String(Cow<'a, str>),
    /// A BYTES field.
    Bytes(Cow<'a, [u8]>),
    /// A reference, by the ordinal of the referenced record.
    Reference(u32),
}

impl KeyValue<'_> {
    /// A copy that owns its text or bytes.
    pub fn into_owned(self) -> KeyValue<'static> {
        match self {
            KeyValue::Int(v) => KeyValue::Int(v),
            KeyValue::Long(v) => KeyValue::Long(v),
            KeyValue::Float(v) => KeyValue::Float(v),
            KeyValue::Double(v) => KeyValue::Double(v),
            KeyValue::Boolean(v) => KeyValue::Boolean(v),
            KeyValue::String(s) => KeyValue::String(Cow::Owned(s.into_owned())),
            KeyValue::Bytes(b) => KeyValue::Bytes(Cow::Owned(b.into_owned())),
            KeyValue::Reference(o) => KeyValue::Reference(o),
        }
    }
}

macro_rules! key_value_from {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<$t> for KeyValue<'_> {
            fn from(v: $t) -> Self {
                KeyValue::$variant(v.into())
            }
        }
    )*};
}
// Every integer type whose values all fit: the narrow ones as INT, `u32` as LONG (an INT key field
// takes a LONG value that fits in 32 bits, see `Long`). `u64` and `usize` may not fit and have none.
key_value_from!(
    i8 => Int, i16 => Int, i32 => Int, u8 => Int, u16 => Int,
    i64 => Long, u32 => Long,
    f32 => Float, f64 => Double, bool => Boolean,
);

impl<'a> From<&'a str> for KeyValue<'a> {
    fn from(s: &'a str) -> Self {
        KeyValue::String(Cow::Borrowed(s))
    }
}

impl From<String> for KeyValue<'_> {
    fn from(s: String) -> Self {
        KeyValue::String(Cow::Owned(s))
    }
}

impl<'a> From<&'a String> for KeyValue<'a> {
    fn from(s: &'a String) -> Self {
        KeyValue::String(Cow::Borrowed(s))
    }
}

impl<'a> From<&'a [u8]> for KeyValue<'a> {
    fn from(b: &'a [u8]) -> Self {
        KeyValue::Bytes(Cow::Borrowed(b))
    }
}

impl From<Vec<u8>> for KeyValue<'_> {
    fn from(b: Vec<u8>) -> Self {
        KeyValue::Bytes(Cow::Owned(b))
    }
}

/// A key field's value as stored in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldValue<'a> {
    /// INT or LONG.
    Int(i64),
    /// BOOLEAN.
    Boolean(bool),
    /// FLOAT bits, NaNs made canonical.
    Float(u32),
    /// DOUBLE bits, NaNs made canonical.
    Double(u64),
    /// STRING (its stored VarInt UTF-16 form) or BYTES.
    Bytes(&'a [u8]),
    /// The ordinal of the record a path ends at.
    Ordinal(u32),
}

/// Float bits with every NaN mapped to one, so that NaN keys match as in Java's `floatToIntBits`.
#[inline]
pub(crate) fn float_key_bits(f: f32) -> u32 {
    if f.is_nan() {
        f32::NAN.to_bits()
    } else {
        f.to_bits()
    }
}

/// Double bits with every NaN mapped to one.
#[inline]
pub(crate) fn double_key_bits(d: f64) -> u64 {
    if d.is_nan() {
        f64::NAN.to_bits()
    } else {
        d.to_bits()
    }
}

/// A caller's key field checked against the kind of field it is compared with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Probe<'k> {
    Int(i64),
    Boolean(bool),
    Float(u32),
    Double(u64),
    Str(&'k str),
    Bytes(&'k [u8]),
    Ordinal(u32),
}

impl<'k> Probe<'k> {
    /// `value` as a probe for a key field yielding `leaf`; `None` if it can never match one (wrong
    /// kind, or an INT field given a long outside 32 bits).
    #[inline(always)]
    pub(crate) fn new(value: &'k KeyValue<'_>, leaf: &LeafKind) -> Option<Self> {
        Some(match (leaf, value) {
            (LeafKind::Value(FieldType::Int), KeyValue::Int(v)) => Probe::Int(*v as i64),
            (LeafKind::Value(FieldType::Int), KeyValue::Long(v)) => Probe::Int(i32::try_from(*v).ok()? as i64),
            (LeafKind::Value(FieldType::Long), KeyValue::Int(v)) => Probe::Int(*v as i64),
            (LeafKind::Value(FieldType::Long), KeyValue::Long(v)) => Probe::Int(*v),
            (LeafKind::Value(FieldType::Boolean), KeyValue::Boolean(v)) => Probe::Boolean(*v),
            (LeafKind::Value(FieldType::Float), KeyValue::Float(v)) => Probe::Float(float_key_bits(*v)),
            (LeafKind::Value(FieldType::Double), KeyValue::Double(v)) => Probe::Double(double_key_bits(*v)),
            (LeafKind::Value(FieldType::String), KeyValue::String(s)) => Probe::Str(s),
            (LeafKind::Value(FieldType::Bytes), KeyValue::Bytes(b)) => Probe::Bytes(b),
            (LeafKind::Ordinal, KeyValue::Reference(o)) => Probe::Ordinal(*o),
            _ => return None,
        })
    }

    /// Feed the probe into a key hash exactly as [`hash_field`] feeds the matching stored value.
    #[inline(always)]
    pub(crate) fn hash_into(&self, h: &mut KeyHasher) {
        match *self {
            Probe::Int(v) => h.write_u64(v as u64),
            Probe::Boolean(v) => h.write_u64(v as u64),
            Probe::Float(v) => h.write_u64(v as u64),
            Probe::Double(v) => h.write_u64(v),
            Probe::Str(s) => h.write_str_as_stored(s),
            Probe::Bytes(b) => {
                h.write_bytes(b);
                h.end_bytes();
            }
            Probe::Ordinal(o) => h.write_u64(o as u64),
        }
    }

    /// Whether a stored value equals the probe.
    #[inline(always)]
    pub(crate) fn matches(&self, stored: FieldValue<'_>) -> bool {
        match (*self, stored) {
            (Probe::Int(a), FieldValue::Int(b)) => a == b,
            (Probe::Boolean(a), FieldValue::Boolean(b)) => a == b,
            (Probe::Float(a), FieldValue::Float(b)) => a == b,
            (Probe::Double(a), FieldValue::Double(b)) => a == b,
            (Probe::Str(a), FieldValue::Bytes(b)) => hollow_string::equals(b, a),
            (Probe::Bytes(a), FieldValue::Bytes(b)) => a == b,
            (Probe::Ordinal(a), FieldValue::Ordinal(b)) => a == b,
            _ => false,
        }
    }
}

/// Feed a stored key field into a key hash.
#[inline]
pub(crate) fn hash_field(h: &mut KeyHasher, value: FieldValue<'_>) {
    match value {
        FieldValue::Int(v) => h.write_u64(v as u64),
        FieldValue::Boolean(v) => h.write_u64(v as u64),
        FieldValue::Float(v) => h.write_u64(v as u64),
        FieldValue::Double(v) => h.write_u64(v),
        FieldValue::Bytes(b) => {
            h.write_bytes(b);
            h.end_bytes();
        }
        FieldValue::Ordinal(o) => h.write_u64(o as u64),
    }
}

/// The kind of value a key field yields, for checking a caller's [`KeyValue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeafKind {
    /// An inline field of this kind (never REFERENCE).
    Value(FieldType),
    /// An ordinal.
    Ordinal,
}

impl From<&Leaf> for LeafKind {
    fn from(leaf: &Leaf) -> Self {
        match leaf {
            Leaf::Value { field_type, .. } => LeafKind::Value(*field_type),
            Leaf::Ordinal { .. } => LeafKind::Ordinal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_probe(p: Probe<'_>) -> u64 {
        let mut h = KeyHasher::default();
        p.hash_into(&mut h);
        h.finish()
    }

    fn hash_stored(v: FieldValue<'_>) -> u64 {
        let mut h = KeyHasher::default();
        hash_field(&mut h, v);
        h.finish()
    }

    #[test]
    fn integers_strings_and_bytes_convert_to_the_variant_that_holds_them() {
        assert_eq!(KeyValue::from(-7_i8), KeyValue::Int(-7));
        assert_eq!(KeyValue::from(i16::MIN), KeyValue::Int(-32768));
        assert_eq!(KeyValue::from(255_u8), KeyValue::Int(255));
        assert_eq!(KeyValue::from(u16::MAX), KeyValue::Int(65535));
        assert_eq!(KeyValue::from(u32::MAX), KeyValue::Long(4_294_967_295));
        assert_eq!(KeyValue::from(i64::MIN), KeyValue::Long(i64::MIN));
        assert_eq!(KeyValue::from("a"), KeyValue::String(Cow::Borrowed("a")));
        assert_eq!(KeyValue::from(String::from("a")), KeyValue::String(Cow::Owned("a".into())));
        assert_eq!(KeyValue::from(vec![1_u8]), KeyValue::Bytes(Cow::Owned(vec![1])));
        // A u16 key finds an INT field as an i32 key would.
        let int = LeafKind::Value(FieldType::Int);
        let (small, same) = (KeyValue::from(40_000_u16), KeyValue::from(40_000_i32));
        assert_eq!(hash_probe(Probe::new(&small, &int).unwrap()), hash_probe(Probe::new(&same, &int).unwrap()));
    }

    #[test]
    fn int_and_long_keys_match_int_and_long_fields() {
        let int = LeafKind::Value(FieldType::Int);
        let long = LeafKind::Value(FieldType::Long);
        let seven = KeyValue::Long(7);
        let p = Probe::new(&seven, &int).unwrap();
        assert!(p.matches(FieldValue::Int(7)));
        assert_eq!(hash_probe(p), hash_stored(FieldValue::Int(7)));
        assert!(Probe::new(&KeyValue::Long(1 << 40), &int).is_none());
        let minus_three = KeyValue::Int(-3);
        let p = Probe::new(&minus_three, &long).unwrap();
        assert!(p.matches(FieldValue::Int(-3)));
        assert!(Probe::new(&KeyValue::from("x"), &long).is_none());
        assert!(Probe::new(&KeyValue::Reference(1), &long).is_none());
    }

    #[test]
    fn nans_are_one_key() {
        let leaf = LeafKind::Value(FieldType::Double);
        let other_nan = f64::from_bits(0x7ff8_0000_0000_0042);
        let nan = KeyValue::Double(other_nan);
        let p = Probe::new(&nan, &leaf).unwrap();
        assert!(p.matches(FieldValue::Double(double_key_bits(f64::NAN))));
        let zero = KeyValue::Double(-0.0);
        let p = Probe::new(&zero, &leaf).unwrap();
        assert!(!p.matches(FieldValue::Double(double_key_bits(0.0))));
        assert_eq!(float_key_bits(f32::from_bits(0x7fc0_0001)), f32::NAN.to_bits());
    }

    #[test]
    fn strings_match_their_stored_form() {
        let leaf = LeafKind::Value(FieldType::String);
        let mut stored = Vec::new();
        hollow_string::encode_into(&mut stored, "Zoë");
        let key = KeyValue::from("Zoë");
        let p = Probe::new(&key, &leaf).unwrap();
        assert!(p.matches(FieldValue::Bytes(&stored)));
        assert!(!p.matches(FieldValue::Bytes(b"Zoe")));
        assert_eq!(hash_probe(p), hash_stored(FieldValue::Bytes(&stored)));
    }

    #[test]
    fn conversions() {
        assert_eq!(KeyValue::from(1_i32), KeyValue::Int(1));
        assert_eq!(KeyValue::from(1_i64), KeyValue::Long(1));
        assert_eq!(KeyValue::from(true), KeyValue::Boolean(true));
        assert_eq!(KeyValue::from(String::from("a")), KeyValue::String("a".into()));
        let owned = KeyValue::from(&b"ab"[..]).into_owned();
        assert_eq!(owned, KeyValue::Bytes(Cow::Owned(b"ab".to_vec())));
    }
}
