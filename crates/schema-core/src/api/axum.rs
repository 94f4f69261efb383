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
//! take; a version past its sunset is a 400 too, that lists the versions still served.
//!
//! [`versioned_router_with`] takes [`ApiOptions`]: the deprecation policy (a
//! [`Lifecycle`]: deprecated versions, sunsets, documentation link) and how to name a
//! client. Every response of a deprecated version, and every response that carries a
//! renamed field's old name inside its window, has `Deprecation`, `Sunset` and `Link`
//! headers; every [`VersionedJson`] response and every request that sends an old name is
//! counted in the options' [`Usage`], whose report [`ApiOptions::deprecations`] gives.

use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::deprecation::{Date, DeprecationReport, FieldUse, Lifecycle, Usage};
use super::serde::DeserializeVersion;
use super::{LEGACY_PREFIX, VERSION_HEADER, VersionError, negotiate};
use crate::runtime::{AnyVersion, FromLatest, IntoLatest, NotInVersion, RenamedField, Versioned};

/// Names the client of a request, for the usage counters: an API key id, a header, the
/// peer address. `None` counts the request under `anonymous`.
pub type ClientId = dyn Fn(&Parts) -> Option<String> + Send + Sync;

/// The deprecation policy and the usage telemetry of a [`versioned_router_with`].
#[derive(Clone)]
pub struct ApiOptions {
    lifecycle: Arc<Lifecycle>,
    usage: Arc<Usage>,
    client: Arc<ClientId>,
}

impl Default for ApiOptions {
    fn default() -> Self {
        ApiOptions {
            lifecycle: Arc::new(Lifecycle::new()),
            usage: Arc::new(Usage::default()),
            client: Arc::new(|_| None),
        }
    }
}

impl std::fmt::Debug for ApiOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiOptions")
            .field("lifecycle", &self.lifecycle)
            .field("usage", &self.usage)
            .finish_non_exhaustive()
    }
}

impl ApiOptions {
    /// No deprecated version; usage over 24 hours; every client `anonymous`.
    pub fn new() -> Self {
        ApiOptions::default()
    }

    /// The deprecated versions, their sunsets and the documentation link.
    pub fn lifecycle(mut self, lifecycle: Lifecycle) -> Self {
        self.lifecycle = Arc::new(lifecycle);
        self
    }

    /// Where the usage is counted (to share it, or to set its window).
    pub fn usage(mut self, usage: Arc<Usage>) -> Self {
        self.usage = usage;
        self
    }

    /// How a request names its client.
    pub fn client_id(
        mut self,
        client: impl Fn(&Parts) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.client = Arc::new(client);
        self
    }

    /// The client is the value of request header `name` (an API key id, say).
    pub fn client_header(self, name: &'static str) -> Self {
        self.client_id(move |parts| {
            let value = parts.headers.get(name)?.to_str().ok()?;
            Some(value.to_owned())
        })
    }

    /// Who used which version and deprecated field, within the usage window.
    pub fn deprecations(&self) -> DeprecationReport {
        self.usage.report(&self.lifecycle, SystemTime::now())
    }
}

/// The versions a route serves, set by [`versioned_router`] on every route.
#[derive(Debug, Clone)]
struct Route {
    /// The version named by the path prefix; `None` under the root (header or default).
    fixed: Option<u32>,
    supported: RangeInclusive<u32>,
    options: ApiOptions,
}

/// The client of a request, as [`ApiOptions::client_id`] names it.
#[derive(Debug, Clone)]
struct Client(Arc<str>);

/// What a [`VersionedJson`] response served, for the deprecation layer.
#[derive(Debug, Clone)]
struct Served {
    table: &'static str,
    type_version: u32,
    renamed: &'static [RenamedField],
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
    versioned_router_with(api, supported, ApiOptions::default())
}

/// [`versioned_router`] with a deprecation policy and usage telemetry: a version past its
/// sunset is a 400 listing the versions still served; responses of deprecated versions and
/// of renamed fields inside their window carry `Deprecation`, `Sunset` and `Link`.
pub fn versioned_router_with<S>(
    api: Router<S>,
    supported: RangeInclusive<u32>,
    options: ApiOptions,
) -> Router<S>
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
        api.clone()
            .layer(axum::middleware::from_fn(deprecation_layer))
            .layer(axum::Extension(Route {
                fixed,
                supported: supported.clone(),
                options: options.clone(),
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
    let lifecycle = options.lifecycle.clone();
    router.merge(with(None)).fallback(move |request: Request| {
        let supported = fallback_supported.clone();
        let lifecycle = lifecycle.clone();
        async move {
            let path = request.uri().path();
            match negotiate(path, version_headers(request.headers()), supported.clone()) {
                Err(e) => ApiError {
                    supported_versions: Some(lifecycle.served(supported, SystemTime::now())),
                    ..ApiError::from(e)
                },
                Ok(_) => ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("no route for {} {path}", request.method()),
                ),
            }
        }
    })
}

/// Refuses a version past its sunset; names the client; after the handler, counts what a
/// [`VersionedJson`] served and adds the deprecation headers.
async fn deprecation_layer(request: Request, next: Next) -> Response {
    let Some(route) = request.extensions().get::<Route>().cloned() else {
        return next.run(request).await;
    };
    let version = match route.fixed {
        Some(v) => v,
        None => match negotiate(
            request.uri().path(),
            version_headers(request.headers()),
            route.supported.clone(),
        ) {
            Ok(n) => n.version,
            // The handler's extractor answers it.
            Err(_) => return next.run(request).await,
        },
    };
    let options = &route.options;
    let now = SystemTime::now();
    if let Some(sunset) = options.lifecycle.retired(version, now) {
        let served = options.lifecycle.served(route.supported.clone(), now);
        return ApiError::retired(version, sunset, served).into_response();
    }
    let (parts, body) = request.into_parts();
    let client: Arc<str> = (options.client)(&parts)
        .unwrap_or_else(|| "anonymous".to_owned())
        .into();
    let mut request = Request::from_parts(parts, body);
    request.extensions_mut().insert(Client(client.clone()));
    let mut response = next.run(request).await;
    let served = response.extensions_mut().remove::<Served>();
    if let Some(s) = &served {
        let deprecated = options.lifecycle.status(version).is_some();
        let usage = &options.usage;
        usage.record_request(s.table, version, &client, deprecated, now);
        for field in s.renamed.iter().filter(|r| r.in_window_at(s.type_version)) {
            usage.record_field(s.table, version, field, FieldUse::Served, &client, now);
        }
    }
    let headers = options.lifecycle.headers(
        version,
        served.as_ref().map(|s| s.type_version),
        served.as_ref().map_or(&[], |s| s.renamed),
    );
    insert_headers(response.headers_mut(), headers);
    response
}

fn insert_headers(map: &mut HeaderMap, headers: Vec<(&'static str, String)>) {
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::try_from(value) {
            map.insert(HeaderName::from_static(name), value);
        }
    }
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
        let served = Served {
            table: T::TABLE,
            type_version: any.version(),
            renamed: <T::Any as AnyVersion>::RENAMED,
        };
        match serde_json::to_vec(&any) {
            Ok(body) => (
                [(header::CONTENT_TYPE, "application/json")],
                axum::Extension(served),
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
        let type_version = <T::Any as AnyVersion>::type_version(version.0)?;
        let usage = parts
            .extensions
            .get::<Route>()
            .map(|r| r.options.usage.clone());
        let client = parts.extensions.get::<Client>().cloned();
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
        if let (Some(usage), Some(Client(client))) = (usage, client) {
            let read = <T::Any as AnyVersion>::RENAMED
                .iter()
                .filter(|r| r.old_name_read_at(type_version));
            let now = SystemTime::now();
            for field in read.filter(|r| has_key(&bytes, r.old_name)) {
                usage.record_field(T::TABLE, version.0, field, FieldUse::Sent, &client, now);
            }
        }
        Ok(VersionedJson {
            version,
            value: any.into_latest(),
        })
    }
}

/// The JSON object `body` has the top-level key `key`.
fn has_key(body: &[u8], key: &str) -> bool {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .is_ok_and(|map| map.contains_key(key))
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

impl ApiError {
    /// API version `version`, past its `sunset`: a 400 listing the versions still `served`.
    pub fn retired(version: u32, sunset: Date, served: Vec<u32>) -> Self {
        let list: Vec<String> = served.iter().map(u32::to_string).collect();
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: format!(
                "API version {version} reached its sunset on {sunset} and is no longer served; supported versions: {}",
                list.join(", ")
            ),
            supported_versions: Some(served),
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
