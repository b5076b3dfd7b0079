//! How snapshot files become read states: copied into the heap, or memory-mapped and read in place
//! (`hollow_mapping_mode`, taken by `hollow_consumer_new_with_mapping` and
//! `hollow_read_state_open_snapshot_file`).
//!
//! The C value arrives as a plain `int32_t` and is checked here, so a number that is not a
//! `hollow_mapping_mode` is `HOLLOW_STATUS_INVALID_ARGUMENT`, never an invalid enum value in Rust.

use hollow::mapped::MappingMode;

use crate::guard::FfiResult;
use crate::status::{hollow_status, FfiError};

/// How a snapshot file is loaded. Values are stable.
///
/// `HOLLOW_MAPPING_MODE_SHARED` maps the file read-only and shared: its pages are the kernel's page cache,
/// shared by every process that maps the same file, and only the headers, schemas and offsets are decoded
/// at load. What that asks of the file: **it must never be modified or truncated in place** while a read
/// state reading it is alive. A file modified in place makes reads return wrong values (never a read out of
/// bounds: every read is checked against lengths fixed at load); a file truncated in place makes reads of
/// the lost pages raise `SIGBUS`, which kills the process, and no check can prevent it. Replacing the file
/// by a rename, or deleting it, is safe: the mapping keeps the old file. A file changed while it loads is
/// detected (`HOLLOW_STATUS_INTEGRITY_CHECK_FAILED`). hollow's own filesystem store (and the object store's
/// disk cache) write each blob once, under a temporary name renamed into place, and never modify it, so
/// their files are safe to map; use `HOLLOW_MAPPING_MODE_COPY` for files another program may rewrite.
#[allow(non_camel_case_types)]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum hollow_mapping_mode {
    /// Read the file into the heap when it loads (the default of `hollow_consumer_new`): whatever happens
    /// to the file afterwards has no effect.
    Copy = 0,
    /// Map the file read-only and shared and read its records in place; see above for what the file must
    /// not undergo.
    Shared = 1,
}

/// The mapping mode C passed as `mapping`, or `HOLLOW_STATUS_INVALID_ARGUMENT` naming the bad number.
pub(crate) fn mapping_mode(mapping: i32) -> FfiResult<MappingMode> {
    match mapping {
        m if m == hollow_mapping_mode::Copy as i32 => Ok(MappingMode::Copy),
        m if m == hollow_mapping_mode::Shared as i32 => Ok(MappingMode::Shared),
        other => Err(FfiError::new(
            hollow_status::InvalidArgument,
            format!(
                "mapping mode {other} is not a hollow_mapping_mode (HOLLOW_MAPPING_MODE_COPY 0, \
                 HOLLOW_MAPPING_MODE_SHARED 1)"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_mode_values_are_abi() {
        // The numbers are ABI: C code passes them; they must never change.
        assert_eq!([hollow_mapping_mode::Copy as i32, hollow_mapping_mode::Shared as i32], [0, 1]);
        assert_eq!(mapping_mode(0).unwrap(), MappingMode::Copy);
        assert_eq!(mapping_mode(1).unwrap(), MappingMode::Shared);
        for bad in [-1, 2, i32::MAX] {
            let error = mapping_mode(bad).unwrap_err();
            assert_eq!(error.status(), hollow_status::InvalidArgument);
        }
    }
}
