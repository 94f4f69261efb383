//! Opening a store from the text a user gives on a command line.

use std::path::Path;

use crate::error::Error;
use crate::object::ObjectStoreKv;
use crate::redact::redact;
use crate::redis_store::RedisStore;
use crate::store::Store;

/// `redis://host[:port][/db]` (also `rediss://`, `redis+unix://`), or a directory:
/// `file:///abs/path` or a plain path. A directory must exist unless `create` is set.
pub fn open_store(spec: &str, create: bool) -> Result<Box<dyn Store>, Error> {
    let spec = spec.trim();
    if spec.starts_with("redis://")
        || spec.starts_with("rediss://")
        || spec.starts_with("redis+unix://")
    {
        return Ok(Box::new(RedisStore::connect(spec)?));
    }
    let dir = match spec.strip_prefix("file://") {
        Some(p) => p,
        None if spec.contains("://") => {
            return Err(Error::Invalid(format!(
                "unsupported store `{}`: use redis://HOST[:PORT][/DB], or a directory (a path or file:///PATH)",
                redact(spec)
            )));
        }
        None => spec,
    };
    if let Some(scheme) = misspelt_url(spec) {
        // Not echoed: a URL whose `://` is mistyped cannot be told where its password is.
        return Err(Error::Invalid(format!(
            "`{scheme}...` is not a URL (no `://`) and no such directory: use redis://HOST[:PORT][/DB], or a directory (a path or file:///PATH)"
        )));
    }
    if dir.is_empty() {
        return Err(Error::Invalid(
            "empty store: use redis://HOST[:PORT][/DB] or a directory".into(),
        ));
    }
    let path = Path::new(dir);
    if !create && !path.is_dir() {
        return Err(Error::Invalid(format!(
            "{}: no such directory",
            redact(&path.display().to_string())
        )));
    }
    Ok(Box::new(ObjectStoreKv::local(path)?))
}

/// The scheme of `redis:/host`, `redis//host`, `rediss:host`...: a store name that starts like a
/// URL scheme but has no `://`, and is no existing path.
fn misspelt_url(spec: &str) -> Option<&str> {
    let end = spec.find([':', '/'])?;
    let (scheme, rest) = spec.split_at(end);
    if !(rest.starts_with(':') || rest.starts_with("//")) {
        return None;
    }
    let known = [
        "redis",
        "rediss",
        "redis+unix",
        "file",
        "unix",
        "valkey",
        "valkeys",
    ];
    (!spec.contains("://")
        && known.iter().any(|k| k.eq_ignore_ascii_case(scheme))
        && !Path::new(spec).exists())
    .then_some(scheme)
}
