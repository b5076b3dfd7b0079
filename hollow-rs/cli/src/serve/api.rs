//! The JSON API under `/api`: the same data the pages show, for scripts and dashboards
//! (docs/serve-api.md). Errors are `{"status": 4xx, "error": "..."}` with that HTTP status.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;

use super::error::{ApiError, ApiResult};
use super::{blocking, changes, explore, App};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api", get(index))
        .route("/api/status", get(status))
        .route("/api/types", get(types))
        .route("/api/types/{type}/records", get(records))
        .route("/api/types/{type}/records/{ordinal}", get(record))
        .route("/api/types/{type}/lookup", get(lookup))
        .route("/api/types/{type}/query", get(query))
        .route("/api/diff", get(diff))
        .route("/api/history/{type}", get(history))
}

/// A result as JSON: the value with 200, or the error with its status.
pub fn respond<T: Serialize>(result: ApiResult<T>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(e) => error(e),
    }
}

pub fn error(e: ApiError) -> Response {
    metrics::counter!("hollow_serve_failed_requests_total", "status" => e.status.as_str().to_owned()).increment(1);
    (e.status, Json(json!({"status": e.status.as_u16(), "error": e.message}))).into_response()
}

type Q = Query<super::params::Query>;

async fn index() -> Response {
    Json(json!({
        "endpoints": [
            "/api/status",
            "/api/types?version=V",
            "/api/types/{type}/records?version=V&page=P&limit=L",
            "/api/types/{type}/records/{ordinal}?version=V&page=P&limit=L",
            "/api/types/{type}/lookup?version=V&k0=..&k1=..",
            "/api/types/{type}/query?version=V&fields=PATH,PATH&k0=..&k1=..",
            "/api/diff?from=V1&to=V2&type=T&limit=N",
            "/api/history/{type}?k0=..&k1=..&to=V&versions=N",
        ],
        "docs": "docs/serve-api.md",
    }))
    .into_response()
}

async fn status(State(app): State<Arc<App>>) -> Response {
    respond(blocking(&app, explore::status).await)
}

async fn types(State(app): State<Arc<App>>, Query(q): Q) -> Response {
    respond(blocking(&app, move |d| explore::types(d, &q)).await)
}

async fn records(State(app): State<Arc<App>>, Path(t): Path<String>, Query(q): Q) -> Response {
    respond(blocking(&app, move |d| explore::records_page(d, &t, &q)).await)
}

async fn record(State(app): State<Arc<App>>, Path((t, o)): Path<(String, String)>, Query(q): Q) -> Response {
    respond(blocking(&app, move |d| explore::record(d, &t, &o, &q)).await)
}

async fn lookup(State(app): State<Arc<App>>, Path(t): Path<String>, Query(q): Q) -> Response {
    respond(blocking(&app, move |d| explore::lookup(d, &t, &q)).await)
}

async fn query(State(app): State<Arc<App>>, Path(t): Path<String>, Query(q): Q) -> Response {
    respond(blocking(&app, move |d| explore::query(d, &t, &q)).await)
}

async fn diff(State(app): State<Arc<App>>, Query(q): Q) -> Response {
    respond(blocking(&app, move |d| changes::diff(d, &q).map(|diff| diff.to_json())).await)
}

async fn history(State(app): State<Arc<App>>, Path(t): Path<String>, Query(q): Q) -> Response {
    respond(blocking(&app, move |d| changes::history(d, &t, &q)).await)
}
