//! The `hollow._hollow` extension module: Python bindings over the hollow-rs core.
//!
//! The binding is thin: stores, producer and consumer are the core's, and so are the indexes and the
//! record reading. What lives here is the conversion between Python values and records
//! ([`write`], [`read`]), the mapping of errors to exceptions ([`errors`]), and the GIL handling: the
//! GIL is released while the core refreshes, runs cycles and does blob I/O, and every class is
//! `frozen` (immutable, or locked inside), so objects can be shared between Python threads.
//!
//! The core's `tracing` events (failures it cannot raise: a background refresh, a failed cycle) go to
//! Python's `logging`, under the `hollow` logger ([`logging`]).
//!
//! Schema inference from dataclasses and dicts is Python code (`hollow/_infer.py`), called from here
//! when a record of an unknown type is added.

mod consumer;
mod diff;
mod errors;
mod logging;
mod metrics;
mod producer;
mod py_store;
mod read;
mod store;
mod sync;
mod write;

use pyo3::prelude::*;

#[pymodule]
fn _hollow(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<store::BlobStore>()?;
    m.add_class::<store::InMemoryBlobStore>()?;
    m.add_class::<store::FilesystemBlobStore>()?;
    m.add_class::<store::UrlBlobStore>()?;
    m.add_class::<producer::Producer>()?;
    m.add_class::<producer::WriteState>()?;
    m.add_class::<producer::Cycle>()?;
    m.add_class::<consumer::Consumer>()?;
    m.add_class::<read::ReadState>()?;
    m.add_class::<read::TypeView>()?;
    m.add_class::<read::Record>()?;
    m.add_class::<read::RecordIter>()?;
    m.add_class::<read::PrimaryKeyIndex>()?;
    m.add_class::<read::HashIndex>()?;
    m.add_class::<diff::Diff>()?;
    m.add_class::<diff::TypeSummary>()?;
    m.add_class::<diff::TypeDiff>()?;
    m.add_class::<diff::DiffRecord>()?;
    m.add_class::<diff::ModifiedRecord>()?;
    m.add_class::<diff::FieldChange>()?;
    m.add_class::<producer::IncrementalCycle>()?;
    m.add_class::<metrics::ConsumerMetrics>()?;
    m.add_class::<metrics::ProducerMetrics>()?;
    m.add_class::<metrics::IncrementalStats>()?;
    m.add_function(wrap_pyfunction!(read::ordinal, m)?)?;
    m.add_function(wrap_pyfunction!(read::type_name, m)?)?;
    m.add_function(wrap_pyfunction!(read::read_state, m)?)?;
    m.add_function(wrap_pyfunction!(read::to_dict, m)?)?;
    m.add_function(wrap_pyfunction!(read::to_python, m)?)?;
    logging::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
