//! The HTML pages: each handler gathers the same data as its `/api` twin, off the async threads, and
//! renders it with [`templates`]. A failure is an error page with the status and the message.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::Markup;

use super::dataset::Dataset;
use super::error::{ApiError, ApiResult};
use super::explore::{self, Status};
use super::params;
use super::templates::{self, Viewing};
use super::{blocking, changes, App};

type Q = Query<params::Query>;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(types))
        .route("/types/{type}", get(records))
        .route("/types/{type}/records/{ordinal}", get(record))
        .route("/types/{type}/lookup", get(lookup))
        .route("/types/{type}/query", get(query))
        .route("/diff", get(diff))
        .route("/history", get(history_types))
        .route("/history/{type}", get(history))
}

pub fn error(e: ApiError) -> Response {
    metrics::counter!("hollow_serve_failed_requests_total", "status" => e.status.as_str().to_owned()).increment(1);
    (e.status, Html(templates::error(e.status.as_u16(), &e.message).into_string())).into_response()
}

/// Render a page whose data `load` gathers: `load` returns the title, what the header shows, and the body.
async fn page(
    app: &Arc<App>,
    keep: Vec<(String, String)>,
    load: impl FnOnce(&Dataset, &Status) -> ApiResult<(String, Option<i64>, bool, Markup)> + Send + 'static,
) -> Response {
    let rendered = blocking(app, move |d| {
        let status = explore::status(d)?;
        let (title, version, pinned, body) = load(d, &status)?;
        Ok(templates::layout(&title, &Viewing { status: &status, version, pinned, keep }, body).into_string())
    })
    .await;
    match rendered {
        Ok(html) => Html(html).into_response(),
        Err(e) => error(e),
    }
}

/// The parameters a version switch keeps (all but the version and the page).
fn kept(q: &params::Query) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> = q
        .iter()
        .filter(|(k, _)| k.as_str() != "version" && k.as_str() != "page")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    kept.sort();
    kept
}

async fn types(State(app): State<Arc<App>>, Query(q): Q) -> Response {
    page(&app, kept(&q), move |d, _| {
        let t = explore::types(d, &q)?;
        Ok((format!("types at {}", t.version), Some(t.version), t.pinned, templates::types(&t)))
    })
    .await
}

async fn records(State(app): State<Arc<App>>, Path(t): Path<String>, Query(q): Q) -> Response {
    page(&app, kept(&q), move |d, _| {
        let p = explore::records_page(d, &t, &q)?;
        Ok((p.type_name.clone(), Some(p.version), p.pinned, templates::records_page(&p)))
    })
    .await
}

async fn record(State(app): State<Arc<App>>, Path((t, o)): Path<(String, String)>, Query(q): Q) -> Response {
    page(&app, kept(&q), move |d, _| {
        let r = explore::record(d, &t, &o, &q)?;
        Ok((format!("{} #{}", r.type_name, r.ordinal), Some(r.version), r.pinned, templates::record(&r)))
    })
    .await
}

async fn lookup(State(app): State<Arc<App>>, Path(t): Path<String>, Query(q): Q) -> Response {
    page(&app, kept(&q), move |d, _| {
        let l = explore::lookup(d, &t, &q)?;
        Ok((format!("{} lookup", l.type_name), Some(l.version), l.pinned, templates::lookup(&l)))
    })
    .await
}

async fn query(State(app): State<Arc<App>>, Path(t): Path<String>, Query(q): Q) -> Response {
    page(&app, kept(&q), move |d, _| {
        let l = explore::query(d, &t, &q)?;
        Ok((format!("{} query", l.type_name), Some(l.version), l.pinned, templates::lookup(&l)))
    })
    .await
}

async fn diff(State(app): State<Arc<App>>, Query(q): Q) -> Response {
    page(&app, kept(&q), move |d, status| {
        let diff = changes::diff(d, &q)?;
        Ok((format!("diff {} to {}", diff.from, diff.to), None, false, templates::diff(status, &diff)))
    })
    .await
}

async fn history_types(State(app): State<Arc<App>>, Query(q): Q) -> Response {
    page(&app, kept(&q), move |d, _| {
        let t = explore::types(d, &q)?;
        Ok(("history".to_owned(), None, false, templates::history_types(&t)))
    })
    .await
}

async fn history(State(app): State<Arc<App>>, Path(t): Path<String>, Query(q): Q) -> Response {
    page(&app, kept(&q), move |d, _| {
        if !q.contains_key("k0") {
            // The form alone: the key fields of the type's primary key.
            let types = explore::types(d, &q)?;
            let summary = types
                .types
                .iter()
                .find(|s| s.name == t)
                .ok_or_else(|| ApiError::not_found(format!("no type {t:?} at version {}", types.version)))?;
            let fields = summary.primary_key.clone().ok_or_else(|| {
                ApiError::bad_request(format!("type {t} has no primary key, so a record has no history"))
            })?;
            let body = maud::html! { h1 { "History of a " (t) } (templates::history_form(&t, &fields, &[])) };
            return Ok((format!("history of {t}"), None, false, body));
        }
        let h = changes::history(d, &t, &q)?;
        Ok((format!("history of {}", h.type_name), None, false, templates::history(&h)))
    })
    .await
}
