//! Log lines on stderr (`env_logger`, `RUST_LOG`, default `info`): readable text, or one JSON
//! object a line. Either way a line written while a request is handled carries its request id.

use std::io::Write;

/// Installs the logger; `json` picks one JSON object per line.
pub fn init(json: bool) {
    let mut builder = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if json {
        builder.format(|buf, record| {
            let mut line = serde_json::Map::new();
            line.insert("time".into(), buf.timestamp_millis().to_string().into());
            line.insert("level".into(), record.level().as_str().into());
            line.insert("target".into(), record.target().into());
            line.insert("message".into(), record.args().to_string().into());
            if let Some(id) = datahavn_http::current_request_id() {
                line.insert("request_id".into(), id.as_ref().into());
            }
            writeln!(buf, "{}", serde_json::Value::Object(line))
        });
    } else {
        builder.format(|buf, record| {
            let style = buf.default_level_style(record.level());
            write!(buf, "[{} {style}{:<5}{style:#} {}", buf.timestamp(), record.level(), record.target())?;
            if let Some(id) = datahavn_http::current_request_id() {
                write!(buf, " {id}")?;
            }
            writeln!(buf, "] {}", record.args())
        });
    }
    builder.init();
}
