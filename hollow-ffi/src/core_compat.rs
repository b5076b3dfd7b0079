//! Temporary: index construction until `ReadState::{primary_key_index, hash_index}` land in the core.

use std::sync::Arc;

use hollow_core::consumer::ReadState;
use hollow_core::index::{HashIndex, PrimaryKeyIndex};
use hollow_core::Result;

pub(crate) fn primary_key_index(state: &ReadState, type_name: &str) -> Result<Arc<PrimaryKeyIndex>> {
    PrimaryKeyIndex::new(state.engine(), type_name).map(Arc::new)
}

pub(crate) fn hash_index(state: &ReadState, type_name: &str, fields: &[&str]) -> Result<Arc<HashIndex>> {
    HashIndex::new(state.engine(), type_name, fields).map(Arc::new)
}
