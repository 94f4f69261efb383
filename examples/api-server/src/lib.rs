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

pub mod db;
pub mod model;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use schema_core::api::axum::{ApiError, ApiVersion, VersionedJson, versioned_router};

use crate::db::DbError;
use crate::model::User;

/// The API versions this server speaks.
pub const VERSIONS: std::ops::RangeInclusive<u32> = 1..=5;

#[derive(Clone)]
pub struct AppState {
    pub db: Arc<tokio_postgres::Client>,
}

/// The whole service.
pub fn app(db: tokio_postgres::Client) -> Router {
    let api = Router::new()
        .route("/users", axum::routing::post(create_user))
        .route("/users/{id}", get(get_user))
        .route("/orgs/{id}", get(get_org))
        .route("/projects/{id}", get(get_project));
    versioned_router(api, VERSIONS).with_state(AppState { db: Arc::new(db) })
}

/// Connects to PostgreSQL (`host=... user=... dbname=...`); the connection runs on a task.
pub async fn connect(config: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(config, tokio_postgres::NoTls).await?;
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
