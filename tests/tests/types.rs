//! The per-version types that `#[versioned]` generates, at run time: their fields, their
//! conversions, their constants and their table models.

use schema_core::{AnyVersion, IntoVersion, TableModel, Versioned};
use schema_macros::versioned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Customer accounts.
#[versioned(table = "accounts", version = 4, schema = "billing")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    #[col(primary_key)]
    pub id: i64,
    #[col(unique)]
    pub email: String,
    /// Shown in the dashboard.
    #[col(renamed_from = "name", renamed_at = 3)]
    pub full_name: Option<String>,
    #[col(since = 2, index, references = "plans(id)")]
    pub plan_id: Option<i64>,
    #[col(until = 3)]
    pub nickname: Option<String>,
    #[col(since = 4, default = "0", check = "logins >= 0")]
    #[serde(default)]
    pub logins: i32,
}

/// A table dropped at version 3 of its struct: its types are versions 1 and 2, `Coupon` the
/// last shape its rows had.
#[versioned(table = "coupons", version = 4, until = 3)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coupon {
    #[col(primary_key)]
    pub code: String,
    #[col(since = 2)]
    pub percent: Option<i32>,
}

/// A table created at version 2 of its struct.
#[versioned(table = "sessions", version = 3, since = 2)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Session {
    #[col(primary_key, sql_type = "varchar(64)")]
    pub token: String,
    #[col(references = "billing.accounts(id)")]
    pub account_id: i64,
    #[col(since = 3)]
    pub(crate) user_agent: Option<String>,
}

fn v1() -> AccountV1 {
    AccountV1 {
        id: 1,
        email: "ada@example.com".to_owned(),
        name: Some("Ada".to_owned()),
        nickname: Some("countess".to_owned()),
    }
}

fn keys(value: &impl Serialize) -> Vec<String> {
    match serde_json::to_value(value).unwrap() {
        Value::Object(map) => map.keys().cloned().collect(),
        other => panic!("not an object: {other}"),
    }
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    names.sort();
    names
}

/// Whether `$to: From<$from>`, decided at compile time by autoref specialization: the
/// method of [`Converts`] applies only when the bound holds, else the one of [`NoConversion`].
macro_rules! converts {
    ($from:ty => $to:ty) => {
        (&Probe::<$from, $to>(std::marker::PhantomData)).converts()
    };
}

struct Probe<A, B>(std::marker::PhantomData<(A, B)>);

trait Converts {
    fn converts(&self) -> bool {
        true
    }
}

impl<A, B: From<A>> Converts for Probe<A, B> {}

trait NoConversion {
    fn converts(&self) -> bool {
        false
    }
}

impl<A, B> NoConversion for &Probe<A, B> {}

fn column_names(model: &TableModel) -> Vec<&str> {
    model.columns.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn each_version_serializes_its_own_fields() {
    let v2: AccountV2 = v1().into();
    let v3: AccountV3 = v2.clone().into();
    let v4: Account = Account {
        id: 1,
        email: "ada@example.com".to_owned(),
        full_name: None,
        plan_id: None,
        logins: 3,
    };
    assert_eq!(keys(&v1()), sorted(&["id", "email", "name", "nickname"]));
    assert_eq!(
        keys(&v2),
        sorted(&["id", "email", "name", "plan_id", "nickname"])
    );
    assert_eq!(keys(&v3), sorted(&["id", "email", "full_name", "plan_id"]));
    assert_eq!(
        keys(&v4),
        sorted(&["id", "email", "full_name", "plan_id", "logins"])
    );
}

#[test]
fn each_version_round_trips_through_json() {
    let v1 = v1();
    let v2: AccountV2 = v1.clone().into();
    let v3: AccountV3 = v2.clone().into();
    assert_eq!(
        serde_json::from_value::<AccountV1>(serde_json::to_value(&v1).unwrap()).unwrap(),
        v1
    );
    assert_eq!(
        serde_json::from_value::<AccountV2>(serde_json::to_value(&v2).unwrap()).unwrap(),
        v2
    );
    assert_eq!(
        serde_json::from_value::<AccountV3>(serde_json::to_value(&v3).unwrap()).unwrap(),
        v3
    );
    // The field attributes of the original are kept: `logins` defaults when absent.
    let latest: Account = serde_json::from_value(json!({
        "id": 2, "email": "b@example.com", "full_name": null, "plan_id": 7
    }))
    .unwrap();
    assert_eq!(latest.logins, 0);
}

#[test]
fn upgrades_carry_values_and_fill_new_options_with_none() {
    let v2: AccountV2 = v1().into();
    assert_eq!(
        v2,
        AccountV2 {
            id: 1,
            email: "ada@example.com".to_owned(),
            name: Some("Ada".to_owned()),
            plan_id: None,
            nickname: Some("countess".to_owned()),
        }
    );
    let mut v2 = v2;
    v2.plan_id = Some(9);
    // The rename at 3 carries `name` into `full_name`; `nickname` is gone.
    let v3: AccountV3 = v2.into();
    assert_eq!(
        v3,
        AccountV3 {
            id: 1,
            email: "ada@example.com".to_owned(),
            full_name: Some("Ada".to_owned()),
            plan_id: Some(9),
        }
    );
}

#[test]
fn downgrades_drop_new_fields_and_bring_back_removed_ones_as_none() {
    let latest = Account {
        id: 5,
        email: "e@example.com".to_owned(),
        full_name: Some("Eve".to_owned()),
        plan_id: Some(2),
        logins: 12,
    };
    let v3: AccountV3 = latest.into();
    assert_eq!(v3.full_name.as_deref(), Some("Eve"));
    let v2: AccountV2 = v3.into();
    assert_eq!(
        v2,
        AccountV2 {
            id: 5,
            email: "e@example.com".to_owned(),
            name: Some("Eve".to_owned()),
            plan_id: Some(2),
            nickname: None,
        }
    );
    let v1: AccountV1 = v2.into();
    assert_eq!(
        v1,
        AccountV1 {
            id: 5,
            email: "e@example.com".to_owned(),
            name: Some("Eve".to_owned()),
            nickname: None,
        }
    );
}

#[test]
fn a_table_created_later_has_types_from_its_first_version() {
    let v2 = SessionV2 {
        token: "t".to_owned(),
        account_id: 1,
    };
    let latest: Session = v2.clone().into();
    assert_eq!(latest.user_agent, None);
    let back: SessionV2 = latest.into();
    assert_eq!(back, v2);
    assert_eq!((SessionV2::VERSION, Session::VERSION), (2, 3));
    let latest_alias: SessionV3 = Session {
        token: "u".to_owned(),
        account_id: 2,
        user_agent: None,
    };
    assert_eq!(latest_alias.token, "u");
}

#[test]
fn conversions_exist_only_where_they_can_be_derived() {
    assert!(converts!(AccountV1 => AccountV2));
    assert!(converts!(AccountV2 => AccountV3));
    // `logins` is a new NOT NULL field at 4, filled by its Rust-side (serde) default.
    assert!(converts!(AccountV3 => Account));
    assert!(converts!(Account => AccountV3));
    assert!(converts!(AccountV3 => AccountV2));
    assert!(converts!(AccountV2 => AccountV1));
    // Only neighbours convert.
    assert!(!converts!(AccountV1 => AccountV3));
}

#[test]
fn versions_and_table_are_constants() {
    assert_eq!(AccountV1::VERSION, 1);
    assert_eq!(AccountV2::VERSION, 2);
    assert_eq!(AccountV3::VERSION, 3);
    assert_eq!(Account::VERSION, 4);
    assert_eq!(AccountV4::VERSION, 4);
    assert_eq!(<AccountV2 as Versioned>::VERSION, 2);
    assert_eq!(<AccountV1 as Versioned>::LATEST, 4);
    assert_eq!(<Account as Versioned>::LATEST, 4);
    assert_eq!(<AccountV1 as Versioned>::TABLE, "accounts");
    assert_eq!(<Session as Versioned>::TABLE, "sessions");
}

#[test]
fn each_version_has_its_table_model() {
    let v1 = AccountV1::table_model();
    assert_eq!(
        (v1.schema.as_str(), v1.name.as_str(), v1.version),
        ("billing", "accounts", 1)
    );
    assert_eq!(column_names(&v1), ["id", "email", "name", "nickname"]);
    assert_eq!(v1.primary_key, ["id"]);
    assert!(v1.foreign_keys.is_empty());

    let v2 = AccountV2::table_model();
    assert_eq!(
        column_names(&v2),
        ["id", "email", "name", "plan_id", "nickname"]
    );
    assert_eq!(v2.foreign_keys.len(), 1);
    assert_eq!(
        (
            v2.foreign_keys[0].ref_schema.as_str(),
            v2.foreign_keys[0].ref_table.as_str()
        ),
        ("billing", "plans")
    );
    let indexed: Vec<(&str, bool)> = v2
        .indexes
        .iter()
        .map(|i| (i.columns[0].as_str(), i.unique))
        .collect();
    assert_eq!(indexed, [("email", true), ("plan_id", false)]);

    assert_eq!(
        column_names(&AccountV3::table_model()),
        ["id", "email", "full_name", "plan_id"]
    );

    let v4 = Account::table_model();
    assert_eq!(
        column_names(&v4),
        ["id", "email", "full_name", "plan_id", "logins"]
    );
    let logins = v4.column("logins").unwrap();
    assert_eq!(
        (logins.sql_type.as_str(), logins.nullable),
        ("integer", false)
    );
    assert_eq!(logins.default.as_deref(), Some("0"));
    assert_eq!(v4.checks.len(), 1);
    assert_eq!(v4.checks[0].expr, "logins >= 0");

    let session = SessionV2::table_model();
    assert_eq!(column_names(&session), ["token", "account_id"]);
    assert_eq!(session.column("token").unwrap().sql_type, "varchar(64)");
    assert_eq!(
        column_names(&Session::table_model()),
        ["token", "account_id", "user_agent"]
    );
}

#[test]
fn every_version_shares_the_whole_history() {
    let history = Account::history();
    assert_eq!(AccountV1::history(), history);
    assert_eq!((history.since, history.version), (1, 4));
    assert_eq!(history.rust_name, "Account");
    let full_name = history
        .fields
        .iter()
        .find(|f| f.column == "full_name")
        .unwrap();
    assert_eq!(full_name.renamed_from, Some(("name".to_owned(), 3)));
    let nickname = history
        .fields
        .iter()
        .find(|f| f.column == "nickname")
        .unwrap();
    assert_eq!((nickname.since, nickname.until), (1, Some(3)));
    for v in history.versions() {
        assert_eq!(history.model_at(v).unwrap().version, v);
    }
    assert_eq!(Session::history().versions(), 2..=3);
}

#[test]
fn chains_convert_across_several_versions() {
    // 1 -> 2 -> 3 (the rename) -> 4 (`logins` from its serde default).
    let latest: Account = v1().into_version();
    assert_eq!(
        latest,
        Account {
            id: 1,
            email: "ada@example.com".to_owned(),
            full_name: Some("Ada".to_owned()),
            plan_id: None,
            logins: 0,
        }
    );
    let back = latest.into_version::<AccountV1>();
    assert_eq!(back.name.as_deref(), Some("Ada"));
    assert_eq!(back.nickname, None);
    // Each version converts to itself, and generic code goes through the trait.
    fn convert<A: IntoVersion<B>, B>(a: A) -> B {
        a.into_version()
    }
    assert_eq!(convert::<_, AccountV1>(v1()), v1());
    assert_eq!(
        convert::<_, AccountV3>(v1()).full_name.as_deref(),
        Some("Ada")
    );
}

#[test]
fn any_version_holds_each_version_and_converts_to_and_from_the_latest() {
    let any = AccountAny::from(v1());
    assert_eq!(any.version(), 1);
    assert_eq!(any.into_latest().full_name.as_deref(), Some("Ada"));
    let latest = Account {
        id: 9,
        email: "z@example.com".to_owned(),
        full_name: None,
        plan_id: Some(1),
        logins: 4,
    };
    for api in 1..=4 {
        let any = AccountAny::from_latest(latest.clone(), api).unwrap();
        assert_eq!(any.version(), api);
        assert_eq!(any.into_latest().email, "z@example.com");
    }
    // API versions above the table's latest get the latest.
    assert_eq!(
        AccountAny::from_latest(latest.clone(), 7).unwrap(),
        AccountAny::V4(latest)
    );
    // A table created at version 2 does not exist in version 1.
    let session = Session {
        token: "t".to_owned(),
        account_id: 1,
        user_agent: None,
    };
    let error = SessionAny::from_latest(session.clone(), 1).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`sessions` does not exist in version 1; it exists from version 2"
    );
    assert_eq!(error.versions, 2..=3);
    assert!(matches!(
        SessionAny::from_latest(session, 2),
        Ok(SessionAny::V2(_))
    ));
    assert_eq!(<SessionAny as AnyVersion>::type_version(2), Ok(2));
    assert_eq!(<SessionV2 as Versioned>::SINCE, 2);
}

/// Type changes at version 2: a lossless widening, a narrowing with functions both ways, and
/// a column whose SQL type alone changes.
#[versioned(table = "orders", version = 2)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    #[col(primary_key)]
    pub id: i64,
    #[col(retyped_at = 2, old_type = "Option<i32>")]
    pub quantity: Option<i64>,
    #[col(
        retyped_at = 2,
        old_type = "f64",
        old_sql_type = "double precision",
        using = "round(cents)::bigint",
        reverse = "cents::double precision",
        upgrade_with = "|o: &OrderV1| o.cents.round() as i64",
        downgrade_with = "|o: &Order| o.cents as f64"
    )]
    pub cents: i64,
    #[col(
        sql_type = "varchar(200)",
        retyped_at = 2,
        old_sql_type = "varchar(80)"
    )]
    pub code: String,
}

#[test]
fn a_retyped_field_has_its_old_type_before_the_change() {
    let v1 = OrderV1 {
        id: 1,
        quantity: Some(7_i32),
        cents: 12.6_f64,
        code: "a".into(),
    };
    let v2: Order = v1.clone().into();
    assert_eq!(
        v2,
        Order {
            id: 1,
            quantity: Some(7_i64),
            cents: 13,
            code: "a".into()
        }
    );
    // i64 to i32 is no lossless `From`, and `quantity` has no downgrade_with: no downgrade.
    assert!(!converts!(Order => OrderV1));
    assert!(converts!(OrderV1 => Order));
    let m1 = OrderV1::table_model();
    let m2 = Order::table_model();
    let types =
        |m: &TableModel| -> Vec<String> { m.columns.iter().map(|c| c.sql_type.clone()).collect() };
    assert_eq!(
        types(&m1),
        ["bigint", "integer", "double precision", "varchar(80)"]
    );
    assert_eq!(types(&m2), ["bigint", "bigint", "bigint", "varchar(200)"]);
    let change = m2.columns[2].retyped_from.as_ref().unwrap();
    assert_eq!(change.from, "double precision");
    assert_eq!(change.using.as_deref(), Some("round(cents)::bigint"));
    assert_eq!(Order::search_path(), "\"public_v2\", \"public\"");
    assert_eq!(OrderV1::search_path(), "\"public_v1\", \"public\"");
}

#[test]
fn a_dropped_table_has_the_types_of_the_versions_that_have_it() {
    let latest = Coupon {
        code: "SPRING".to_owned(),
        percent: Some(10),
    };
    let alias: CouponV2 = latest.clone();
    assert_eq!(Coupon::VERSION, 2);
    assert_eq!(<CouponV1 as Versioned>::LATEST, 2);
    assert_eq!(<Coupon as Versioned>::UNTIL, Some(3));
    assert_eq!(<Account as Versioned>::UNTIL, None);
    assert_eq!(column_names(&Coupon::table_model()), ["code", "percent"]);
    let history = Coupon::history();
    assert_eq!((history.version, history.until), (4, Some(3)));
    assert_eq!(history.versions(), 1..=2);
    assert_eq!(history.model_at(3), None);
    assert_eq!(
        CouponAny::from_latest(alias, 1).unwrap(),
        CouponAny::V1(CouponV1 {
            code: "SPRING".to_owned()
        })
    );
    // From the version that drops it on, the table is in no API version.
    assert_eq!(<CouponAny as AnyVersion>::type_version(2), Ok(2));
    for api in [3, 4, 9] {
        let error = CouponAny::from_latest(latest.clone(), api).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "`coupons` does not exist in version {api}; it exists in versions 1 to 2 and is dropped at version 3"
            )
        );
    }
}

/// An article whose raw SQL step reads its statements from files of this crate (relative to
/// `CARGO_MANIFEST_DIR`): the history the type carries holds their text, the same that
/// `generate` reads.
#[versioned(table = "articles", version = 2)]
#[raw_sql(
    at = 2,
    up_file = "fixtures/sql/article_slug.sql",
    down_file = "fixtures/sql/article_slug.down.sql"
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    #[col(primary_key)]
    pub id: i64,
    pub title: String,
}

#[test]
fn raw_sql_files_are_read_relative_to_the_crate() {
    let history = Article::history();
    let step = &history.raw_sql[0];
    assert_eq!(step.at, 2);
    assert_eq!(
        step.up_file.as_deref(),
        Some("fixtures/sql/article_slug.sql")
    );
    assert!(
        step.up
            .contains("CREATE FUNCTION public.article_slug(title text) RETURNS text"),
        "{}",
        step.up
    );
    assert!(
        step.down
            .as_deref()
            .unwrap()
            .contains("DROP FUNCTION IF EXISTS")
    );
    let from_source = migrate_gen::source::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/types.rs"),
    )
    .unwrap();
    let generated = from_source.iter().find(|h| h.table == "articles").unwrap();
    assert_eq!(generated.raw_sql, history.raw_sql);
}
