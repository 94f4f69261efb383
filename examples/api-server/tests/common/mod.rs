//! A fresh database with the example's tables, and the server on a free loopback port.

// Each test binary uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use reqwest::{Method, StatusCode};
use schema_core::api::axum::ApiOptions;
use serde_json::Value;

pub use test_support::TestDb;

/// A database created for one test from `examples/service/sql`, dropped afterwards.
pub fn example_db(label: &str) -> TestDb {
    let db = TestDb::new(&format!("api_{label}"));
    for file in migrations() {
        db.psql(&file);
    }
    db
}

/// The forward files of `examples/service/sql`, in number order.
fn migrations() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../service/sql");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".sql") && !name.ends_with(".rollback.sql")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no migrations in {}", dir.display());
    files
}

/// The example server on a free loopback port, over its own database.
pub struct Server {
    pub base: String,
    pub db: TestDb,
    client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// The server with the example's deprecation policy.
    pub async fn start(label: &str) -> Server {
        let options = example_api_server::options(example_api_server::lifecycle());
        Server::start_with(label, options).await
    }

    /// The server with `options`, served with each connection's address.
    pub async fn start_with(label: &str, options: ApiOptions) -> Server {
        let db = example_db(label);
        let pg = example_api_server::connect(&db.config()).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = example_api_server::app_with(pg, options)
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Server {
            base: format!("http://{addr}"),
            db,
            client: reqwest::Client::new(),
            task,
        }
    }

    /// Sends `method path` with `headers` and, when given, a JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        Response::read(request.send().await.unwrap()).await
    }

    /// Sends a request; `body` is sent as it is, with `Content-Type: application/json`
    /// unless `content_type` says otherwise.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        version_header: Option<&str>,
        body: Option<&str>,
        content_type: &str,
    ) -> Response {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(v) = version_header {
            request = request.header("X-API-Version", v);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", content_type)
                .body(body.to_owned());
        }
        Response::read(request.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None, None, "").await
    }

    /// `GET path` with `X-API-Version: version`.
    pub async fn get_with(&self, path: &str, version: &str) -> Response {
        self.send(Method::GET, path, Some(version), None, "").await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.send(
            Method::POST,
            path,
            None,
            Some(&body.to_string()),
            "application/json",
        )
        .await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A response read whole.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Response {
    async fn read(response: reqwest::Response) -> Response {
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        Response {
            status,
            content_type,
            headers,
            text,
        }
    }

    /// The value of header `name`, if there is one.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The JSON body, after checking the status and that the body is JSON.
    pub fn json(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(
            self.content_type.as_deref(),
            Some("application/json"),
            "{self:?}"
        );
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }

    /// The `error` of a JSON error body with `status`.
    pub fn error(&self, status: u16) -> String {
        let body = self.json(status);
        body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message: {body}"))
            .to_owned()
    }
}
