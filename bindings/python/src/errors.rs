//! Python exceptions for [`hollow::Error`]: one class per [`hollow::ErrorKind`], all under `HollowError`.
//!
//! The classes are built when the module loads (with `type(...)`, so each can also derive from the
//! matching built-in exception: `NotFoundError` is a `LookupError`, `IoError` an `OSError`, ...), and a
//! Rust error is turned into an instance of its kind's class carrying the message and, where the error
//! has them, structured attributes (`offset` and `type_name` of a corrupt blob, the two tags of a tag
//! mismatch).

use hollow::{Error, ErrorKind};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// Name, built-in bases (besides `HollowError`), docstring: the one list of exception classes.
/// `tests/test_error_list.py` checks the core `ErrorKind`, the stubs and `__init__.py` against it.
const KINDS: [(ErrorKind, &str, &[&str], &str); 10] = [
    (
        ErrorKind::CorruptBlob,
        "CorruptBlobError",
        &[],
        "A blob is malformed, truncated, or of an unsupported format version.",
    ),
    (ErrorKind::TagMismatch, "TagMismatchError", &[], "A delta was applied to a state it was not produced from."),
    (ErrorKind::Schema, "SchemaError", &["ValueError"], "Schema text could not be parsed, or schemas disagree."),
    (
        ErrorKind::SchemaMismatch,
        "SchemaMismatchError",
        &["TypeError"],
        "A value did not fit the schema it was written with (wrong field, wrong type, ...).",
    ),
    (ErrorKind::NotFound, "NotFoundError", &["LookupError"], "A type, field, record, version or blob does not exist."),
    (
        ErrorKind::InvalidArgument,
        "InvalidArgumentError",
        &["ValueError"],
        "An argument was out of range or otherwise invalid.",
    ),
    (ErrorKind::ValidationFailed, "ValidationFailedError", &[], "A validator vetoed a producer cycle."),
    (
        ErrorKind::IntegrityCheckFailed,
        "IntegrityCheckFailedError",
        &[],
        "The producer's blobs do not reproduce its state; nothing was announced.",
    ),
    (ErrorKind::Io, "IoError", &["OSError"], "Reading or writing a blob store failed."),
    (
        ErrorKind::Conflict,
        "ConflictError",
        &[],
        "Another producer got there first (a blob exists, another version was announced, or the store's producer lock is held); nothing was announced.",
    ),
];

struct Classes {
    base: Py<PyType>,
    kinds: Vec<(ErrorKind, Py<PyType>)>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

fn build(py: Python<'_>) -> PyResult<Classes> {
    let builtins = py.import("builtins")?;
    let type_fn = builtins.getattr("type")?;
    let new_class = |name: &str, bases: Vec<Bound<'_, PyAny>>, doc: &str| -> PyResult<Py<PyType>> {
        let namespace = PyDict::new(py);
        namespace.set_item("__module__", "hollow")?;
        namespace.set_item("__doc__", doc)?;
        let class = type_fn.call1((name, PyTuple::new(py, bases)?, namespace))?;
        Ok(class.cast_into::<PyType>()?.unbind())
    };
    let base = new_class(
        "HollowError",
        vec![py.get_type::<PyException>().into_any()],
        "Base class of every error raised by hollow.",
    )?;
    let mut kinds = Vec::with_capacity(KINDS.len());
    for (kind, name, builtin_bases, doc) in KINDS {
        let mut bases = vec![base.bind(py).clone().into_any()];
        for b in builtin_bases {
            bases.push(builtins.getattr(*b)?);
        }
        kinds.push((kind, new_class(name, bases, doc)?));
    }
    Ok(Classes { base, kinds })
}

fn classes(py: Python<'_>) -> &Classes {
    CLASSES.get_or_init(py, || build(py).expect("building hollow's exception classes cannot fail"))
}

/// Add `HollowError` and every kind's class to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let c = classes(py);
    m.add("HollowError", c.base.bind(py))?;
    for (_, class) in &c.kinds {
        let class = class.bind(py);
        m.add(class.name()?, class)?;
    }
    Ok(())
}

/// The class for errors of `kind`.
fn class_for(py: Python<'_>, kind: ErrorKind) -> Bound<'_, PyType> {
    let c = classes(py);
    c.kinds.iter().find(|(k, _)| *k == kind).map_or_else(|| c.base.bind(py).clone(), |(_, t)| t.bind(py).clone())
}

/// A Python exception raised by Python code the core called (a store written in Python) as a core
/// error: a hollow exception keeps its kind (a `ConflictError` stays a conflict, which producers act
/// on); any other is an I/O error of `context` naming the exception.
pub fn from_py_err(py: Python<'_>, err: &PyErr, context: &str) -> Error {
    let message = format!("{context}: {err}");
    let is = |kind| err.is_instance(py, &class_for(py, kind));
    if is(ErrorKind::Conflict) {
        Error::Conflict(message)
    } else if is(ErrorKind::NotFound) {
        Error::NotFound(message)
    } else if is(ErrorKind::InvalidArgument) {
        Error::InvalidArgument(message)
    } else {
        Error::io(context.to_owned(), std::io::Error::other(err.to_string()))
    }
}

/// `error` as an instance of its kind's exception class.
pub fn to_py_err(py: Python<'_>, error: &Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let exc = class_for(py, error.kind()).call1((error.to_string(),))?;
        match error {
            Error::CorruptBlob { position, .. } => {
                exc.setattr("offset", position.offset)?;
                exc.setattr("type_name", position.type_name.as_deref())?;
            }
            Error::TagMismatch { origin, current } => {
                exc.setattr("origin_tag", origin)?;
                exc.setattr("current_tag", current)?;
            }
            _ => {}
        }
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// A [`hollow::Error`] on its way to Python; lets `?` convert core results inside `PyResult` functions.
pub struct HollowErr(pub Error);

impl From<Error> for HollowErr {
    fn from(e: Error) -> Self {
        HollowErr(e)
    }
}

impl From<HollowErr> for PyErr {
    fn from(e: HollowErr) -> Self {
        Python::attach(|py| to_py_err(py, &e.0))
    }
}

/// Convert a core result to a Python one.
pub trait IntoPy<T> {
    /// The result, with the error as its Python exception.
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for hollow::Result<T> {
    fn py(self) -> PyResult<T> {
        self.map_err(|e| PyErr::from(HollowErr(e)))
    }
}

/// An `InvalidArgumentError` with `message`.
pub fn invalid(message: impl Into<String>) -> PyErr {
    HollowErr(Error::InvalidArgument(message.into())).into()
}

/// A `NotFoundError` with `message`.
pub fn not_found(message: impl Into<String>) -> PyErr {
    HollowErr(Error::NotFound(message.into())).into()
}

/// A `SchemaMismatchError` with `message`.
pub fn mismatch(message: impl Into<String>) -> PyErr {
    HollowErr(Error::SchemaMismatch(message.into())).into()
}
