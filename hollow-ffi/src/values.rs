//! Plain values that cross the boundary by value: strings and bytes as (pointer, length), field types,
//! type kinds, and lookup keys.

use std::ffi::c_char;

use hollow::schema::{FieldType, SchemaKind};

use crate::guard::{arg_slice, utf8, FfiResult};
use crate::status::{hollow_status, FfiError};

/// UTF-8 text as a pointer and a length in bytes. **Not NUL-terminated.** Print it with
/// `printf("%.*s", (int)s.len, s.ptr)`. When returned by the library, `ptr` points into memory owned by
/// the handle that returned it (see each function); `ptr` is never NULL, even for an empty string.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct hollow_str {
    /// The first byte.
    pub ptr: *const c_char,
    /// The number of bytes.
    pub len: usize,
}

impl hollow_str {
    pub(crate) fn of(s: &str) -> Self {
        hollow_str { ptr: s.as_ptr().cast(), len: s.len() }
    }

    pub(crate) const EMPTY: hollow_str = hollow_str { ptr: c"".as_ptr(), len: 0 };
}

/// Bytes as a pointer and a length. When returned by the library, `ptr` points into memory owned by the
/// handle that returned it; `ptr` is never NULL, even for no bytes.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct hollow_bytes {
    /// The first byte.
    pub ptr: *const u8,
    /// The number of bytes.
    pub len: usize,
}

impl hollow_bytes {
    pub(crate) fn of(b: &[u8]) -> Self {
        if b.is_empty() {
            return hollow_bytes { ptr: c"".as_ptr().cast(), len: 0 };
        }
        hollow_bytes { ptr: b.as_ptr(), len: b.len() }
    }
}

/// The kind of an OBJECT field. Values are stable.
#[allow(non_camel_case_types)]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum hollow_field_type {
    /// `int`: 32-bit signed integer.
    Int = 1,
    /// `long`: 64-bit signed integer.
    Long = 2,
    /// `float`: 32-bit IEEE float.
    Float = 3,
    /// `double`: 64-bit IEEE float.
    Double = 4,
    /// `boolean`.
    Boolean = 5,
    /// `string`: text, stored inline.
    String = 6,
    /// `bytes`: a byte array, stored inline.
    Bytes = 7,
    /// A reference to a record of another type, by ordinal.
    Reference = 8,
}

impl From<FieldType> for hollow_field_type {
    fn from(t: FieldType) -> Self {
        match t {
            FieldType::Int => hollow_field_type::Int,
            FieldType::Long => hollow_field_type::Long,
            FieldType::Float => hollow_field_type::Float,
            FieldType::Double => hollow_field_type::Double,
            FieldType::Boolean => hollow_field_type::Boolean,
            FieldType::String => hollow_field_type::String,
            FieldType::Bytes => hollow_field_type::Bytes,
            FieldType::Reference => hollow_field_type::Reference,
        }
    }
}

/// The kind of a type. Values are stable.
#[allow(non_camel_case_types)]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum hollow_kind {
    /// Records of named fields.
    Object = 1,
    /// Ordered element references.
    List = 2,
    /// Distinct element references.
    Set = 3,
    /// Key reference to value reference.
    Map = 4,
}

impl From<SchemaKind> for hollow_kind {
    fn from(k: SchemaKind) -> Self {
        match k {
            SchemaKind::Object => hollow_kind::Object,
            SchemaKind::List => hollow_kind::List,
            SchemaKind::Set => hollow_kind::Set,
            SchemaKind::Map => hollow_kind::Map,
        }
    }
}

/// The value of one key field; which member is meant is given by `hollow_key_value.field_type`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy)]
pub union hollow_key_data {
    /// For `HOLLOW_FIELD_TYPE_INT`.
    pub int_value: i32,
    /// For `HOLLOW_FIELD_TYPE_LONG`.
    pub long_value: i64,
    /// For `HOLLOW_FIELD_TYPE_FLOAT`.
    pub float_value: f32,
    /// For `HOLLOW_FIELD_TYPE_DOUBLE`.
    pub double_value: f64,
    /// For `HOLLOW_FIELD_TYPE_BOOLEAN`.
    pub bool_value: bool,
    /// For `HOLLOW_FIELD_TYPE_STRING`: UTF-8, need not be NUL-terminated.
    pub string_value: hollow_str,
    /// For `HOLLOW_FIELD_TYPE_BYTES`.
    pub bytes_value: hollow_bytes,
    /// For `HOLLOW_FIELD_TYPE_REFERENCE`: the ordinal of the referenced record (key paths ending in `!`).
    pub reference_value: u32,
}

/// One field of a lookup key, e.g. `{ HOLLOW_FIELD_TYPE_LONG, { .long_value = 42 } }`. A key is an array
/// of these, one per key field, in the order of the index's key fields. An INT key field also matches
/// a LONG value that fits, and the other way round.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hollow_key_value {
    /// Which member of `value` is set.
    pub field_type: hollow_field_type,
    /// The value.
    pub value: hollow_key_data,
}

/// [`hollow_key_value`] as the library reads it: the same layout, with the tag as a plain integer and
/// the boolean as a byte, so that whatever bits C put there are read without undefined behavior.
#[repr(C)]
#[derive(Clone, Copy)]
struct RawKeyValue {
    field_type: i32,
    value: RawKeyData,
}

#[repr(C)]
#[derive(Clone, Copy)]
union RawKeyData {
    int_value: i32,
    long_value: i64,
    float_value: f32,
    double_value: f64,
    bool_value: u8,
    string_value: hollow_str,
    bytes_value: hollow_bytes,
    reference_value: u32,
}

const _: () = {
    assert!(size_of::<RawKeyValue>() == size_of::<hollow_key_value>());
    assert!(align_of::<RawKeyValue>() == align_of::<hollow_key_value>());
    assert!(size_of::<RawKeyData>() == size_of::<hollow_key_data>());
    assert!(size_of::<hollow_field_type>() == size_of::<i32>());
};

/// One key field as C gave it, decoded and checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum KeyField<'a> {
    Int(i32),
    Long(i64),
    Float(f32),
    Double(f64),
    Boolean(bool),
    String(&'a str),
    Bytes(&'a [u8]),
    Reference(u32),
}

impl<'a> KeyField<'a> {
    #[inline(always)]
    pub(crate) fn to_index_key(self) -> hollow::index::KeyValue<'a> {
        use hollow::index::KeyValue as K;
        match self {
            KeyField::Int(v) => K::Int(v),
            KeyField::Long(v) => K::Long(v),
            KeyField::Float(v) => K::Float(v),
            KeyField::Double(v) => K::Double(v),
            KeyField::Boolean(v) => K::Boolean(v),
            KeyField::String(s) => K::String(s.into()),
            KeyField::Bytes(b) => K::Bytes(b.into()),
            KeyField::Reference(o) => K::Reference(o),
        }
    }

    #[inline(always)]
    pub(crate) fn to_lookup_key(self) -> hollow::read::SetMapKeyValue<'a> {
        use hollow::read::SetMapKeyValue as K;
        match self {
            KeyField::Int(v) => K::Int(v),
            KeyField::Long(v) => K::Long(v),
            KeyField::Float(v) => K::Float(v),
            KeyField::Double(v) => K::Double(v),
            KeyField::Boolean(v) => K::Boolean(v),
            KeyField::String(s) => K::String(s),
            KeyField::Bytes(b) => K::Bytes(b),
            KeyField::Reference(o) => K::Reference(o),
        }
    }
}

/// The first key value as an `i64` when C tagged it INT or LONG, else `None` (the caller then takes the
/// general path, which reports whatever is wrong with it). The fast path of single-integer keys: a tag
/// comparison and one load, where [`key_field`] decodes every kind.
///
/// # Safety
/// `key` must point to at least one readable `hollow_key_value`.
#[inline(always)]
pub(crate) unsafe fn integer_key(key: *const hollow_key_value) -> Option<i64> {
    // SAFETY: readable per the contract; read through the raw mirror type (same layout) so that no invalid
    // enum value is materialized.
    let raw = unsafe { key.cast::<RawKeyValue>().read() };
    // SAFETY: the member the tag names is read; both are plain integers, valid for any bits.
    unsafe {
        match raw.field_type {
            1 => Some(raw.value.int_value as i64),
            2 => Some(raw.value.long_value),
            _ => None,
        }
    }
}

/// Decode key field `i` of a key array.
///
/// # Safety
/// `key` must point to at least `i + 1` readable `hollow_key_value`s whose string and bytes members, when
/// selected, point to readable memory of their length for `'a`.
#[inline(always)]
pub(crate) unsafe fn key_field<'a>(key: *const hollow_key_value, i: usize) -> FfiResult<KeyField<'a>> {
    // SAFETY: in bounds per the contract; read through the raw mirror type (same layout) so that no
    // invalid enum or bool value is ever materialized.
    let raw = unsafe { key.add(i).cast::<RawKeyValue>().read() };
    // SAFETY: each union read takes the member the tag names, and every member is plain data for which
    // any bits are a valid value, so a lying tag gives a wrong value, not undefined behavior. The slices:
    // `key`'s contract makes the selected string or bytes member readable for `'a`.
    Ok(unsafe {
        match raw.field_type {
            1 => KeyField::Int(raw.value.int_value),
            2 => KeyField::Long(raw.value.long_value),
            3 => KeyField::Float(raw.value.float_value),
            4 => KeyField::Double(raw.value.double_value),
            5 => KeyField::Boolean(raw.value.bool_value != 0),
            6 => {
                let s = raw.value.string_value;
                let bytes = arg_slice(s.ptr.cast::<u8>(), s.len, "key string_value.ptr")?;
                KeyField::String(utf8(bytes, "key string_value")?)
            }
            7 => {
                let b = raw.value.bytes_value;
                KeyField::Bytes(arg_slice(b.ptr, b.len, "key bytes_value.ptr")?)
            }
            8 => KeyField::Reference(raw.value.reference_value),
            other => {
                return Err(FfiError::new(
                    hollow_status::InvalidArgument,
                    format!("key field {i} has field_type {other}, which is not a hollow_field_type"),
                ))
            }
        }
    })
}

/// Run `f` with the key array converted by `convert`, on the stack for keys of up to four fields.
///
/// # Safety
/// As [`key_field`], for every `i < len`; `key` may be NULL only if `len` is 0.
#[inline(always)]
pub(crate) unsafe fn with_key<'a, K, R>(
    key: *const hollow_key_value,
    len: usize,
    convert: impl Fn(KeyField<'a>) -> K,
    f: impl FnOnce(&[K]) -> R,
) -> FfiResult<R> {
    if len > 0 && key.is_null() {
        return Err(FfiError::null("key"));
    }
    let field = |i| {
        // SAFETY: called only with `i < len` (below), and `key` holds `len` key values per the contract.
        unsafe { key_field(key, i) }.map(&convert)
    };
    Ok(match len {
        0 => f(&[]),
        1 => f(&[field(0)?]),
        2 => f(&[field(0)?, field(1)?]),
        3 => f(&[field(0)?, field(1)?, field(2)?]),
        4 => f(&[field(0)?, field(1)?, field(2)?, field(3)?]),
        _ => f(&(0..len).map(field).collect::<FfiResult<Vec<K>>>()?),
    })
}

/// Copy `text` into the caller's `buffer` of `capacity` bytes as NUL-terminated UTF-8, the convention of
/// `hollow_object_copy_string`: `*out_len` receives the text's length in bytes (without the NUL) whether
/// or not it fit; a short buffer receives as much as fits, cut back to whole characters, then the NUL;
/// with `capacity` 0 nothing is written and `buffer` may be NULL. Both pointers are checked first.
///
/// # Safety
/// A non-NULL `buffer` must have `capacity` writable bytes, and a non-NULL `out_len` be writable.
pub(crate) unsafe fn copy_text(text: &str, buffer: *mut c_char, capacity: usize, out_len: *mut usize) -> FfiResult {
    if capacity > 0 && buffer.is_null() {
        return Err(FfiError::null("buffer"));
    }
    // SAFETY: a non-NULL `out_len` is writable (this function's contract).
    let out_len = unsafe { crate::guard::out(out_len, "out_len") }?;
    if capacity > 0 {
        let mut n = text.len().min(capacity - 1);
        while !text.is_char_boundary(n) {
            n -= 1;
        }
        // SAFETY: `buffer` is non-NULL with `capacity` writable bytes (this function's contract) and
        // n + 1 <= capacity; the source is a separate Rust allocation.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), buffer.cast::<u8>(), n);
            buffer.add(n).write(0);
        }
    }
    out_len.set(text.len());
    Ok(())
}
