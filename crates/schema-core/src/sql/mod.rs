//! The SQL layer, below the planner: quoting, the statements sea-query can build
//! ([`statements`]), the hand-written ones, the verification blocks and the batched walk
//! ([`raw`]). Nothing here knows about change kinds, phases or files.

pub mod enums;
pub mod raw;
pub mod statements;
