use schema_core::Versioned;
use schema_macros::versioned;

// Each version's type knows its table's name: the old one before the rename.
#[versioned(table = "members", version = 2, renamed_from = "players", renamed_at = 2)]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    #[col(primary_key)]
    pub id: i64,
    pub nick: String,
}

fn main() {
    assert_eq!(<MemberV1 as Versioned>::TABLE, "players");
    assert_eq!(<MemberV2 as Versioned>::TABLE, "members");
    assert_eq!(<Member as Versioned>::TABLE, "members");
}
