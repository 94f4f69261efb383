//! The rows in PostgreSQL, through the version of each table that the database has.

use schema_core::Versioned;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Row};

use crate::model::{Org, Project, User, UserRow};

/// What a query can fail with, as the API reports it.
#[derive(Debug)]
pub enum DbError {
    /// A unique key is taken.
    Conflict(String),
    /// A foreign key points at nothing.
    BadReference(String),
    Other(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        let message = e
            .as_db_error()
            .map(|d| d.detail().unwrap_or(d.message()).to_owned());
        match (e.code(), message) {
            (Some(&SqlState::UNIQUE_VIOLATION), Some(m)) => DbError::Conflict(m),
            (Some(&SqlState::FOREIGN_KEY_VIOLATION), Some(m)) => DbError::BadReference(m),
            _ => DbError::Other(e),
        }
    }
}

/// `"id", "email", ...`: the columns of a table at the type's version.
fn columns<T: Versioned>() -> String {
    T::table_model()
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn user_row(row: &Row) -> UserRow {
    UserRow {
        id: row.get("id"),
        email: row.get("email"),
        display_name: row.get("display_name"),
        created_at: row.get("created_at"),
        org_id: row.get("org_id"),
        username: row.get("username"),
        login_count: row.get("login_count"),
    }
}

pub async fn user(db: &Client, id: i64) -> Result<Option<User>, DbError> {
    let sql = format!("SELECT {} FROM users WHERE id = $1", columns::<UserRow>());
    let row = db.query_opt(&sql, &[&id]).await?;
    Ok(row.map(|r| user_row(&r).into_version()))
}

pub async fn insert_user(db: &Client, user: User) -> Result<User, DbError> {
    let row: UserRow = user.into_version();
    let sql = format!(
        "INSERT INTO users ({cols}) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {cols}",
        cols = columns::<UserRow>()
    );
    let inserted = db
        .query_one(
            &sql,
            &[
                &row.id,
                &row.email,
                &row.display_name,
                &row.created_at,
                &row.org_id,
                &row.username,
                &row.login_count,
            ],
        )
        .await?;
    Ok(user_row(&inserted).into_version())
}

pub async fn org(db: &Client, id: i64) -> Result<Option<Org>, DbError> {
    let sql = format!("SELECT {} FROM orgs WHERE id = $1", columns::<Org>());
    let row = db.query_opt(&sql, &[&id]).await?;
    Ok(row.map(|r| Org {
        id: r.get("id"),
        slug: r.get("slug"),
        name: r.get("name"),
        plan: r.get("plan"),
    }))
}

pub async fn project(db: &Client, id: i64) -> Result<Option<Project>, DbError> {
    let sql = format!(
        "SELECT {} FROM projects WHERE id = $1",
        columns::<Project>()
    );
    let row = db.query_opt(&sql, &[&id]).await?;
    Ok(row.map(|r| Project {
        id: r.get("id"),
        org_id: r.get("org_id"),
        name: r.get("name"),
        created_at: r.get("created_at"),
        owner_id: r.get("owner_id"),
        archived: r.get("archived"),
    }))
}
