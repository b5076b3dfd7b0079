//! Read-state handles: one pinned version of the dataset.
//!
//! A `hollow_read_state` holds an `Arc` of one consumer state, so the version it shows never changes
//! under it and a refresh never waits for it. Acquiring one is an atomic load, a reference-count
//! increment and one small allocation; the handle is `Sync`, so one handle may be read from many threads.
//!
//! Everything a read returns by pointer (type handles, index handles, strings, bytes) lives as long as
//! the handle. Type and index handles are made once per name and kept in the handle (behind a mutex,
//! taken only when a handle is looked up, never by record reads). ASCII strings and bytes point into the
//! dataset itself; a string with non-ASCII text is decoded to UTF-8 and kept until the handle is
//! released, which is what lets the pointer outlive the call. Kept copies are deduplicated by value, so
//! what a handle keeps is bounded by the distinct non-ASCII string values of its version, however often
//! they are read; a type's schema text is rendered once per handle.

use std::collections::HashSet;
use std::ffi::c_char;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use hollow::consumer::ReadState;
use hollow::index::{HashIndex, PrimaryKeyIndex};
use hollow::read::{ObjectTypeReadState, ReadStateEngine, TypeReadState};
use hollow::schema::dsl::to_java_string;
use hollow::schema::paths::resolve_key_path;
use hollow::schema::FieldType;

use crate::guard::{
    arg, arg_slice, arg_str, free_handle, guard, guard_value, into_handle, out, Borrowed, FfiResult, Handle, OwnedBox,
};
use crate::index::KeySignature;
use crate::mapping::mapping_mode;
use crate::status::{hollow_status, FfiError};
use crate::values::hollow_str;

/// One version of the dataset, pinned. Acquired from `hollow_consumer_read_state`, released with
/// `hollow_read_state_free`. Every function taking a `const hollow_read_state *` (and every function on
/// the type and index handles it gives out) may be called from many threads at once.
#[allow(non_camel_case_types)]
pub struct hollow_read_state {
    state: Arc<ReadState>,
    kept: Mutex<Kept>,
    /// Decoded non-ASCII strings handed out by this handle's reads.
    strings: KeptStrings,
}

impl Handle for hollow_read_state {
    type Ownership = OwnedBox;
}

/// What the handle keeps alive for the pointers it gave out. Boxed, so that each keeps its address
/// while the collections grow.
#[derive(Default)]
#[allow(clippy::vec_box)]
struct Kept {
    types: Vec<Box<hollow_type>>,
    primary_key_indexes: Vec<Box<hollow_primary_key_index>>,
    hash_indexes: Vec<Box<hollow_hash_index>>,
    field_paths: Vec<Box<hollow_field_path>>,
}

/// A type of the dataset, as seen by one read state (`hollow_read_state_type`). Valid until that read
/// state is released; never freed on its own. Usable from many threads at once.
#[allow(non_camel_case_types)]
pub struct hollow_type {
    owner: NonNull<hollow_read_state>,
    state: NonNull<TypeReadState>,
    /// The schema in Hollow's schema language, rendered on first use.
    schema_text: OnceLock<Box<str>>,
}

impl Handle for hollow_type {
    type Ownership = Borrowed;
}

/// A primary-key index of an OBJECT type at one read state's version
/// (`hollow_read_state_primary_key_index`). Valid until that read state is released; never freed on its
/// own. Usable from many threads at once.
#[allow(non_camel_case_types)]
pub struct hollow_primary_key_index {
    owner: NonNull<hollow_read_state>,
    /// The indexed type, to check that a field path given with a lookup starts there (one pointer
    /// comparison) and to read the record found.
    root: NonNull<ObjectTypeReadState>,
    index: Arc<PrimaryKeyIndex>,
    /// The indexed type and each key field's path and kind (REFERENCE for a path ending in `!`), to
    /// check a caller's key against.
    signature: KeySignature,
}

impl Handle for hollow_primary_key_index {
    type Ownership = Borrowed;
}

/// A hash index (a key matching any number of records) at one read state's version
/// (`hollow_read_state_hash_index`). Valid until that read state is released; never freed on its own.
/// Usable from many threads at once.
#[allow(non_camel_case_types)]
pub struct hollow_hash_index {
    owner: NonNull<hollow_read_state>,
    index: Arc<HashIndex>,
    /// The indexed type and each match field's path (as given) and kind, to check a caller's key against.
    signature: KeySignature,
}

impl Handle for hollow_hash_index {
    type Ownership = Borrowed;
}

/// A field reached from an OBJECT type through zero or more references (`"year"`, `"title"` for a
/// reference to a `String { string value; }`, `"director.name.value"`), resolved once by
/// `hollow_read_state_field_path` so that the one-crossing reads (`hollow_primary_key_index_read_*`)
/// compare no names. Valid until its read state is released; never freed on its own. Usable from many
/// threads at once.
#[allow(non_camel_case_types)]
pub struct hollow_field_path {
    /// The read state that resolved the path, whose version the step pointers point into.
    owner: NonNull<hollow_read_state>,
    /// The type the path starts at.
    root: NonNull<ObjectTypeReadState>,
    /// Each field walked through: the references followed, then the field read. Never empty.
    steps: Box<[(NonNull<ObjectTypeReadState>, usize)]>,
    /// The kind of the field read.
    leaf_type: FieldType,
    /// The type and the path as given, for messages and to find the handle again.
    type_name: String,
    path: String,
}

impl Handle for hollow_field_path {
    type Ownership = Borrowed;
}

impl hollow_field_path {
    /// The type the path starts at.
    #[inline(always)]
    pub(crate) fn root(&self) -> *const ObjectTypeReadState {
        self.root.as_ptr()
    }

    /// The kind of the field read at the end of the path.
    #[inline(always)]
    pub(crate) fn leaf_type(&self) -> FieldType {
        self.leaf_type
    }

    /// The version the path was resolved in (its step pointers point into it).
    pub(crate) fn version_state(&self) -> &Arc<ReadState> {
        // SAFETY: as in `hollow_type::parts`: the owner outlives every use of this handle.
        unsafe { self.owner.as_ref() }.shared_state()
    }

    /// Each field walked through: the references followed, then the field read. Never empty.
    pub(crate) fn steps(&self) -> &[(NonNull<ObjectTypeReadState>, usize)] {
        &self.steps
    }

    /// The path as given and its root type, for messages.
    pub(crate) fn describe(&self) -> String {
        format!("{}.{}", self.type_name, self.path)
    }

    /// Follow the path's references from record `ordinal` of its root type: the type and record holding
    /// the field read and its index, or `None` when a reference on the way is null.
    #[inline(always)]
    pub(crate) fn walk(&self, mut ordinal: u32) -> Option<(&ObjectTypeReadState, u32, usize)> {
        let (last, hops) = self.steps.split_last().expect("a resolved path has at least one step");
        for (ty, field) in hops {
            // SAFETY: the type states belong to the read state that owns this handle, which the caller
            // keeps alive while using the handle (the header's contract).
            ordinal = unsafe { ty.as_ref() }.read_ordinal(ordinal, *field)?;
        }
        // SAFETY: as above.
        Some((unsafe { last.0.as_ref() }, ordinal, last.1))
    }
}

/// Decoded non-ASCII strings, kept so that a pointer to one stays valid as long as its holder (a read
/// state, a prepared read). One copy per distinct value: reading a value again gives the copy already
/// kept, so this grows only with the number of distinct values read, which the version's data bounds.
/// Each copy is boxed, so it keeps its address while the set grows, and nothing is removed before the
/// holder is dropped.
#[derive(Default)]
pub(crate) struct KeptStrings(Mutex<HashSet<Box<str>>>);

impl KeptStrings {
    /// A string valid as long as `self`: in place when borrowed from the dataset (which the holder keeps
    /// alive), else the kept copy of that value (made on its first read).
    #[inline(always)]
    pub(crate) fn keep(&self, s: std::borrow::Cow<'_, str>) -> hollow_str {
        match s {
            std::borrow::Cow::Borrowed(b) => hollow_str::of(b),
            std::borrow::Cow::Owned(o) => self.keep_owned(o),
        }
    }

    #[inline(never)]
    fn keep_owned(&self, text: String) -> hollow_str {
        // The set only ever grows by whole inserts, so it is consistent even after a panic elsewhere.
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = kept.get(text.as_str()) {
            return hollow_str::of(existing);
        }
        let boxed = text.into_boxed_str();
        let view = hollow_str::of(&boxed);
        // Moving the Box into the set (or the set's rehashing) does not move the text it points to.
        kept.insert(boxed);
        view
    }
}

impl hollow_read_state {
    pub(crate) fn new(state: Arc<ReadState>) -> Self {
        hollow_read_state { state, kept: Mutex::new(Kept::default()), strings: KeptStrings::default() }
    }

    pub(crate) fn state(&self) -> &ReadState {
        &self.state
    }

    /// The pinned version itself, for handles that keep it alive on their own (a prepared read).
    pub(crate) fn shared_state(&self) -> &Arc<ReadState> {
        &self.state
    }

    pub(crate) fn engine(&self) -> &ReadStateEngine {
        self.state.engine()
    }

    fn kept(&self) -> MutexGuard<'_, Kept> {
        // `Kept` only ever grows by whole pushes, so it is consistent even after a panic elsewhere.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A string valid as long as this handle: in place when borrowed from the dataset, else the kept copy
    /// of that value (made on its first read).
    #[inline(always)]
    pub(crate) fn keep_str(&self, s: std::borrow::Cow<'_, str>) -> hollow_str {
        self.strings.keep(s)
    }

    /// The handle of type `name`, made on first use.
    fn type_handle(&self, name: &str) -> FfiResult<*const hollow_type> {
        let state = self
            .engine()
            .type_state(name)
            .ok_or_else(|| FfiError::new(hollow_status::NotFound, format!("no type named {name:?}")))?;
        let mut kept = self.kept();
        if let Some(t) = kept.types.iter().find(|t| std::ptr::eq(t.state.as_ptr(), state)) {
            return Ok(&**t);
        }
        let t = Box::new(hollow_type {
            owner: NonNull::from(self),
            state: NonNull::from(state),
            schema_text: OnceLock::new(),
        });
        let p: *const hollow_type = &*t;
        kept.types.push(t);
        Ok(p)
    }
}

impl hollow_type {
    /// The type's state and the read-state handle that owns it.
    pub(crate) fn parts(&self) -> (&TypeReadState, &hollow_read_state) {
        // SAFETY: both pointers were taken from a live `hollow_read_state`, which owns this handle and
        // (through its `Arc<ReadState>`) the type state; the caller may use this handle only until that
        // read state is freed, so both are alive here.
        unsafe { (self.state.as_ref(), self.owner.as_ref()) }
    }

    /// The type's schema text, rendered once.
    pub(crate) fn schema_text(&self) -> &str {
        self.schema_text.get_or_init(|| to_java_string(self.parts().0.schema()).into_boxed_str())
    }
}

impl hollow_primary_key_index {
    pub(crate) fn parts(&self) -> (&PrimaryKeyIndex, &hollow_read_state) {
        // SAFETY: as in `hollow_type::parts`: the owner outlives every use of this handle.
        (&self.index, unsafe { self.owner.as_ref() })
    }

    /// The indexed type's state.
    #[inline(always)]
    pub(crate) fn root(&self) -> &ObjectTypeReadState {
        // SAFETY: as in `hollow_type::parts`: the type state belongs to the owner, which outlives every
        // use of this handle.
        unsafe { self.root.as_ref() }
    }

    /// What a key of this index looks like.
    pub(crate) fn signature(&self) -> &KeySignature {
        &self.signature
    }

    /// The index itself, for handles that keep it alive on their own (a prepared read).
    pub(crate) fn shared_index(&self) -> &Arc<PrimaryKeyIndex> {
        &self.index
    }
}

impl hollow_hash_index {
    pub(crate) fn parts(&self) -> (&HashIndex, &hollow_read_state) {
        // SAFETY: as in `hollow_type::parts`.
        (&self.index, unsafe { self.owner.as_ref() })
    }

    /// What a key of this index looks like.
    pub(crate) fn signature(&self) -> &KeySignature {
        &self.signature
    }
}

/// The version this read state holds.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_read_state_version(
    read_state: *const hollow_read_state,
    out_version: *mut i64,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `read_state` is a live handle for the whole call (the header's pointer contract).
        let rs = unsafe { arg(read_state, "read_state") }?;
        // SAFETY: a non-NULL `out_version` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_version, "out_version") }?.set(rs.state().version());
        Ok(())
    })
}

/// How many of the state's shards (the parts of its types' records) are read from a memory-mapped
/// snapshot file: 0 for a state wholly in the heap (`HOLLOW_MAPPING_MODE_COPY`, or a store without local
/// files), more for one loaded with `HOLLOW_MAPPING_MODE_SHARED`; a delta applied to a mapped state leaves
/// mapped the shards it does not change.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_read_state_mapped_shards(
    read_state: *const hollow_read_state,
    out_count: *mut usize,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `read_state` is a live handle for the whole call (the header's pointer contract).
        let rs = unsafe { arg(read_state, "read_state") }?;
        // SAFETY: a non-NULL `out_count` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_count, "out_count") }?.set(rs.engine().mapped_shards());
        Ok(())
    })
}

/// Load the snapshot file at `path` (NUL-terminated UTF-8), the blob of `version`, as a read state of its
/// own, without a consumer or a store: read into the heap (`HOLLOW_MAPPING_MODE_COPY`) or mapped and read
/// in place (`HOLLOW_MAPPING_MODE_SHARED`; the file must then never be modified or truncated in place while
/// the state lives, see `hollow_mapping_mode`). `version` is what `hollow_read_state_version` reports; it
/// is given rather than read from the blob because only some writers tag a snapshot with its version
/// (a filesystem store names the file `snapshot-<version>`).
///
/// On success `*out_read_state` receives a new handle, owned by the caller (`hollow_read_state_free`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_INVALID_ARGUMENT`
/// (`mapping` is not a `hollow_mapping_mode`), `HOLLOW_STATUS_IO` (the file cannot be read or mapped),
/// `HOLLOW_STATUS_CORRUPT_BLOB`, `HOLLOW_STATUS_INTEGRITY_CHECK_FAILED` (a mapped file changed while it
/// loaded); nothing is written then. Thread safety: any thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_read_state_open_snapshot_file(
    path: *const c_char,
    version: i64,
    mapping: i32,
    out_read_state: *mut *mut hollow_read_state,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `path` is a NUL-terminated string valid for the call (the header's pointer contract).
        let path = unsafe { arg_str(path, "path") }?;
        // SAFETY: a non-NULL `out_read_state` is writable for the whole call (the header's pointer contract).
        let out_read_state = unsafe { out(out_read_state, "out_read_state") }?;
        let mode = mapping_mode(mapping)?;
        let engine = ReadStateEngine::from_snapshot_file(std::path::Path::new(path), mode)?;
        out_read_state.set(into_handle(hollow_read_state::new(Arc::new(ReadState::new(version, engine)))));
        Ok(())
    })
}

/// The number of strings in the simple string dataset (records of type `String`, see
/// `hollow_write_state_add_string`); 0 if the dataset has no such type.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_read_state_size(
    read_state: *const hollow_read_state,
    out_size: *mut usize,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `read_state` is a live handle for the whole call (the header's pointer contract).
        let rs = unsafe { arg(read_state, "read_state") }?;
        // SAFETY: a non-NULL `out_size` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_size, "out_size") }?.set(rs.state().size());
        Ok(())
    })
}

/// Look up `key` (NUL-terminated UTF-8) in the simple string dataset. `*out_found` tells whether it is
/// there; if so `*out_value` receives the stored string, valid until the read state is released. The
/// lookup goes through a primary-key index on `String.value`, built on first use at this version.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`. Thread safety: any thread,
/// concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_read_state_get(
    read_state: *const hollow_read_state,
    key: *const c_char,
    out_value: *mut hollow_str,
    out_found: *mut bool,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `read_state` is a live handle for the whole call (the header's pointer contract).
        let rs = unsafe { arg(read_state, "read_state") }?;
        // SAFETY: a non-NULL `key` is a NUL-terminated string valid for the call (the header's pointer contract).
        let key = unsafe { arg_str(key, "key") }?;
        // SAFETY: a non-NULL `out_value` is writable for the whole call (the header's pointer contract).
        let out_value = unsafe { out(out_value, "out_value") }?;
        // SAFETY: a non-NULL `out_found` is writable for the whole call (the header's pointer contract).
        let out_found = unsafe { out(out_found, "out_found") }?;
        let value = rs.state().get(key);
        out_found.set(value.is_some());
        out_value.set(value.map_or(hollow_str::EMPTY, |v| rs.keep_str(v)));
        Ok(())
    })
}

/// Whether the simple string dataset holds `key` (NUL-terminated UTF-8).
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`. Thread safety: any thread,
/// concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_read_state_contains(
    read_state: *const hollow_read_state,
    key: *const c_char,
    out_contains: *mut bool,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `read_state` is a live handle for the whole call (the header's pointer contract).
        let rs = unsafe { arg(read_state, "read_state") }?;
        // SAFETY: a non-NULL `key` is a NUL-terminated string valid for the call (the header's pointer contract).
        let key = unsafe { arg_str(key, "key") }?;
        // SAFETY: a non-NULL `out_contains` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_contains, "out_contains") }?.set(rs.state().contains(key));
        Ok(())
    })
}

/// The number of types in the dataset.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_read_state_type_count(
    read_state: *const hollow_read_state,
    out_count: *mut usize,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `read_state` is a live handle for the whole call (the header's pointer contract).
        let rs = unsafe { arg(read_state, "read_state") }?;
        // SAFETY: a non-NULL `out_count` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_count, "out_count") }?.set(rs.engine().types().count());
        Ok(())
    })
}

/// The type named `type_name`.
///
/// `*out_type` is valid until `read_state` is released; do not free it. Asking twice gives the same
/// handle.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_NOT_FOUND`.
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_read_state_type(
    read_state: *const hollow_read_state,
    type_name: *const c_char,
    out_type: *mut *const hollow_type,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `read_state` is a live handle for the whole call (the header's pointer contract).
        let rs = unsafe { arg(read_state, "read_state") }?;
        // SAFETY: a non-NULL `type_name` is a NUL-terminated string valid for the call (the header's pointer contract).
        let name = unsafe { arg_str(type_name, "type_name") }?;
        // SAFETY: a non-NULL `out_type` is writable for the whole call (the header's pointer contract).
        let out_type = unsafe { out(out_type, "out_type") }?;
        out_type.set(rs.type_handle(name)?);
        Ok(())
    })
}

/// The `index`-th type, in order of type name (`0 <= index < hollow_read_state_type_count`).
///
/// `*out_type` is valid until `read_state` is released; do not free it.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_ARGUMENT` (index out of range).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_read_state_type_at(
    read_state: *const hollow_read_state,
    index: usize,
    out_type: *mut *const hollow_type,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `read_state` is a live handle for the whole call (the header's pointer contract).
        let rs = unsafe { arg(read_state, "read_state") }?;
        // SAFETY: a non-NULL `out_type` is writable for the whole call (the header's pointer contract).
        let out_type = unsafe { out(out_type, "out_type") }?;
        let count = rs.engine().types().count();
        let state = rs.engine().types().nth(index).ok_or_else(|| {
            FfiError::new(hollow_status::InvalidArgument, format!("type index {index} is out of range (0..{count})"))
        })?;
        out_type.set(rs.type_handle(state.name())?);
        Ok(())
    })
}

/// The primary-key index of OBJECT type `type_name` (by its schema's `@PrimaryKey`), built on first
/// use at this version and shared by every handle of the same version.
///
/// `*out_index` is valid until `read_state` is released; do not free it.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_NOT_FOUND` (no
/// such type), `HOLLOW_STATUS_INVALID_ARGUMENT` (not an OBJECT type, or one without a primary key).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_read_state_primary_key_index(
    read_state: *const hollow_read_state,
    type_name: *const c_char,
    out_index: *mut *const hollow_primary_key_index,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `read_state` is a live handle for the whole call (the header's pointer contract).
        let rs = unsafe { arg(read_state, "read_state") }?;
        // SAFETY: a non-NULL `type_name` is a NUL-terminated string valid for the call (the header's pointer contract).
        let name = unsafe { arg_str(type_name, "type_name") }?;
        // SAFETY: a non-NULL `out_index` is writable for the whole call (the header's pointer contract).
        let out_index = unsafe { out(out_index, "out_index") }?;
        if let Some(found) = rs.kept().primary_key_indexes.iter().find(|i| i.signature.type_name == name) {
            out_index.set(&**found);
            return Ok(());
        }
        let index = rs.state().primary_key_index(name)?;
        let key_fields = index
            .key_fields()
            .map(|path| Ok((path.to_owned(), resolve_key_path(rs.engine(), name, path)?.leaf_type())))
            .collect::<Result<Box<[_]>, hollow::schema::paths::KeyPathError>>()
            .map_err(hollow::Error::from)?;
        let root = rs.engine().object(name).ok_or_else(|| {
            FfiError::new(hollow_status::InvalidArgument, format!("type {name:?} is not an OBJECT type"))
        })?;
        let handle = Box::new(hollow_primary_key_index {
            owner: NonNull::from(rs),
            root: NonNull::from(root),
            index,
            signature: KeySignature { type_name: name.to_owned(), fields: key_fields },
        });
        let p: *const hollow_primary_key_index = &*handle;
        rs.kept().primary_key_indexes.push(handle);
        out_index.set(p);
        Ok(())
    })
}

/// A hash index of type `type_name` over the `field_count` key field paths in `fields` (e.g.
/// `"year"`, `"tags.element.value"`), built on first use at this version.
///
/// `*out_index` is valid until `read_state` is released; do not free it.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_NOT_FOUND`,
/// `HOLLOW_STATUS_SCHEMA` / `HOLLOW_STATUS_INVALID_ARGUMENT` (a path that does not resolve).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_read_state_hash_index(
    read_state: *const hollow_read_state,
    type_name: *const c_char,
    fields: *const *const c_char,
    field_count: usize,
    out_index: *mut *const hollow_hash_index,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `read_state` is a live handle for the whole call (the header's pointer contract).
        let rs = unsafe { arg(read_state, "read_state") }?;
        // SAFETY: a non-NULL `type_name` is a NUL-terminated string valid for the call (the header's pointer contract).
        let name = unsafe { arg_str(type_name, "type_name") }?;
        // SAFETY: a non-NULL `fields` points to `field_count` readable elements valid for the call (the header's pointer
        // contract).
        let field_ptrs = unsafe { arg_slice(fields, field_count, "fields") }?;
        let fields =
            // SAFETY: a non-NULL `f` is a NUL-terminated string valid for the call (the header's pointer contract).
            field_ptrs.iter().map(|&f| unsafe { arg_str(f, "fields[i]") }).collect::<FfiResult<Vec<&str>>>()?;
        // SAFETY: a non-NULL `out_index` is writable for the whole call (the header's pointer contract).
        let out_index = unsafe { out(out_index, "out_index") }?;
        if let Some(found) = rs.kept().hash_indexes.iter().find(|i| {
            i.signature.type_name == name
                && i.signature.fields.iter().map(|(p, _)| p.as_str()).eq(fields.iter().copied())
        }) {
            out_index.set(&**found);
            return Ok(());
        }
        let index = rs.state().hash_index(name, &fields)?;
        let signature = KeySignature {
            type_name: name.to_owned(),
            fields: fields.iter().map(|f| f.to_string()).zip(index.key_field_types()).collect(),
        };
        let handle = Box::new(hollow_hash_index { owner: NonNull::from(rs), index, signature });
        let p: *const hollow_hash_index = &*handle;
        rs.kept().hash_indexes.push(handle);
        out_index.set(p);
        Ok(())
    })
}

/// The field at `path` from OBJECT type `type_name`, for the one-crossing reads
/// (`hollow_primary_key_index_read_int` and the others): dot-separated field names, each but the last a
/// reference; a path ending at a reference to a type of one field reads that field (`"title"` for a
/// reference to `String { string value; }`), as key paths do. Resolved on first use and kept.
///
/// `*out_path` is valid until `read_state` is released; do not free it. Asking twice gives the same
/// handle.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_NOT_FOUND` (no such
/// type), `HOLLOW_STATUS_SCHEMA` (a path that does not resolve). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_read_state_field_path(
    read_state: *const hollow_read_state,
    type_name: *const c_char,
    path: *const c_char,
    out_path: *mut *const hollow_field_path,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `read_state` is a live handle for the whole call (the header's pointer contract).
        let rs = unsafe { arg(read_state, "read_state") }?;
        // SAFETY: a non-NULL `type_name` is a NUL-terminated string valid for the call (the header's pointer contract).
        let name = unsafe { arg_str(type_name, "type_name") }?;
        // SAFETY: a non-NULL `path` is a NUL-terminated string valid for the call (the header's pointer contract).
        let path = unsafe { arg_str(path, "path") }?;
        // SAFETY: a non-NULL `out_path` is writable for the whole call (the header's pointer contract).
        let out_path = unsafe { out(out_path, "out_path") }?;
        if let Some(found) = rs.kept().field_paths.iter().find(|p| p.type_name == name && p.path == path) {
            out_path.set(&**found);
            return Ok(());
        }
        let root = rs
            .engine()
            .object(name)
            .ok_or_else(|| FfiError::new(hollow_status::NotFound, format!("no OBJECT type named {name:?}")))?;
        let resolved = resolve_key_path(rs.engine(), name, path).map_err(hollow::Error::from)?;
        let steps = resolved
            .steps
            .iter()
            .map(|step| {
                let ty = rs.engine().object(&step.type_name).ok_or_else(|| {
                    FfiError::new(hollow_status::NotFound, format!("no OBJECT type named {:?}", step.type_name))
                })?;
                Ok((NonNull::from(ty), step.field_index))
            })
            .collect::<FfiResult<Box<[_]>>>()?;
        let handle = Box::new(hollow_field_path {
            owner: NonNull::from(rs),
            root: NonNull::from(root),
            steps,
            leaf_type: resolved.leaf_type(),
            type_name: name.to_owned(),
            path: path.to_owned(),
        });
        let p: *const hollow_field_path = &*handle;
        rs.kept().field_paths.push(handle);
        out_path.set(p);
        Ok(())
    })
}

/// Release a read state. Every pointer obtained through it (types, indexes, strings, bytes) becomes
/// invalid. NULL is a no-op. Thread safety: no other call may be using `read_state`.
#[no_mangle]
pub unsafe extern "C" fn hollow_read_state_free(read_state: *mut hollow_read_state) {
    // SAFETY: `read_state` is NULL or a handle from this library's constructor, not yet freed (the header's
    // contract for `_free`).
    guard_value((), || unsafe { free_handle(read_state) })
}
