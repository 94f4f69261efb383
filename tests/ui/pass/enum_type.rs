use schema_core::{PgEnum, Versioned as _};
use schema_macros::versioned;
use serde::{Deserialize, Serialize};

// A versioned enum: one Rust enum per version, serde reading and writing the database labels,
// conversions between versions, and a struct's field of it mapped to its type.
#[versioned(enum_type = "order_status", version = 3)]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum OrderStatus {
    Pending,
    Paid,
    #[variant(since = 2)]
    Shipped,
    #[variant(since = 3, label = "on_the_way")]
    InTransit,
}

#[versioned(table = "orders", version = 2)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    #[col(primary_key)]
    pub id: i64,
    pub status: OrderStatus,
    #[col(since = 2)]
    pub previous: Option<OrderStatus>,
}

fn main() {
    assert_eq!(OrderStatusV1::LABELS, ["pending", "paid"]);
    assert_eq!(OrderStatus::LABELS, ["pending", "paid", "shipped", "on_the_way"]);
    assert_eq!(<OrderStatusV3 as PgEnum>::SQL_TYPE, "public.order_status");
    assert_eq!(OrderStatus::InTransit.label(), "on_the_way");
    assert_eq!(
        serde_json::to_string(&OrderStatus::InTransit).unwrap(),
        "\"on_the_way\""
    );
    let read: OrderStatus = serde_json::from_str("\"shipped\"").unwrap();
    assert_eq!(read, OrderStatus::Shipped);
    assert!(serde_json::from_str::<OrderStatus>("\"InTransit\"").is_err());
    // Upgrades always work; a downgrade refuses a label the older version lacks.
    let v2: OrderStatusV2 = OrderStatusV1::Paid.into();
    assert_eq!(v2, OrderStatusV2::Paid);
    assert_eq!(OrderStatusV1::try_from(OrderStatusV2::Paid), Ok(OrderStatusV1::Paid));
    let err = OrderStatusV2::try_from(OrderStatus::InTransit).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the label `on_the_way` of public.order_status does not exist at version 2"
    );
    // The table's history knows the column's type.
    let history = Order::history();
    assert_eq!(history.fields[1].sql_type, "public.order_status");
    assert_eq!(Order::table_model().column("previous").unwrap().sql_type, "public.order_status");
}
