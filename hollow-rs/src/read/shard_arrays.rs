//! A shard's arrays, as retention (`retention.rs`) sees them: each shard data lists the arrays that
//! may be windows into blob buffers, and [`detach_windows`] copies out those a release picks. It sits
//! below the shard data modules and `retention.rs` alike, so that imports go one way.

use std::sync::Arc;

use crate::memory::{BlobBuffer, SharedBytes};

/// A shard's data: the arrays that may be windows into blob buffers.
pub(crate) trait ShardArrays: Clone {
    /// Every array of the shard.
    fn for_each_storage(&self, f: &mut dyn FnMut(&SharedBytes));
    /// Every array of the shard, writable.
    fn for_each_storage_mut(&mut self, f: &mut dyn FnMut(&mut SharedBytes));
}

/// Replace `data` with a copy whose windows into the buffers `release` picks are copied to arrays of
/// their own; `data` is left as it is when it has none. (The copy's other arrays are copied too: a
/// shard's arrays all come from one load, so a shard is all windows into one buffer or has none, but
/// for arrays too close to the end of an unpadded blob to be windows.)
pub(crate) fn detach_windows<T: ShardArrays>(data: &mut Arc<T>, release: &dyn Fn(&BlobBuffer) -> bool) {
    let mut any = false;
    data.for_each_storage(&mut |bytes| any |= bytes.buffer().is_some_and(release));
    if any {
        let mut copy = T::clone(data);
        copy.for_each_storage_mut(&mut |bytes| {
            if bytes.buffer().is_some_and(release) {
                bytes.detach();
            }
        });
        *data = Arc::new(copy);
    }
}
