//! `cargo run -p example-api-server`: serves the example API on `BIND` (default
//! `127.0.0.1:3000`) over the database `DATABASE_URL` (default
//! `host=127.0.0.1 user=postgres dbname=example`), whose tables come from
//! `examples/service/sql`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "host=127.0.0.1 user=postgres dbname=example".into());
    let db = match example_api_server::connect(&url).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("error: cannot connect to {url}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(&bind).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {bind}: {e}");
            return ExitCode::FAILURE;
        }
    };
    example_api_server::install_metrics();
    println!("serving API versions 1 to 5 on http://{bind}");
    let app =
        example_api_server::app(db).into_make_service_with_connect_info::<std::net::SocketAddr>();
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
