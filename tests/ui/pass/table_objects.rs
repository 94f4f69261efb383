use schema_core::{ObjectKind, Versioned};
use schema_macros::versioned;

// Struct-level indexes and constraints, beside other attributes: the attributes are consumed,
// the per-version types are the same as without them, and the history the generator reads
// holds each with its life.
#[versioned(table = "orders", version = 3)]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[index(columns(customer_id, created_at), since = 2)]
#[index(expr = "lower(email)", unique, since = 3, name = "orders_email_ci")]
#[unique(columns(customer_id, email), since = 2, until = 3)]
#[check(expr = "total_cents >= 0")]
#[foreign_key(columns(customer_id), references = "customers(id)", on_delete = "cascade", since = 2)]
pub struct Order {
    #[col(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    pub email: String,
    pub total_cents: i64,
    pub created_at: i64,
}

fn main() {
    let v1 = OrderV1 { id: 1, customer_id: 2, email: "a@b".into(), total_cents: 3, created_at: 4 };
    let latest: Order = OrderV3::from(OrderV2::from(v1.clone()));
    assert_eq!(OrderV1::from(OrderV2::from(latest)), v1);

    let history = <Order as Versioned>::history();
    assert_eq!(history.objects.len(), 5);
    let v2 = history.model_at(2).unwrap();
    assert_eq!(v2.indexes.len(), 2);
    assert_eq!(v2.indexes[0].name, "orders_customer_id_created_at_idx");
    assert_eq!(v2.foreign_keys[0].on_delete.as_deref(), Some("cascade"));
    let v3 = history.model_at(3).unwrap();
    assert!(v3.indexes.iter().any(|i| i.name == "orders_email_ci" && i.unique_index));
    assert!(!v3.indexes.iter().any(|i| i.unique));
    assert!(matches!(history.objects[3].kind, ObjectKind::Check(_)));
    assert_eq!(v3.checks[0].name, "orders_total_cents_0_check");
}
