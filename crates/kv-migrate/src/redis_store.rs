//! Redis through the `redis` crate: `SCAN` cursors for listing, and one pipeline (one round
//! trip) per batch for reads, writes and deletes.

use std::sync::Mutex;
use std::time::Duration;

use redis::{Client, Connection, ConnectionAddr, ConnectionLike, Value};

use crate::redact::redact;
use crate::store::{Batch, Entry, Page, PutMode, Store, StoreError};

/// How long connecting, and then any one round trip, may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Deletes KEYS[1] only while it holds ARGV[1], in one step on the server.
const DELETE_IF_VALUE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/// A Redis database. Holds a small pool of connections, one per concurrent worker.
pub struct RedisStore {
    client: Client,
    location: String,
    pool: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("location", &self.location)
            .finish()
    }
}

/// Escapes the glob characters of `SCAN ... MATCH`.
fn glob_escape(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('*');
    out
}

fn bytes(v: Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.into_bytes()),
        _ => None,
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://[user:password@]host[:port][/db]`, `rediss://` for TLS) and
    /// checks the server answers, so that a wrong address fails here with one clear message.
    /// No message shows the password.
    pub fn connect(url: &str) -> Result<RedisStore, StoreError> {
        // `rediss://`: rustls finds its provider here (a second call is a no-op).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::open(url)
            .map_err(|e| StoreError::store(redact(&format!("bad Redis URL `{url}`: {e}"))))?;
        let info = client.get_connection_info();
        let addr = match &info.addr {
            ConnectionAddr::Tcp(host, port) => format!("redis://{host}:{port}"),
            ConnectionAddr::TcpTls { host, port, .. } => format!("rediss://{host}:{port}"),
            ConnectionAddr::Unix(path) => format!("redis+unix://{}", path.display()),
        };
        let store = RedisStore {
            location: format!("{addr}/{}", info.redis.db),
            client,
            pool: Mutex::new(Vec::new()),
        };
        let mut con = store.open()?;
        redis::cmd("PING")
            .query::<String>(&mut con)
            .map_err(|e| store.fail(e))?;
        store.give_back(con);
        Ok(store)
    }

    fn fail(&self, e: redis::RedisError) -> StoreError {
        StoreError::store(format!("Redis at {}: {e}", self.location))
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let con = self
            .client
            .get_connection_with_timeout(TIMEOUT)
            .map_err(|e| {
                let hint = if e.is_timeout() && self.location.starts_with("rediss://") {
                    " (no TLS handshake: is the server plain redis://?)"
                } else {
                    ""
                };
                StoreError::store(format!(
                    "cannot connect to Redis at {}: {e}{hint}",
                    self.location
                ))
            })?;
        con.set_read_timeout(Some(TIMEOUT))
            .and_then(|()| con.set_write_timeout(Some(TIMEOUT)))
            .map_err(|e| self.fail(e))?;
        Ok(con)
    }

    fn give_back(&self, con: Connection) {
        if con.is_open() {
            self.pool
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(con);
        }
    }

    /// Runs `f` on a pooled connection; a connection that failed is dropped, not reused.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut con = match pooled {
            Some(c) => c,
            None => self.open()?,
        };
        match f(&mut con) {
            Ok(v) => {
                self.give_back(con);
                Ok(v)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Sends the commands as one pipeline and returns one reply per command; a command's server
    /// error (`WRONGTYPE`...) is its own reply, not a failure of the batch.
    fn pipeline(&self, pipe: &redis::Pipeline, count: usize) -> Result<Vec<Value>, StoreError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let packed = pipe.get_packed_pipeline();
        self.with(|con| con.req_packed_commands(&packed, 0, count))
    }

    fn key_error(key: &str, v: &Value) -> Option<StoreError> {
        match v {
            Value::ServerError(e) => Some(StoreError::key(
                key,
                format!("Redis: {} {}", e.code(), e.details().unwrap_or_default()),
            )),
            _ => None,
        }
    }
}

fn set_cmd<'a>(
    pipe: &'a mut redis::Pipeline,
    key: &str,
    entry: &Entry,
    mode: PutMode,
) -> &'a mut redis::Pipeline {
    pipe.cmd("SET").arg(key).arg(&entry.value[..]);
    if let Some(d) = entry.expires_in {
        pipe.arg("PX").arg(d.as_millis().max(1) as u64);
    }
    if mode == PutMode::IfAbsent {
        pipe.arg("NX");
    }
    pipe
}

impl Store for RedisStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn list(&self, prefix: &str, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        let (next, raw): (String, Vec<Vec<u8>>) = self.with(|con| {
            redis::cmd("SCAN")
                .arg(cursor.unwrap_or("0"))
                .arg("MATCH")
                .arg(glob_escape(prefix))
                .arg("COUNT")
                .arg(limit.max(1))
                .query(con)
        })?;
        let mut page = Page {
            cursor: (next != "0").then_some(next),
            ..Page::default()
        };
        for k in raw {
            match String::from_utf8(k) {
                Ok(k) => page.keys.push(k),
                Err(e) => page
                    .unreadable
                    .push(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            }
        }
        Ok(page)
    }

    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        self.get_many(&[key.to_owned()])?.remove(0)
    }

    fn put(&self, key: &str, entry: &Entry, mode: PutMode) -> Result<bool, StoreError> {
        self.put_many(&[(key.to_owned(), entry.clone())], mode)?
            .remove(0)
    }

    fn delete(&self, key: &str) -> Result<bool, StoreError> {
        self.delete_many(&[key.to_owned()])?.remove(0)
    }

    fn delete_if_value(&self, key: &str, value: &[u8]) -> Result<bool, StoreError> {
        self.delete_many_if_value(&[(key.to_owned(), value.to_vec())])?
            .remove(0)
    }

    /// `GET` and `PTTL` of every key in one round trip.
    fn get_many(&self, keys: &[String]) -> Batch<Option<Entry>> {
        let mut pipe = redis::pipe();
        for k in keys {
            pipe.cmd("GET").arg(k).cmd("PTTL").arg(k);
        }
        let replies = self.pipeline(&pipe, keys.len() * 2)?;
        let mut replies = replies.into_iter();
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let (Some(value), Some(ttl)) = (replies.next(), replies.next()) else {
                return Err(StoreError::store(format!(
                    "Redis at {}: short pipeline reply",
                    self.location
                )));
            };
            if let Some(e) = RedisStore::key_error(k, &value) {
                out.push(Err(e));
                continue;
            }
            let Some(value) = bytes(value) else {
                out.push(Ok(None));
                continue;
            };
            out.push(Ok(match ttl {
                Value::Int(ms) if ms > 0 => {
                    Some(Entry::expiring(value, Duration::from_millis(ms as u64)))
                }
                Value::Int(-1) => Some(Entry::new(value)),
                // Expired between the two commands: writing it without expiry would revive it.
                _ => None,
            }));
        }
        Ok(out)
    }

    fn put_many(&self, items: &[(String, Entry)], mode: PutMode) -> Batch<bool> {
        let mut pipe = redis::pipe();
        for (k, e) in items {
            set_cmd(&mut pipe, k, e, mode);
        }
        let replies = self.pipeline(&pipe, items.len())?;
        Ok(items
            .iter()
            .zip(replies)
            .map(|((k, _), v)| match v {
                Value::Nil => Ok(false),
                Value::Okay | Value::SimpleString(_) => Ok(true),
                other => Err(RedisStore::key_error(k, &other)
                    .unwrap_or_else(|| StoreError::key(k, format!("SET replied {other:?}")))),
            })
            .collect())
    }

    fn delete_many(&self, keys: &[String]) -> Batch<bool> {
        let mut pipe = redis::pipe();
        for k in keys {
            pipe.cmd("DEL").arg(k);
        }
        let replies = self.pipeline(&pipe, keys.len())?;
        Ok(keys
            .iter()
            .zip(replies)
            .map(|(k, v)| match v {
                Value::Int(n) => Ok(n > 0),
                other => Err(RedisStore::key_error(k, &other)
                    .unwrap_or_else(|| StoreError::key(k, format!("DEL replied {other:?}")))),
            })
            .collect())
    }

    fn delete_many_if_value(&self, items: &[(String, Vec<u8>)]) -> Batch<bool> {
        let mut pipe = redis::pipe();
        for (k, v) in items {
            pipe.cmd("EVAL")
                .arg(DELETE_IF_VALUE)
                .arg(1)
                .arg(k)
                .arg(&v[..]);
        }
        let replies = self.pipeline(&pipe, items.len())?;
        Ok(items
            .iter()
            .zip(replies)
            .map(|((k, _), v)| match v {
                Value::Int(n) => Ok(n > 0),
                other => Err(RedisStore::key_error(k, &other)
                    .unwrap_or_else(|| StoreError::key(k, format!("EVAL replied {other:?}")))),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::glob_escape;

    #[test]
    fn match_patterns_escape_globs() {
        assert_eq!(glob_escape("user:"), "user:*");
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\*");
    }
}
