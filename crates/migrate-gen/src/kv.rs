//! `migrate-gen kv ...`: key-format migrations of key-value stores (see `kv-migrate`).

use clap::Args;

use crate::Error;

#[derive(Args, Debug)]
pub struct KvCmd {}

pub fn run(_cmd: KvCmd) -> Result<String, Error> {
    Err(Error::msg("`migrate-gen kv` is not built yet"))
}
