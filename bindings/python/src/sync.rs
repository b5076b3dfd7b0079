//! Locking the binding's own mutexes from Python threads.
//!
//! A lock is taken with the thread still attached to Python, but in a way that lets the interpreter
//! run other threads (and a garbage collection) while it waits, so a thread holding the lock and
//! waiting for the GIL cannot deadlock with one holding the GIL and waiting for the lock
//! (`pyo3::sync::MutexExt`). A poisoned lock is taken over as it is: every critical section in this
//! crate leaves its data whole at each step (a push, a take, a replace, a read), so a panic that
//! interrupted one cannot have left anything half-changed.

use std::sync::{Mutex, MutexGuard};

use pyo3::sync::MutexExt;
use pyo3::Python;

/// Locks `mutex` from a thread attached to Python (see the module doc).
pub(crate) fn lock<'a, T>(mutex: &'a Mutex<T>, py: Python<'_>) -> MutexGuard<'a, T> {
    mutex.lock_py_attached(py).unwrap_or_else(|poisoned| poisoned.into_inner())
}
