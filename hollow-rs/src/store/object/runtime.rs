//! The one async runtime behind every [`ObjectStoreBlobStore`](super::ObjectStoreBlobStore).
//!
//! Invariant: a blocking store call never drives a future on the caller's thread. Each call spawns its
//! future on a private multi-thread runtime (created on first use, two workers, shared by all stores) and
//! waits on a std channel. Why this holds up: the caller may itself be a worker of some other tokio
//! runtime, where `Handle::block_on` or `Runtime::block_on` panic ("cannot start a runtime from within a
//! runtime"); waiting on a std channel only blocks the thread. The private runtime is never handed out, so
//! no caller can be one of its own workers waiting for itself.

use std::future::Future;
use std::sync::mpsc;
use std::sync::OnceLock;

use crate::error::{Error, Result};

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

thread_local! {
    /// Set on the runtime's own workers, where waiting for a task of the runtime could wait for itself.
    static ON_WORKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn runtime() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hollow-object-store")
            .enable_all()
            .on_thread_start(|| ON_WORKER.with(|w| w.set(true)))
            .build()
            // Without a runtime no object-store call can run at all; this only fails when the OS refuses
            // threads or an I/O driver, which nothing here can recover from.
            .expect("hollow: cannot start the object-store runtime")
    })
}

/// Run `future` on the shared runtime and wait for its result on this thread.
pub(crate) fn block_on<T, F>(future: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    if ON_WORKER.with(|w| w.get()) {
        // Only a value dropped on a worker (say, a lease whose caller went away) gets here; refusing is
        // better than a worker blocked on itself.
        return Err(Error::io("object store", std::io::Error::other("blocking call on the store's own runtime")));
    }
    let (tx, rx) = mpsc::sync_channel(1);
    runtime().spawn(async move {
        let _ = tx.send(future.await);
    });
    // The sender is dropped unsent only if the task panicked or the runtime is shutting down.
    rx.recv()
        .map_err(|_| Error::io("object store task", std::io::Error::other("the task panicked or was cancelled")))?
}
