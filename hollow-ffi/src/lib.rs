//! # libhollow: the C ABI of hollow-rs
//!
//! This crate builds `libhollow.so` (with the SONAME `libhollow.so.0`) and `libhollow.a`. Their
//! interface is `include/hollow.h`, generated from this source by cbindgen (see `cbindgen.toml`; a test
//! fails when the committed header is stale). `bindings/cpp/hollow.hpp` wraps it for C++.
//!
//! ## Conventions (the header's preamble repeats them for C programmers)
//!
//! * **Handles** are opaque pointers. Those created by a `_new` / `_create` / `_open` function or by
//!   `hollow_consumer_read_state` are owned by the caller and freed with the matching `_free` function;
//!   `_free(NULL)` does nothing. Handles *borrowed* from another (`hollow_type`, the index handles,
//!   `hollow_write_state`) are never freed and live as long as their owner, as documented on each.
//! * **Ownership inside**: stores, producers, consumers, read states and records are `Box`es; stores
//!   and consumers share their state through `Arc`s, so freeing a store handle does not affect the
//!   producers and consumers made from it, and a read state pins its version (an `Arc` of it) until
//!   freed. Each handle type declares which it is (`guard::Handle`: `OwnedBox` or `Borrowed`), and only
//!   owned ones can be made by `into_handle` and released by `free_handle`; borrowed handles point back
//!   at their owner through a `NonNull`.
//! * **Status codes**: every fallible function returns a `hollow_status`; `HOLLOW_STATUS_OK` is 0. The
//!   numbers are stable. `hollow_status_message` names a code; `hollow_last_error_message` gives the
//!   details of the last failure on the calling thread.
//! * **Never aborts the host**: every exported function catches panics (reported as
//!   `HOLLOW_STATUS_PANIC`), NULL handles and NULL out-pointers are reported as
//!   `HOLLOW_STATUS_NULL_ARGUMENT`, and text arguments are checked to be UTF-8.
//! * **Results** are written through `out_*` pointers only on success.
//! * **Pointer contract**: a non-NULL pointer argument must be valid for the whole call (a live handle,
//!   a NUL-terminated string, an array of the given length, a writable variable). Every `// SAFETY:`
//!   comment in this crate that dereferences a caller's pointer rests on it (the header's preamble says
//!   it to C programmers); NULL is always checked.
//! * **Thread safety** is stated on each function. In short: consumers, read states and their type and
//!   index handles can be used from many threads at once; producers, write states and records from
//!   one thread at a time.
//!
//! The layer is thin on purpose: each function checks its arguments and calls the core crate.

#![allow(clippy::missing_safety_doc)] // Each function's contract is in its doc comment, for C readers.
#![warn(missing_docs)]
// Every unsafe operation is in its own `unsafe` block with a `// SAFETY:` comment saying why it holds,
// even inside `unsafe fn`s, so each can be checked on its own.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

// Declared in the order the header presents the API (cbindgen follows it; blank lines stop rustfmt
// from sorting them).
mod status;

mod store;

mod producer;

mod record;

mod mapping;

mod consumer;

mod read_state;

mod access;

mod index;

mod lookup;

mod prepared;

mod diff;

mod log;

mod guard;
mod values;

pub use access::*;
pub use consumer::*;
pub use diff::*;
pub use index::*;
pub use log::*;
pub use lookup::*;
pub use mapping::hollow_mapping_mode;
pub use prepared::*;
pub use producer::*;
pub use read_state::*;
pub use record::*;
pub use status::{hollow_last_error_message, hollow_status, hollow_status_message};
pub use store::*;
pub use values::*;

/// The library's version, for example `"0.1.0"`. A static string: never free it.
/// Thread safety: any thread.
#[no_mangle]
pub extern "C" fn hollow_version() -> *const std::ffi::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
