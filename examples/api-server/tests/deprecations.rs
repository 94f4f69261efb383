//! Phase 2 of a rename, over real HTTP on a real PostgreSQL: who still uses an old version or
//! an old field (the `/admin/deprecations` snapshot and the Prometheus counters at
//! `/metrics`), the `Deprecation`, `Sunset` and `Link` headers of each response, and a version
//! past its sunset refused.

mod common;

use common::{Response, Server};
use example_api_server::{DEPRECATIONS_DOC, install_metrics, lifecycle, options};
use reqwest::Method;
use schema_core::api::deprecation::Date;
use serde_json::{Value, json};

const SEED: &str = "
    INSERT INTO orgs (id, slug, name, plan) VALUES (1, 'acme', 'Acme', 'team');
    INSERT INTO users (id, email, display_name, created_at, org_id, username, login_count)
    VALUES (7, 'ada@example.com', 'Ada', '2026-01-31T12:00:00Z', 1, 'ada', 3);
";

fn day(s: &str) -> Date {
    s.parse().unwrap()
}

/// The example's policy, and version 2 retired at the end of 2025.
async fn server() -> Server {
    let policy = lifecycle().deprecate(2, day("2025-01-01"), Some(day("2025-12-31")));
    let server = Server::start_with("deprecations", options(policy)).await;
    server.db.sql(SEED);
    server
}

/// `GET path` as the client with API key `key`.
async fn get(server: &Server, key: &str, path: &str) -> Response {
    server
        .request(Method::GET, path, &[("X-Api-Key", key)], None)
        .await
}

async fn post(server: &Server, key: &str, path: &str, body: Value) -> Response {
    server
        .request(Method::POST, path, &[("X-Api-Key", key)], Some(&body))
        .await
}

fn deprecation_headers(r: &Response) -> [Option<&str>; 3] {
    [
        r.header("deprecation"),
        r.header("sunset"),
        r.header("link"),
    ]
}

/// The value of the Prometheus counter `name` whose labels include `labels`.
fn counter(metrics: &str, name: &str, labels: &[(&str, &str)]) -> Option<u64> {
    metrics
        .lines()
        .filter(|line| line.starts_with(&format!("{name}{{")))
        .find(|line| {
            labels
                .iter()
                .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|line| line.rsplit(' ').next().unwrap().parse().unwrap())
}

#[tokio::test]
async fn clients_of_old_versions_and_old_fields_are_seen_and_warned() {
    install_metrics();
    let server = server().await;
    // Keys of this test only: the metrics recorder is the process's.
    let run = std::process::id();
    let (alpha, beta, gamma, delta) = (
        format!("alpha-{run}"),
        format!("beta-{run}"),
        format!("gamma-{run}"),
        format!("delta-{run}"),
    );
    let link = format!("<{DEPRECATIONS_DOC}>; rel=\"deprecation\"; type=\"text/html\"");

    // Version 1, deprecated since 2026-01-01 without a sunset.
    for _ in 0..2 {
        let r = get(&server, &alpha, "/v1/users/7").await;
        assert_eq!(r.json(200)["email"], "ada@example.com");
        assert_eq!(
            deprecation_headers(&r),
            [Some("@1767225600"), None, Some(link.as_str())]
        );
    }
    // Version 3: nothing deprecated.
    let r = get(&server, &beta, "/v3/users/7").await;
    assert_eq!(r.json(200)["display_name"], "Ada");
    assert_eq!(deprecation_headers(&r), [None, None, None]);
    // Version 4 carries `display_name` for its sake: deprecated since version 4's release
    // (2026-03-01), sunset from the annotation (2027-06-30).
    let v4_headers = [
        Some("@1772323200"),
        Some("Wed, 30 Jun 2027 00:00:00 GMT"),
        Some(link.as_str()),
    ];
    let r = get(&server, &gamma, "/v4/users/7").await;
    assert_eq!(r.json(200)["display_name"], "Ada");
    assert_eq!(deprecation_headers(&r), v4_headers);
    // gamma still sends the old name; delta the new one.
    let mut body = json!({"id": 10, "email": "old@example.com", "display_name": "Old",
        "created_at": "2026-03-01T10:00:00Z", "org_id": 1, "username": null});
    let r = post(&server, &gamma, "/v4/users", body.clone()).await;
    assert_eq!(r.json(201)["name"], "Old");
    assert_eq!(deprecation_headers(&r), v4_headers);
    body["id"] = json!(11);
    body["email"] = json!("new@example.com");
    body["name"] = body
        .as_object_mut()
        .unwrap()
        .remove("display_name")
        .unwrap();
    let r = post(&server, &delta, "/v4/users", body).await;
    assert_eq!(r.json(201)["name"], "Old");
    assert_eq!(deprecation_headers(&r), v4_headers);
    // Version 5: only the new name, nothing deprecated.
    let r = get(&server, &delta, "/v5/users/7").await;
    assert_eq!(r.json(200)["name"], "Ada");
    assert_eq!(deprecation_headers(&r), [None, None, None]);

    // Version 2 is past its sunset: a 400 listing the versions still served, by path or
    // by header, and not counted.
    for r in [
        get(&server, &alpha, "/v2/users/7").await,
        server
            .request(
                Method::GET,
                "/users/7",
                &[("X-Api-Key", alpha.as_str()), ("X-API-Version", "2")],
                None,
            )
            .await,
    ] {
        let body = r.json(400);
        assert_eq!(body["supported_versions"], json!([1, 3, 4, 5]), "{body}");
        assert_eq!(
            body["error"],
            "API version 2 reached its sunset on 2025-12-31 and is no longer served; supported versions: 1, 3, 4, 5"
        );
    }
    let body = get(&server, &alpha, "/v9/users/7").await.json(400);
    assert_eq!(body["supported_versions"], json!([1, 3, 4, 5]), "{body}");

    // The snapshot: exactly those clients and counts.
    let report = server.get("/admin/deprecations").await.json(200);
    let versions: Vec<Value> = report["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let mut clients: Vec<(String, u64)> = v["clients"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["client"].as_str().unwrap().to_owned(),
                        c["requests"].as_u64().unwrap(),
                    )
                })
                .collect();
            clients.sort();
            json!([
                v["version"],
                v["requests"],
                clients,
                v["deprecated_since"],
                v["sunset"]
            ])
        })
        .collect();
    let key = |k: &str| format!("key:{k}");
    assert_eq!(
        versions,
        [
            json!([1, 2, [[key(&alpha), 2]], "2026-01-01", null]),
            json!([2, 0, [], "2025-01-01", "2025-12-31"]),
            json!([3, 1, [[key(&beta), 1]], null, null]),
            json!([4, 3, [[key(&delta), 1], [key(&gamma), 2]], null, null]),
            json!([5, 1, [[key(&delta), 1]], null, null]),
        ],
        "{report:#}"
    );
    let fields = report["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1, "{report:#}");
    let field = &fields[0];
    assert_eq!(
        (
            &field["table"],
            &field["version"],
            &field["field"],
            &field["replaced_by"]
        ),
        (
            &json!("users"),
            &json!(4),
            &json!("display_name"),
            &json!("name")
        )
    );
    assert_eq!(field["sent"], 1);
    assert_eq!(field["sent_by"][0]["client"], key(&gamma));
    assert_eq!(field["sent_by"].as_array().unwrap().len(), 1);
    assert_eq!(field["served"], 3);
    assert_eq!(field["served_to"].as_array().unwrap().len(), 2);

    // The same counts in the metrics, through the `metrics` facade.
    let metrics = server.get("/metrics").await.text;
    let requests = |client: &str, version: &str| {
        counter(
            &metrics,
            "api_requests_total",
            &[
                ("type", "users"),
                ("version", version),
                ("client", &key(client)),
            ],
        )
    };
    assert_eq!(requests(&alpha, "1"), Some(2), "{metrics}");
    assert_eq!(requests(&beta, "3"), Some(1));
    assert_eq!(requests(&gamma, "4"), Some(2));
    assert_eq!(requests(&delta, "4"), Some(1));
    assert_eq!(requests(&alpha, "2"), None);
    let field = |client: &str, used: &str| {
        counter(
            &metrics,
            "api_deprecated_field_total",
            &[
                ("field", "display_name"),
                ("use", used),
                ("client", &key(client)),
            ],
        )
    };
    assert_eq!(field(&gamma, "sent"), Some(1), "{metrics}");
    assert_eq!(field(&delta, "sent"), None);
    assert_eq!(field(&gamma, "served"), Some(2));
    assert_eq!(field(&delta, "served"), Some(1));
}

#[tokio::test]
async fn a_client_without_a_key_is_named_by_its_address() {
    let server = server().await;
    server.get("/v1/users/7").await.json(200);
    let report = server.get("/admin/deprecations").await.json(200);
    assert_eq!(
        report["versions"][0]["clients"][0]["client"], "127.0.0.1",
        "{report:#}"
    );
}
