//! The object-store adapter on a temporary directory (the local-filesystem backend of
//! `object_store`; S3-compatible stores go through the same code).

use std::time::Duration;

use kv_migrate::{
    Entry, MemoryStore, MigrateOptions, ObjectStoreKv, PutMode, Rewrite, Status, Store, StoreError,
    cleanup, migrate_keys, open_store, rollback, status,
};

fn put(s: &dyn Store, k: &str, v: &str) {
    assert!(
        s.put(k, &Entry::new(v.as_bytes()), PutMode::Overwrite)
            .unwrap()
    );
}

fn get(s: &dyn Store, k: &str) -> Option<String> {
    s.get(k)
        .unwrap()
        .map(|e| String::from_utf8(e.value).unwrap())
}

fn list_all(s: &dyn Store, prefix: &str, page: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let p = s.list(prefix, cursor.as_deref(), page).unwrap();
        assert!(p.keys.len() <= page);
        out.extend(p.keys);
        match p.cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

#[test]
fn get_put_delete_and_paged_listing() {
    let dir = tempfile::tempdir().unwrap();
    let s = ObjectStoreKv::local(dir.path()).unwrap();
    assert_eq!(
        s.location(),
        format!("file://{}", dir.path().canonicalize().unwrap().display())
    );
    for k in [
        "users/1/profile",
        "users/10/profile",
        "users/2/profile",
        "users/2/settings",
        "usersx",
        "user:1:profile",
    ] {
        put(&s, k, k);
    }
    assert!(
        dir.path().join("users/2/settings").is_file(),
        "one file per key"
    );
    assert_eq!(
        get(&s, "users/2/settings").as_deref(),
        Some("users/2/settings")
    );
    assert_eq!(get(&s, "users/3/profile"), None);

    // Prefixes that end inside a segment, and pages of every size.
    for page in 1..=4 {
        assert_eq!(
            list_all(&s, "users/1", page),
            ["users/1/profile", "users/10/profile"],
            "page size {page}"
        );
        assert_eq!(list_all(&s, "users", page).len(), 5);
        assert_eq!(list_all(&s, "", page).len(), 6);
        assert_eq!(list_all(&s, "user:", page), ["user:1:profile"]);
    }
    assert!(list_all(&s, "nothing/here", 3).is_empty());

    assert!(
        !s.put("usersx", &Entry::new("other"), PutMode::IfAbsent)
            .unwrap()
    );
    assert_eq!(get(&s, "usersx").as_deref(), Some("usersx"));
    assert!(
        s.put(
            "new",
            &Entry::expiring("v", Duration::from_secs(5)),
            PutMode::IfAbsent
        )
        .unwrap()
    );
    assert!(s.delete("new").unwrap());
    assert!(!s.delete("new").unwrap());
    assert!(!s.delete_if_value("usersx", b"other").unwrap());
    assert!(s.delete_if_value("usersx", b"usersx").unwrap());

    // A key that cannot be an object path fails alone.
    let e = s
        .put("a//b", &Entry::new("x"), PutMode::Overwrite)
        .unwrap_err();
    assert!(matches!(e, StoreError::Key { .. }), "{e}");
    let batch = s
        .get_many(&["users/1/profile".into(), "bad{key}".into()])
        .unwrap();
    assert!(batch[0].is_ok() && matches!(batch[1], Err(StoreError::Key { .. })));
}

#[test]
fn migrates_within_a_directory_with_state_beside_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let s = ObjectStoreKv::local(dir.path()).unwrap();
    for i in 0..300 {
        put(&s, &format!("user:{i}:profile"), &format!("v{i}"));
    }
    let rw = Rewrite::new("user:{id}:{rest}", "users/{id}/{rest}").unwrap();
    let mut o = MigrateOptions::new("dir", "user:");
    o.page_size = 40;
    o.concurrency = 3;
    o.retention = Some(Duration::ZERO);
    let r = migrate_keys(&s, &s, &rw, &o).unwrap();
    assert_eq!(
        (r.counts.scanned, r.counts.written, r.counts.failed),
        (300, 300, 0)
    );
    assert_eq!(get(&s, "users/299/profile").as_deref(), Some("v299"));
    assert!(dir.path().join("kv-migrate/dir/checkpoint").is_file());
    assert_eq!(list_all(&s, "users/", 1000).len(), 300);

    let c = cleanup(&s, &s, &rw, &o).unwrap();
    assert_eq!(c.deleted, 300);
    assert!(list_all(&s, "user:", 1000).is_empty());
    assert_eq!(list_all(&s, "users/", 1000).len(), 300);
}

#[test]
fn from_memory_into_a_directory_with_state_in_another_directory() {
    let data = tempfile::tempdir().unwrap();
    let state_dir = tempfile::tempdir().unwrap();
    let src = MemoryStore::new();
    for i in 0..50 {
        put(&src, &format!("user:{i}:avatar"), &format!("png{i}"));
    }
    let dst = open_store(data.path().to_str().unwrap(), true).unwrap();
    let state = open_store(&format!("file://{}", state_dir.path().display()), true).unwrap();
    let rw = Rewrite::new("user:{id}:{rest}", "users/{id}/{rest}").unwrap();
    let mut o = MigrateOptions::new("to-dir", "user:");
    o.state = Some(state.as_ref());
    o.page_size = 16;
    let r = migrate_keys(&src, dst.as_ref(), &rw, &o).unwrap();
    assert_eq!(r.counts.written, 50);
    assert!(
        state_dir
            .path()
            .join("kv-migrate/to-dir/checkpoint")
            .is_file()
    );
    assert!(!data.path().join("kv-migrate").exists());
    assert_eq!(
        status(dst.as_ref(), &o).unwrap().unwrap().status,
        Status::Complete
    );

    let rb = rollback(dst.as_ref(), &o).unwrap();
    assert_eq!(rb.deleted, 50);
    assert!(list_all(dst.as_ref(), "", 100).is_empty());
    assert_eq!(
        list_all(&src, "user:", 100).len(),
        50,
        "the source is untouched"
    );
}

#[test]
fn opening_stores_by_name() {
    let e = open_store("/definitely/not/here", false)
        .err()
        .expect("refused")
        .to_string();
    assert_eq!(e, "/definitely/not/here: no such directory");
    let e = open_store("s3://bucket", false)
        .err()
        .expect("refused")
        .to_string();
    assert!(e.starts_with("unsupported store `s3://bucket`"), "{e}");
}
