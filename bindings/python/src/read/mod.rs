//! Reading a version: `ReadState`, per-type views, records, and the indexes.
//!
//! A `ReadState` pins one version (it holds the core state's `Arc`), so everything made from it
//! (views, records, indexes) keeps reading that version however the consumer moves on.
//!
//! * [`types`]: what a state and everything made from it share, each type's metadata computed once
//!   per version;
//! * [`convert`]: stored values to Python objects (the conversion rules are there);
//! * [`state`]: `ReadState`, the version (and the mapping over the string dataset);
//! * [`type_view`]: `TypeView`, the records of one type, and `RecordIter`;
//! * [`record`]: `Record`, one record;
//! * [`index`]: `PrimaryKeyIndex`, `HashIndex`, and lookup keys from Python values.
//!
//! The hot path, `rs.type("Movie").get(id).title`, is kept to a pointer comparison per type name (the
//! view is cached per type), one primary-key probe (the index `Arc` is cached in the view), one small
//! object (the record, reused by the view's next `get` once the caller has dropped it) and one field
//! read, its name found by a pointer comparison too (names written in Python code are interned, and
//! so are ours). Each type's metadata and state handle are computed once per version, so nothing on
//! that path looks a type up by name.

mod convert;
mod index;
mod record;
mod state;
mod type_view;
mod types;

pub use self::index::{HashIndex, PrimaryKeyIndex};
pub use self::record::{ordinal, read_state, to_dict, to_python, type_name, Record};
pub use self::state::ReadState;
pub use self::type_view::{RecordIter, TypeView};
