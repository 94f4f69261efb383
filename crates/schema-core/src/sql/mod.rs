//! The SQL layer, below the planner: quoting ([`quote`]), the statements sea-query can build
//! ([`statements`]), the hand-written ones, the verification blocks and the batched walk
//! ([`raw`]), and the definitions of indexes and constraints ([`objects`]). Nothing here knows about change kinds, phases or files.

pub mod enums;
pub mod objects;
pub mod quote;
pub mod raw;
pub mod statements;
