//! What a request that cannot be answered gets: a status and a message, as JSON under `/api` and as an
//! HTML page elsewhere. Bad input is a 4xx naming the parameter; only the store failing is a 5xx.

use axum::http::StatusCode;

/// A failed request: the status to answer with and a message for the person or script that asked.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A request whose parameters are wrong (400).
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::BAD_REQUEST, message: message.into() }
    }

    /// A request for something that does not exist (404).
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::NOT_FOUND, message: message.into() }
    }

    /// The server has no version to show yet (503).
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::SERVICE_UNAVAILABLE, message: message.into() }
    }
}

/// Library errors: what the caller asked for is missing or malformed (4xx), or the store or its blobs
/// failed (5xx, logged).
impl From<hollow::Error> for ApiError {
    fn from(e: hollow::Error) -> Self {
        use hollow::ErrorKind::*;
        let status = match e.kind() {
            NotFound => StatusCode::NOT_FOUND,
            InvalidArgument | Schema | ValidationFailed => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::warn!(target: "hollow::serve", error = %e, "a request failed on the store");
            metrics::counter!("hollow_serve_store_errors_total").increment(1);
        }
        ApiError { status, message: e.to_string() }
    }
}
