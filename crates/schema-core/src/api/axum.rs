//! Serving every API version from one axum router (feature `axum`).
//!
//! ```ignore
//! let api = Router::new()
//!     .route("/users/{id}", get(get_user))
//!     .route("/users", post(create_user));
//! let app = versioned_router(api, 1..=5);   // /v1/..., /v5/..., /api/..., and /... with the header
//!
//! async fn get_user(version: ApiVersion, Path(id): Path<i64>) -> Result<VersionedJson<User>, ApiError> {
//!     let user: User = load(id).await?;      // always the latest type
//!     Ok(version.json(user))                 // serialized as the type of the requested version
//! }
//!
//! async fn create_user(VersionedJson { version, value }: VersionedJson<User>) -> ... {
//!     // `value` is the latest type, upgraded from whatever version the client sent
//! }
//! ```
//!
//! Every error is a JSON body `{"error": "..."}` with its status: 400 for an unknown or
//! malformed version (with `"supported_versions"`) and for malformed JSON, 415 without a
//! JSON content type, 422 for JSON of the wrong shape, 404 for a table that does not exist
//! yet at the requested version and for an unknown path, 405 for a method a path does not
//! take.

use std::ops::RangeInclusive;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::serde::DeserializeVersion;
use super::{LEGACY_PREFIX, VERSION_HEADER, VersionError, negotiate};
use crate::runtime::{AnyVersion, FromLatest, IntoLatest, NotInVersion, Versioned};

/// The versions a route serves, set by [`versioned_router`] on every route.
#[derive(Debug, Clone)]
struct Route {
    /// The version named by the path prefix; `None` under the root (header or default).
    fixed: Option<u32>,
    supported: RangeInclusive<u32>,
}

/// `api` served under `/v{N}` for each supported version, under `/api` as version 1, and at
/// the root with the version from the `X-API-Version` header (default 1). Any other path is
/// a JSON 404, or a 400 listing the supported versions when it names an unknown one
/// (`/v9/...`); a known path with another method is a JSON 405. `api` should not have a
/// fallback of its own.
pub fn versioned_router<S>(api: Router<S>, supported: RangeInclusive<u32>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let api = api.method_not_allowed_fallback(|request: Request| async move {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "{} is not allowed on {}",
                request.method(),
                request.uri().path()
            ),
        )
    });
    let with = |fixed: Option<u32>| {
        api.clone().layer(axum::Extension(Route {
            fixed,
            supported: supported.clone(),
        }))
    };
    let mut router = Router::new();
    for v in supported.clone() {
        router = router.nest(&format!("/v{v}"), with(Some(v)));
    }
    if supported.contains(&1) {
        router = router.nest(LEGACY_PREFIX, with(Some(1)));
    }
    let fallback_supported = supported.clone();
    router.merge(with(None)).fallback(move |request: Request| {
        let supported = fallback_supported.clone();
        async move {
            let path = request.uri().path();
            match negotiate(path, version_headers(request.headers()), supported) {
                Err(e) => ApiError::from(e),
                Ok(_) => ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("no route for {} {path}", request.method()),
                ),
            }
        }
    })
}

fn version_headers(headers: &HeaderMap) -> impl Iterator<Item = (&str, &[u8])> {
    headers
        .get_all(VERSION_HEADER)
        .iter()
        .map(|v| (VERSION_HEADER, v.as_bytes()))
}

/// The API version of a request, from the route [`versioned_router`] matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiVersion(pub u32);

impl ApiVersion {
    /// A response of `value` (the latest type) as the type of this version.
    pub fn json<T>(self, value: T) -> VersionedJson<T> {
        VersionedJson {
            version: self,
            value,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiVersion {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(route) = parts.extensions.get::<Route>() else {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ApiVersion needs the router built by schema_core::api::axum::versioned_router",
            ));
        };
        if let Some(v) = route.fixed {
            return Ok(ApiVersion(v));
        }
        let negotiated = negotiate(
            parts.uri.path(),
            version_headers(&parts.headers),
            route.supported.clone(),
        )?;
        Ok(ApiVersion(negotiated.version))
    }
}

/// The latest value of a row type, exchanged as the type of a version.
///
/// As a response, `value` is converted to the type that serves `version` and serialized.
/// As an extractor, the JSON body is read as that type and upgraded to the latest.
#[derive(Debug, Clone)]
pub struct VersionedJson<T> {
    pub version: ApiVersion,
    /// Always the latest type.
    pub value: T,
}

impl<T> IntoResponse for VersionedJson<T>
where
    T: Versioned<Latest = T>,
    T::Any: FromLatest + Serialize,
{
    fn into_response(self) -> Response {
        let any = match T::Any::from_latest(self.value, self.version.0) {
            Ok(any) => any,
            Err(e) => return ApiError::from(e).into_response(),
        };
        match serde_json::to_vec(&any) {
            Ok(body) => (
                [(header::CONTENT_TYPE, "application/json")],
                axum::body::Bytes::from(body),
            )
                .into_response(),
            Err(e) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot serialize the response: {e}"),
            )
            .into_response(),
        }
    }
}

impl<T, S> FromRequest<S> for VersionedJson<T>
where
    T: Versioned<Latest = T>,
    T::Any: DeserializeVersion + IntoLatest,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (mut parts, body) = request.into_parts();
        let version = ApiVersion::from_request_parts(&mut parts, state).await?;
        <T::Any as AnyVersion>::type_version(version.0)?;
        if !json_content_type(&parts.headers) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected a request body with `Content-Type: application/json`",
            ));
        }
        let request = Request::from_parts(parts, body);
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::new(e.status(), e.body_text()))?;
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        let any = T::Any::deserialize_version(version.0, &mut deserializer)
            .and_then(|any| deserializer.end().map(|()| any))
            .map_err(|e| {
                let status = match e.classify() {
                    serde_json::error::Category::Data => StatusCode::UNPROCESSABLE_ENTITY,
                    _ => StatusCode::BAD_REQUEST,
                };
                ApiError::new(
                    status,
                    format!("invalid JSON body for API version {}: {e}", version.0),
                )
            })?;
        Ok(VersionedJson {
            version,
            value: any.into_latest(),
        })
    }
}

/// `application/json`, or `application/...+json`, with parameters allowed.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// An error answered as `{"error": "..."}` (and `"supported_versions"` for a version error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub supported_versions: Option<Vec<u32>>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            supported_versions: None,
        }
    }
}

impl From<VersionError> for ApiError {
    fn from(e: VersionError) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: e.to_string(),
            supported_versions: Some(e.supported_list()),
        }
    }
}

impl From<NotInVersion> for ApiError {
    fn from(e: NotInVersion) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.message });
        if let Some(versions) = self.supported_versions {
            body["supported_versions"] = versions.into();
        }
        let body = serde_json::to_vec(&body).expect("a JSON value serializes");
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            axum::body::Bytes::from(body),
        )
            .into_response()
    }
}
