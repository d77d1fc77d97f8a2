//! The machine's limit for `bench/run.sh`: a bare actix-web server that answers every GET, on
//! any path, with the same fixed bytes (the body of one `package_show` of datahavn, read from a
//! file once at start) as `Content-Type: application/json`, on 2 workers. No routing, no
//! middleware, no database: what HTTP on this machine costs for a response of that size.
//!
//!     limit BODY_FILE [BIND]        (BIND default 127.0.0.1:5090)
//!
//! Built as `cargo build --release --example limit`.

use actix_web::http::Method;
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: limit BODY_FILE [BIND]");
        std::process::exit(2);
    };
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:5090".to_owned());
    let body = Bytes::from(std::fs::read(&file)?);
    HttpServer::new(move || {
        let body = body.clone();
        App::new().default_service(web::to(move |request: HttpRequest| {
            let body = body.clone();
            async move {
                if request.method() == Method::GET {
                    HttpResponse::Ok().content_type("application/json").body(body)
                } else {
                    HttpResponse::MethodNotAllowed().finish()
                }
            }
        }))
    })
    .workers(2)
    .bind(bind)?
    .run()
    .await
}
