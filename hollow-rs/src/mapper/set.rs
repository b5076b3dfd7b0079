//! The [`as_set`] adapter and the marker the tracer recognizes it by.

/// The newtype name that marks a set. Not a valid Rust identifier, so no real type has it.
pub(crate) const SET_MARKER: &str = "$hollow::set";

/// `#[serde(with = "hollow::mapper::as_set")]`: store a sequence field as a Hollow SET.
///
/// The standard set types (`HashSet`, `BTreeSet`) are sets already; this adapter is for anything else
/// that serializes as a sequence of distinct elements (a `Vec`, an `IndexSet`, ...). It wraps the value
/// in a newtype with a marker name that the mapper's tracer recognizes; every other serde format (JSON,
/// ...) sees the plain sequence.
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Movie {
///     #[serde(with = "hollow::mapper::as_set")]
///     tags: Vec<String>, // SetOfString, not ListOfString
/// }
///
/// let mut mapper = hollow::mapper::ObjectMapper::new();
/// mapper.derive::<Movie>()?;
/// assert_eq!(mapper.schemas()[1].to_string(), "SetOfString Set<String> @HashKey(value);");
/// # Ok::<(), hollow::Error>(())
/// ```
pub mod as_set {
    use std::fmt;
    use std::marker::PhantomData;

    use serde::de::value::SeqAccessDeserializer;
    use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
    use serde::ser::{Serialize, Serializer};

    use super::SET_MARKER;

    /// Serialize `value` (a sequence) marked as a set.
    ///
    /// # Errors
    ///
    /// The serializer's errors.
    pub fn serialize<C, S>(value: &C, serializer: S) -> Result<S::Ok, S::Error>
    where
        C: Serialize + ?Sized,
        S: Serializer,
    {
        serializer.serialize_newtype_struct(SET_MARKER, value)
    }

    /// Deserialize a sequence marked as a set.
    ///
    /// # Errors
    ///
    /// The deserializer's errors.
    pub fn deserialize<'de, C, D>(deserializer: D) -> Result<C, D::Error>
    where
        C: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        deserializer.deserialize_newtype_struct(SET_MARKER, SetVisitor(PhantomData))
    }

    struct SetVisitor<C>(PhantomData<C>);

    impl<'de, C: Deserialize<'de>> Visitor<'de> for SetVisitor<C> {
        type Value = C;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a sequence")
        }

        fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<C, D::Error> {
            C::deserialize(deserializer)
        }

        // Formats that pass newtypes through without calling visit_newtype_struct.
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<C, A::Error> {
            C::deserialize(SeqAccessDeserializer::new(seq))
        }
    }
}
