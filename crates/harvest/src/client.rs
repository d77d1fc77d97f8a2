//! HTTP for harvesting: every request with a time limit and a size limit; answers that are not
//! what was asked for (an error status, HTML, malformed JSON, a CKAN failure envelope) become
//! one readable message.

use std::time::Duration;

use serde_json::Value;

/// A fetched body and what the server said it is.
pub struct Fetched {
    pub status: u16,
    /// Lower case, without parameters; empty when absent.
    pub content_type: String,
    pub body: Vec<u8>,
}

pub struct Client {
    agent: ureq::Agent,
    max_bytes: u64,
    api_key: Option<String>,
}

impl Client {
    pub fn new(timeout: Duration, max_bytes: u64, api_key: Option<String>, user_agent: Option<&str>) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent(user_agent.unwrap_or(concat!("datahavn-harvest/", env!("CARGO_PKG_VERSION"))))
            .build()
            .into();
        Self { agent, max_bytes, api_key }
    }

    /// GETs a URL; any transport failure (refused, reset, timed out, too large) is an error.
    pub fn get(&self, url: &str, accept: &str) -> Result<Fetched, String> {
        let mut request = self.agent.get(url).header("Accept", accept);
        if let Some(key) = &self.api_key {
            request = request.header("Authorization", key);
        }
        let mut response = request.call().map_err(|e| format!("{url}: {e}"))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
            .unwrap_or_default();
        let body = response
            .body_mut()
            .with_config()
            .limit(self.max_bytes)
            .read_to_vec()
            .map_err(|e| format!("{url}: reading the answer: {e}"))?;
        Ok(Fetched { status, content_type, body })
    }

    /// Calls a remote CKAN action (GET, as ckanext-harvest does) and returns its `result`.
    pub fn action(&self, base: &str, action: &str, query: &[(&str, String)]) -> Result<Value, String> {
        let mut url = format!("{base}/api/3/action/{action}");
        for (i, (key, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(key);
            url.push('=');
            url.push_str(&percent_encoding::utf8_percent_encode(value, QUERY).to_string());
        }
        let fetched = self.get(&url, "application/json")?;
        let parsed: Value = serde_json::from_slice(&fetched.body).map_err(|e| {
            let kind = if fetched.content_type.is_empty() {
                "no content type".into()
            } else {
                fetched.content_type.clone()
            };
            format!("{action}: the remote answered {} with {kind}, not JSON ({e})", fetched.status)
        })?;
        if parsed.get("success") == Some(&Value::Bool(true)) {
            return parsed
                .get("result")
                .cloned()
                .ok_or_else(|| format!("{action}: the answer has no result"));
        }
        let message = parsed
            .get("error")
            .map(|e| e.get("message").and_then(Value::as_str).map_or_else(|| e.to_string(), str::to_owned))
            .unwrap_or_else(|| "not a CKAN answer".into());
        Err(format!("{action}: the remote answered {}: {message}", fetched.status))
    }
}

/// What a query value keeps unescaped.
const QUERY: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');
