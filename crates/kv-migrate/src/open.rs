//! Opening a store from the text a user gives on a command line.

use std::path::Path;

use crate::error::Error;
use crate::object::ObjectStoreKv;
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
                "unsupported store `{spec}`: use redis://HOST[:PORT][/DB], or a directory (a path or file:///PATH)"
            )));
        }
        None => spec,
    };
    if dir.is_empty() {
        return Err(Error::Invalid(
            "empty store: use redis://HOST[:PORT][/DB] or a directory".into(),
        ));
    }
    let path = Path::new(dir);
    if !create && !path.is_dir() {
        return Err(Error::Invalid(format!(
            "{}: no such directory",
            path.display()
        )));
    }
    Ok(Box::new(ObjectStoreKv::local(path)?))
}
