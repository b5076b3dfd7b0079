//! C ABI over the `hollow` crate. Placeholder: the exported functions arrive with the C ABI issue.
