//! An axum service over the example crate's tables that serves every API version at once:
//! `/v1/...` to `/v5/...`, the legacy `/api/...` (version 1), and unprefixed paths with the
//! version in the `X-API-Version` header (default 1).
//!
//! Handlers work with the latest types only; `schema_core::api::axum` converts them to and
//! from the type of the version each request speaks.
//!
//! | route | |
//! |---|---|
//! | `GET /users/{id}` | a user, as the requested version |
//! | `POST /users` | creates a user from a body of the requested version; 201 with the row |
//! | `GET /orgs/{id}`, `GET /projects/{id}` | an organisation, a project |
//! | `GET /openapi.json` | the OpenAPI 3.1 components of the requested version (`User`) |
//! | `GET /admin/deprecations` | who used which version and deprecated field in the last 24 h |
//! | `GET /metrics` | the usage counters, for Prometheus (when [`install_metrics`] ran) |
//!
//! Version 1 is deprecated ([`lifecycle`]): its responses carry `Deprecation` and `Link`
//! headers; so do version-4 responses, which carry the old name `display_name` until its
//! sunset. Clients are named by their `X-Api-Key` header, else by their address.

pub mod db;
pub mod model;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use schema_core::api::axum::{
    ApiError, ApiOptions, ApiVersion, VersionedJson, versioned_router_with,
};
use schema_core::api::deprecation::{Date, Lifecycle};

use crate::db::DbError;
use crate::model::User;

/// The API versions this server speaks.
pub const VERSIONS: std::ops::RangeInclusive<u32> = 1..=5;

/// Where the documentation of the deprecations is, sent in the `Link` header.
pub const DEPRECATIONS_DOC: &str = "https://example.com/docs/api-versions#phase-2";

#[derive(Clone)]
pub struct AppState {
    pub db: Arc<tokio_postgres::Client>,
    pub api: ApiOptions,
}

/// The example's deprecation policy: version 1 is deprecated since 2026-01-01 (no sunset
/// set yet); version 4, which introduced `name`, was released on 2026-03-01.
pub fn lifecycle() -> Lifecycle {
    let day = |s: &str| s.parse::<Date>().expect("a valid date");
    Lifecycle::new()
        .deprecate(1, day("2026-01-01"), None)
        .released(4, day("2026-03-01"))
        .link(DEPRECATIONS_DOC)
}

/// The client of a request: its `X-Api-Key` header, else its address (when the server is
/// served with `into_make_service_with_connect_info`).
pub fn options(lifecycle: Lifecycle) -> ApiOptions {
    ApiOptions::new().lifecycle(lifecycle).client_id(|parts| {
        if let Some(key) = parts.headers.get("x-api-key") {
            return key.to_str().ok().map(|k| format!("key:{k}"));
        }
        let ConnectInfo(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>()?;
        Some(peer.ip().to_string())
    })
}

/// The whole service, with the example's [`lifecycle`].
pub fn app(db: tokio_postgres::Client) -> Router {
    app_with(db, options(lifecycle()))
}

/// The whole service with the given API options.
pub fn app_with(db: tokio_postgres::Client, api_options: ApiOptions) -> Router {
    let api = Router::new()
        .route("/users", axum::routing::post(create_user))
        .route("/users/{id}", get(get_user))
        .route("/orgs/{id}", get(get_org))
        .route("/projects/{id}", get(get_project))
        .route("/openapi.json", get(openapi));
    let admin = Router::new()
        .route("/admin/deprecations", get(deprecations))
        .route("/metrics", get(metrics));
    versioned_router_with(api, VERSIONS, api_options.clone())
        .merge(admin)
        .with_state(AppState {
            db: Arc::new(db),
            api: api_options,
        })
}

static METRICS: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder of the process, once; `/metrics` renders it.
pub fn install_metrics() -> &'static PrometheusHandle {
    METRICS.get_or_init(|| {
        PrometheusBuilder::new()
            .install_recorder()
            .expect("no other metrics recorder is installed")
    })
}

/// The components of the requested version: `User` as that version's clients see it.
async fn openapi(version: ApiVersion) -> Result<axum::Json<serde_json::Value>, ApiError> {
    use schema_core::api::schema::{VersionSchema, openapi};
    let user = model::UserAny::json_schema(version.0)?;
    let doc = openapi("example-api-server", version.0, vec![("User".into(), user)]);
    Ok(axum::Json(doc))
}

async fn deprecations(State(state): State<AppState>) -> impl IntoResponse {
    axum::Json(state.api.deprecations())
}

async fn metrics() -> Result<String, ApiError> {
    match METRICS.get() {
        Some(handle) => Ok(handle.render()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no metrics recorder installed",
        )),
    }
}

/// Connects to PostgreSQL (`host=... user=... dbname=...`); the connection runs on a task.
pub async fn connect(config: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = config.parse()?;
    // The contract gate: `migrate-gen apply --phase contract` waits while a session tagged
    // with an older schema version is connected (`example-api-server (schema vN)`).
    config.application_name(<User as schema_core::Versioned>::application_name(
        "example-api-server",
    ));
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("error: database connection: {e}");
        }
    });
    Ok(client)
}

fn db_error(e: DbError) -> ApiError {
    match e {
        DbError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
        DbError::BadReference(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m),
        DbError::Other(e) => {
            eprintln!("error: {e}");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "database error")
        }
    }
}

/// An id from the path; anything but an integer is a 400 with a JSON body.
fn parse_id(what: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("{what} id must be an integer, not {raw:?}"),
        )
    })
}

fn not_found(what: &str, id: i64) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("no {what} with id {id}"))
}

async fn get_user(
    State(state): State<AppState>,
    version: ApiVersion,
    Path(id): Path<String>,
) -> Result<VersionedJson<User>, ApiError> {
    let id = parse_id("user", &id)?;
    let user = db::user(&state.db, id).await.map_err(db_error)?;
    Ok(version.json(user.ok_or_else(|| not_found("user", id))?))
}

async fn create_user(
    State(state): State<AppState>,
    VersionedJson { version, value }: VersionedJson<User>,
) -> Result<(StatusCode, VersionedJson<User>), ApiError> {
    let user = db::insert_user(&state.db, value).await.map_err(db_error)?;
    Ok((StatusCode::CREATED, version.json(user)))
}

async fn get_org(
    State(state): State<AppState>,
    version: ApiVersion,
    Path(id): Path<String>,
) -> Result<VersionedJson<model::Org>, ApiError> {
    let id = parse_id("organisation", &id)?;
    let org = db::org(&state.db, id).await.map_err(db_error)?;
    Ok(version.json(org.ok_or_else(|| not_found("organisation", id))?))
}

async fn get_project(
    State(state): State<AppState>,
    version: ApiVersion,
    Path(id): Path<String>,
) -> Result<VersionedJson<model::Project>, ApiError> {
    let id = parse_id("project", &id)?;
    let project = db::project(&state.db, id).await.map_err(db_error)?;
    Ok(version.json(project.ok_or_else(|| not_found("project", id))?))
}
