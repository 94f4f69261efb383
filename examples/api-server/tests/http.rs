//! The example server over HTTP: each test starts it on a free loopback port over a fresh
//! database built from `examples/service/sql`, and talks to it with a real client.

mod common;

use common::Server;
use reqwest::Method;
use serde_json::{Value, json};

const SEED: &str = "
    INSERT INTO orgs (id, slug, name, plan) VALUES (1, 'acme', 'Acme', 'team');
    INSERT INTO users (id, email, display_name, created_at, org_id, username, login_count)
    VALUES (7, 'ada@example.com', 'Ada', '2026-01-31T12:00:00Z', 1, 'ada', 3);
    INSERT INTO projects (id, org_id, name, created_at, owner_id, archived)
    VALUES (5, 1, 'Engine', '2026-02-01T08:30:00Z', 7, false);
";

async fn seeded(label: &str) -> Server {
    let server = Server::start(label).await;
    server.db.sql(SEED);
    server
}

fn v1() -> Value {
    json!({"id": 7, "email": "ada@example.com"})
}

fn v2() -> Value {
    json!({
        "id": 7, "email": "ada@example.com", "display_name": "Ada",
        "created_at": "2026-01-31T12:00:00Z", "org_id": 1
    })
}

fn v3() -> Value {
    let mut v = v2();
    v["username"] = json!("ada");
    v["login_count"] = json!(3);
    v
}

fn v5() -> Value {
    json!({
        "id": 7, "email": "ada@example.com", "name": "Ada",
        "created_at": "2026-01-31T12:00:00Z", "org_id": 1, "username": "ada", "login_count": 3
    })
}

#[tokio::test]
async fn a_user_is_served_as_the_version_the_path_or_header_names() {
    let server = seeded("get").await;
    assert_eq!(server.get("/v1/users/7").await.json(200), v1());
    assert_eq!(server.get("/v2/users/7").await.json(200), v2());
    assert_eq!(server.get("/v3/users/7").await.json(200), v3());
    assert_eq!(server.get("/v5/users/7").await.json(200), v5());
    // The legacy prefix and a request that says nothing are version 1.
    assert_eq!(server.get("/api/users/7").await.json(200), v1());
    assert_eq!(server.get("/users/7").await.json(200), v1());
    // The header, when the path does not name a version.
    assert_eq!(server.get_with("/users/7", "1").await.json(200), v1());
    assert_eq!(server.get_with("/users/7", "2").await.json(200), v2());
    assert_eq!(server.get_with("/users/7", " 3 ").await.json(200), v3());
    assert_eq!(server.get_with("/users/7", "5").await.json(200), v5());
    // The path wins over the header.
    assert_eq!(server.get_with("/v1/users/7", "5").await.json(200), v1());
    assert_eq!(server.get_with("/api/users/7", "2").await.json(200), v1());
}

#[tokio::test]
async fn during_the_window_responses_carry_both_names_and_after_it_only_the_new_one() {
    let server = seeded("window").await;
    // Version 4: `display_name` was renamed to `name`; old clients still find their field,
    // right after the new one.
    let response = server.get("/v4/users/7").await;
    let mut expected = v5();
    expected["display_name"] = json!("Ada");
    assert_eq!(response.json(200), expected);
    assert!(
        response
            .text
            .contains(r#""name":"Ada","display_name":"Ada""#),
        "{}",
        response.text
    );
    assert_eq!(server.get_with("/users/7", "4").await.json(200), expected);
    // Version 5: only the new name.
    let v5 = server.get("/v5/users/7").await.json(200);
    assert!(v5.get("display_name").is_none(), "{v5}");
    // Before the rename: only the old name.
    let v3 = server.get("/v3/users/7").await.json(200);
    assert!(v3.get("name").is_none(), "{v3}");
}

fn new_user(id: i64, email: &str) -> Value {
    json!({
        "id": id, "email": email, "created_at": "2026-03-01T10:00:00Z",
        "org_id": 1, "username": null
    })
}

/// The row's `display_name` in the database.
fn stored_name(server: &Server, id: i64) -> String {
    server
        .db
        .sql(&format!("SELECT display_name FROM users WHERE id = {id}"))
}

#[tokio::test]
async fn during_the_window_requests_may_use_either_name_and_the_new_one_wins() {
    let server = seeded("post_window").await;

    let mut old_name = new_user(10, "old@example.com");
    old_name["display_name"] = json!("Old");
    let created = server.post("/v4/users", &old_name).await.json(201);
    assert_eq!(
        (&created["name"], &created["display_name"]),
        (&json!("Old"), &json!("Old"))
    );
    assert_eq!(stored_name(&server, 10), "Old");

    let mut new_name = new_user(11, "new@example.com");
    new_name["name"] = json!("New");
    let created = server.post("/v4/users", &new_name).await.json(201);
    assert_eq!(created["name"], "New");
    assert_eq!(stored_name(&server, 11), "New");

    let mut both = new_user(12, "both@example.com");
    both["display_name"] = json!("Loser");
    both["name"] = json!("Winner");
    let created = server.post("/v4/users", &both).await.json(201);
    assert_eq!(
        (&created["name"], &created["display_name"]),
        (&json!("Winner"), &json!("Winner"))
    );
    assert_eq!(stored_name(&server, 12), "Winner");

    // The same through the header.
    let mut header = new_user(13, "header@example.com");
    header["display_name"] = json!("Via header");
    let response = server
        .send(
            Method::POST,
            "/users",
            Some("4"),
            Some(&header.to_string()),
            "application/json",
        )
        .await;
    assert_eq!(response.json(201)["name"], "Via header");
}

#[tokio::test]
async fn after_the_window_requests_must_use_the_new_name() {
    let server = seeded("post_after").await;
    let mut old_name = new_user(20, "late@example.com");
    old_name["display_name"] = json!("Late");
    let error = server.post("/v5/users", &old_name).await.error(422);
    assert!(error.contains("missing field `name`"), "{error}");
    assert_eq!(
        server.db.sql("SELECT count(*) FROM users WHERE id = 20"),
        "0"
    );

    let mut new_name = new_user(20, "late@example.com");
    new_name["name"] = json!("Late");
    let created = server.post("/v5/users", &new_name).await.json(201);
    assert_eq!(created["name"], "Late");
    assert!(created.get("display_name").is_none(), "{created}");
    assert_eq!(stored_name(&server, 20), "Late");
}

#[tokio::test]
async fn older_versions_post_their_own_shape() {
    let server = seeded("post_old").await;
    // Version 1 has no display name nor creation time: the upgrade computes them.
    let created = server
        .post(
            "/v1/users",
            &json!({"id": 30, "email": "grace@example.com"}),
        )
        .await
        .json(201);
    assert_eq!(created, json!({"id": 30, "email": "grace@example.com"}));
    assert_eq!(stored_name(&server, 30), "grace");
    assert_eq!(
        server.db.sql(
            "SELECT created_at > now() - interval '1 minute' AND login_count = 0 FROM users WHERE id = 30"
        ),
        "t"
    );
    assert_eq!(server.get("/v5/users/30").await.json(200)["name"], "grace");

    // The legacy prefix posts version 1 too.
    let created = server
        .post(
            "/api/users",
            &json!({"id": 31, "email": "legacy@example.com"}),
        )
        .await
        .json(201);
    assert_eq!(created["email"], "legacy@example.com");

    // Version 2 names the field `display_name`; `login_count` may be left out from 3 on.
    let mut v2 = new_user(32, "hopper@example.com");
    v2.as_object_mut().unwrap().remove("username");
    v2["display_name"] = json!("Grace Hopper");
    let created = server.post("/v2/users", &v2).await.json(201);
    assert_eq!(created["display_name"], "Grace Hopper");
    assert_eq!(stored_name(&server, 32), "Grace Hopper");
    let mut v3 = new_user(33, "lin@example.com");
    v3["display_name"] = json!("Lin");
    let created = server.post("/v3/users", &v3).await.json(201);
    assert_eq!(created["login_count"], 0);
}

#[tokio::test]
async fn version_errors_are_400_with_the_supported_versions() {
    let server = seeded("version_errors").await;
    for response in [
        server.get("/v9/users/7").await,
        server.get("/v0/users/7").await,
        server.get_with("/users/7", "9").await,
    ] {
        let body = response.json(400);
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .starts_with("unsupported API version"),
            "{body}"
        );
        assert_eq!(body["supported_versions"], json!([1, 2, 3, 4, 5]));
    }
    let body = server.get_with("/users/7", "two").await.json(400);
    assert_eq!(
        body["error"],
        "malformed API version \"two\" in the X-API-Version header; supported versions: 1, 2, 3, 4, 5"
    );
    let body = server.get("/v99999999999/users/7").await.json(400);
    assert!(body["error"].as_str().unwrap().starts_with("malformed"));
    // An unknown version on a POST is refused before its body is read.
    let error = server.post("/v9/users", &json!({"id": 1})).await.error(400);
    assert!(error.starts_with("unsupported API version 9"), "{error}");
}

#[tokio::test]
async fn request_errors_have_their_status_and_a_json_body() {
    let server = seeded("request_errors").await;
    // A missing row.
    assert_eq!(
        server.get("/v2/users/999").await.error(404),
        "no user with id 999"
    );
    assert_eq!(
        server.get("/v2/users/abc").await.error(400),
        "user id must be an integer, not \"abc\""
    );
    // Malformed JSON.
    let response = server
        .send(
            Method::POST,
            "/v2/users",
            None,
            Some("{\"id\": 40,"),
            "application/json",
        )
        .await;
    let error = response.error(400);
    assert!(
        error.starts_with("invalid JSON body for API version 2"),
        "{error}"
    );
    let response = server
        .send(
            Method::POST,
            "/v1/users",
            None,
            Some(r#"{"id": 40, "email": "t@example.com"} trailing"#),
            "application/json",
        )
        .await;
    let error = response.error(400);
    assert!(error.contains("trailing characters"), "{error}");
    // Well-formed JSON of the wrong shape.
    let error = server
        .post("/v2/users", &json!({"id": 40}))
        .await
        .error(422);
    assert!(error.contains("missing field `email`"), "{error}");
    let error = server
        .post(
            "/v1/users",
            &json!({"id": "forty", "email": "x@example.com"}),
        )
        .await
        .error(422);
    assert!(error.contains("invalid type"), "{error}");
    // Not JSON at all.
    let response = server
        .send(
            Method::POST,
            "/v1/users",
            None,
            Some("id=40"),
            "application/x-www-form-urlencoded",
        )
        .await;
    response.error(415);
    // Conflicts and bad references, from the database.
    let error = server
        .post("/v1/users", &json!({"id": 7, "email": "other@example.com"}))
        .await
        .error(409);
    assert!(error.contains("(id)=(7)"), "{error}");
    let mut dangling = new_user(41, "dangling@example.com");
    dangling["org_id"] = json!(404);
    dangling["display_name"] = json!("D");
    let error = server.post("/v2/users", &dangling).await.error(422);
    assert!(error.contains("(org_id)=(404)"), "{error}");
    // Unknown paths and methods.
    assert_eq!(
        server.get("/v2/nothing").await.error(404),
        "no route for GET /v2/nothing"
    );
    assert_eq!(
        server.get("/nothing").await.error(404),
        "no route for GET /nothing"
    );
    let response = server
        .send(Method::DELETE, "/v2/users/7", None, None, "")
        .await;
    response.error(405);
}

#[tokio::test]
async fn each_table_serves_the_versions_it_has() {
    let server = seeded("tables").await;
    // Organisations end at version 2: later API versions get that shape.
    let org_v1 = json!({"id": 1, "slug": "acme", "name": "Acme"});
    let org_v2 = json!({"id": 1, "slug": "acme", "name": "Acme", "plan": "team"});
    assert_eq!(server.get("/v1/orgs/1").await.json(200), org_v1);
    assert_eq!(server.get("/api/orgs/1").await.json(200), org_v1);
    assert_eq!(server.get("/v2/orgs/1").await.json(200), org_v2);
    assert_eq!(server.get("/v5/orgs/1").await.json(200), org_v2);
    assert_eq!(server.get_with("/orgs/1", "4").await.json(200), org_v2);
    // Projects start at version 2.
    let error = server.get("/v1/projects/5").await.error(404);
    assert_eq!(
        error,
        "`projects` does not exist in version 1; it exists from version 2"
    );
    server.get("/projects/5").await.error(404);
    assert_eq!(
        server.get("/v2/projects/5").await.json(200),
        json!({"id": 5, "org_id": 1, "name": "Engine", "created_at": "2026-02-01T08:30:00Z"})
    );
    assert_eq!(
        server.get_with("/projects/5", "3").await.json(200),
        json!({
            "id": 5, "org_id": 1, "name": "Engine", "created_at": "2026-02-01T08:30:00Z",
            "owner_id": 7, "archived": false
        })
    );
}

#[tokio::test]
async fn each_version_serves_its_schema() {
    let server = seeded("openapi").await;
    let user = |doc: &Value| doc["components"]["schemas"]["User"].clone();
    let v4 = server.get("/v4/openapi.json").await.json(200);
    assert_eq!(v4["info"]["version"], "4");
    let props = &user(&v4)["properties"];
    assert!(props.get("name").is_some(), "{v4:#}");
    assert_eq!(props["display_name"]["deprecated"], true, "{v4:#}");
    let v5 = server.get_with("/openapi.json", "5").await.json(200);
    assert!(
        user(&v5)["properties"].get("display_name").is_none(),
        "{v5:#}"
    );
    assert_eq!(user(&v5)["required"].as_array().unwrap().len(), 4, "{v5:#}");
    let v1 = server.get("/v1/openapi.json").await.json(200);
    let v1_user = user(&v1);
    let mut names: Vec<&String> = v1_user["properties"].as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(names, ["email", "id"]);
}
