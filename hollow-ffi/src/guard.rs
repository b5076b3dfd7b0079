//! The boundary every exported function goes through: panics caught, arguments checked, results written.
//!
//! An exported function is `guard(|| { ...; Ok(()) })`. Inside, arguments are taken with [`arg`],
//! [`arg_str`] and [`out`], which turn NULL pointers and non-UTF-8 text into errors instead of undefined
//! behavior. `guard` turns the closure's `Err` into a status code plus the thread's last error message,
//! and a panic into `HOLLOW_STATUS_PANIC`, so no unwinding ever crosses into C.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use hollow::error::panic_message;

use crate::status::{hollow_status, set_last_error, FfiError};

/// The result of the body of an exported function.
pub(crate) type FfiResult<T = ()> = Result<T, FfiError>;

/// Run the body of an exported function: its status on success or failure, `HOLLOW_STATUS_PANIC` if it
/// panicked.
#[inline]
pub(crate) fn guard(body: impl FnOnce() -> FfiResult) -> hollow_status {
    // Unwind safety: after a panic the handle involved may be left mid-update, but every handle's state
    // is either immutable or behind a lock that tolerates poisoning, and the caller is told the call
    // failed.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => hollow_status::Ok,
        Ok(Err(e)) => fail(e),
        Err(panic) => panicked(panic),
    }
}

#[cold]
#[inline(never)]
fn panicked(panic: Box<dyn std::any::Any + Send>) -> hollow_status {
    fail(FfiError::new(hollow_status::Panic, format!("panic: {}", panic_message(&*panic))))
}

/// Run the body of an exported function that returns a value instead of a status (a `_free` function, a
/// constructor of plain values): `fallback` if it panicked.
#[inline]
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(panic) => {
            set_last_error(&format!("panic: {}", panic_message(&*panic)));
            fallback
        }
    }
}

#[cold]
#[inline(never)]
fn fail(e: FfiError) -> hollow_status {
    set_last_error(e.message());
    e.status()
}

/// A handle or input struct passed by pointer; NULL is an error naming the argument.
///
/// # Safety
/// A non-NULL `p` must point to a live `T` for `'a` (the C caller's contract, stated in the header).
#[inline]
pub(crate) unsafe fn arg<'a, T: Handle>(p: *const T, name: &str) -> FfiResult<&'a T> {
    // SAFETY: non-NULL pointers come from this library (handles) or point to caller-owned values that
    // the header documents as required to be valid for the call.
    unsafe { p.as_ref() }.ok_or_else(|| FfiError::null(name))
}

/// A handle passed for exclusive use (documented as "not thread-safe" in the header).
///
/// # Safety
/// As [`arg`], and no other reference to `*p` exists during the call.
#[inline]
pub(crate) unsafe fn arg_mut<'a, T: Handle>(p: *mut T, name: &str) -> FfiResult<&'a mut T> {
    // SAFETY: see above; exclusivity is the caller's contract for these handles.
    unsafe { p.as_mut() }.ok_or_else(|| FfiError::null(name))
}

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
/// A non-NULL `p` must point to a NUL-terminated string that stays valid for `'a`.
#[inline]
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, name: &str) -> FfiResult<&'a str> {
    if p.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    utf8(bytes, name)
}

/// A `(pointer, length)` byte argument; NULL is allowed only when `len` is 0.
///
/// # Safety
/// A non-NULL `p` must point to `len` readable bytes that stay valid for `'a`.
#[inline]
pub(crate) unsafe fn arg_slice<'a, T>(p: *const T, len: usize, name: &str) -> FfiResult<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: non-NULL, `len` elements readable per the caller's contract; `len > 0`.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Text given as bytes, checked to be UTF-8.
pub(crate) fn utf8<'a>(bytes: &'a [u8], name: &str) -> FfiResult<&'a str> {
    std::str::from_utf8(bytes)
        .map_err(|e| FfiError::new(hollow_status::InvalidUtf8, format!("argument `{name}` is not valid UTF-8: {e}")))
}

/// An out-parameter: where a result is written. Checked for NULL before any work is done, written once
/// the work succeeded, so a failed call leaves the caller's variable untouched.
pub(crate) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    /// Store `value` (without reading or dropping what was there: it may be uninitialized).
    #[inline]
    pub(crate) fn set(self, value: T) {
        // SAFETY: non-NULL and writable per the caller's contract (`out`).
        unsafe { self.0.as_ptr().write(value) }
    }
}

/// An out-parameter that must not be NULL.
///
/// # Safety
/// A non-NULL `p` must be valid for writing a `T` during the call.
#[inline]
pub(crate) unsafe fn out<T>(p: *mut T, name: &str) -> FfiResult<Out<T>> {
    NonNull::new(p).map(Out).ok_or_else(|| FfiError::null(name))
}

/// How C holds a handle type, declared once per type (as rustls-ffi's `Castable::Ownership`), so that
/// only owned handles can be made by [`into_handle`] and released by [`free_handle`].
///
/// No handle is an `Arc` at the boundary: state that outlives a handle (a store's, a consumer's, a read
/// state's version) is an `Arc` *inside* a boxed handle, so every owned handle is released the same way.
pub(crate) trait Handle {
    /// [`OwnedBox`] or [`Borrowed`].
    type Ownership;
}

/// A `Box` given to the caller by a constructor, released by the matching `_free` function.
pub(crate) enum OwnedBox {}

/// A pointer lent by another handle, which keeps the pointee alive; never freed on its own.
pub(crate) enum Borrowed {}

/// Move `value` to the heap and give its ownership to the caller.
pub(crate) fn into_handle<T: Handle<Ownership = OwnedBox>>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Take back and drop a handle made by [`into_handle`]; NULL is a no-op.
///
/// # Safety
/// A non-NULL `p` must come from [`into_handle`] for the same `T` and not have been freed.
pub(crate) unsafe fn free_handle<T: Handle<Ownership = OwnedBox>>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: per the contract, `p` is a live Box<T> given out by `into_handle`.
        drop(unsafe { Box::from_raw(p) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_maps_errors_and_panics() {
        assert_eq!(guard(|| Ok(())), hollow_status::Ok);
        assert_eq!(guard(|| Err(FfiError::new(hollow_status::NotFound, "nope"))), hollow_status::NotFound);
        // SAFETY: the message is NUL-terminated, owned by this thread and copied before the next call.
        let last =
            || unsafe { CStr::from_ptr(crate::status::hollow_last_error_message()) }.to_str().unwrap().to_owned();
        assert_eq!(last(), "nope");
        let status = guard(|| panic!("kaboom {}", 42));
        assert_eq!(status, hollow_status::Panic);
        assert_eq!(last(), "panic: kaboom 42");
        assert_eq!(guard_value(7, || panic!("static")), 7);
        assert_eq!(last(), "panic: static");
    }

    #[test]
    fn arguments_are_checked() {
        let null: *const c_char = std::ptr::null();
        // SAFETY: NULL is accepted by every helper.
        assert_eq!(unsafe { arg_str(null, "name") }.unwrap_err().status(), hollow_status::NullArgument);
        let bad = c"\xff\xfe";
        // SAFETY: a NUL-terminated literal.
        let e = unsafe { arg_str(bad.as_ptr(), "name") }.unwrap_err();
        assert_eq!(e.status(), hollow_status::InvalidUtf8);
        assert!(e.message().contains("`name`"), "{}", e.message());
        // SAFETY: a NUL-terminated literal.
        assert_eq!(unsafe { arg_str(c"ok".as_ptr(), "name") }.unwrap(), "ok");
        // SAFETY: a length of 0 reads nothing.
        assert!(unsafe { arg_slice::<u8>(std::ptr::null(), 0, "b") }.unwrap().is_empty());
        assert_eq!(
            // SAFETY: NULL is checked before anything is read.
            unsafe { arg_slice::<u8>(std::ptr::null(), 3, "b") }.unwrap_err().status(),
            hollow_status::NullArgument
        );
        // SAFETY: NULL is accepted.
        assert!(unsafe { out::<i32>(std::ptr::null_mut(), "o") }.is_err());
        let mut x = 0;
        // SAFETY: a live local, writable.
        unsafe { out(&mut x, "o") }.unwrap().set(5);
        assert_eq!(x, 5);
    }
}
