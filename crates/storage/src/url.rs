//! Database URLs with an explicit scheme: `sqlite://PATH` or `postgres://...`.

use std::path::PathBuf;

use crate::StorageError;

/// Which database a URL names. Anything but these two schemes is refused, so a typo never
/// silently creates a SQLite file.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, StorageError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StorageError::BadUrl("sqlite:// needs a file path".into()));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let scheme = url.split_once("://").map_or(url, |(scheme, _)| scheme);
        Err(StorageError::BadUrl(format!(
            "unsupported database URL scheme {scheme:?}: use sqlite://PATH or postgres://USER@HOST/DB"
        )))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgresql",
        }
    }

    /// The URL for connecting (with the password).
    pub(crate) fn connect_string(&self) -> String {
        match self {
            Self::Sqlite(path) => path.to_string_lossy().into_owned(),
            Self::Postgres(url) if is_loopback(url) && !url.contains("sslmode=") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}sslmode=disable")
            }
            Self::Postgres(url) => url.clone(),
        }
    }

    /// The URL as it may be shown in logs and errors: any password replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => redact_password(url),
        }
    }
}

/// Whether a PostgreSQL URL names this machine, where encrypting the connection (libpq's default
/// `sslmode=prefer`) costs time on every query and protects nothing; an explicit `sslmode` wins.
fn is_loopback(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else { return false };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    matches!(host, "127.0.0.1" | "localhost" | "::1")
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_once('/').map_or((rest, ""), |(a, t)| (a, t));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let shown = if userinfo.contains(':') { format!("{user}:***") } else { user.to_owned() };
            if tail.is_empty() && !rest.contains('/') {
                format!("{scheme}://{shown}@{host}")
            } else {
                format!("{scheme}://{shown}@{host}/{tail}")
            }
        }
        None => url.to_owned(),
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_connections_are_not_encrypted_unless_asked() {
        let connect = |url: &str| DatabaseUrl::Postgres(url.into()).connect_string();
        assert_eq!(
            connect("postgres://u@127.0.0.1:5432/db"),
            "postgres://u@127.0.0.1:5432/db?sslmode=disable"
        );
        assert_eq!(
            connect("postgres://u:p@localhost/db?x=1"),
            "postgres://u:p@localhost/db?x=1&sslmode=disable"
        );
        assert_eq!(connect("postgres://[::1]:5432/db"), "postgres://[::1]:5432/db?sslmode=disable");
        assert_eq!(
            connect("postgres://u@127.0.0.1/db?sslmode=require"),
            "postgres://u@127.0.0.1/db?sslmode=require"
        );
        assert_eq!(connect("postgres://u@db.example.org/db"), "postgres://u@db.example.org/db");
        assert_eq!(
            connect("postgres://127.0.0.1@db.example.org/db"),
            "postgres://127.0.0.1@db.example.org/db"
        );
    }

    #[test]
    fn parses_both_schemes() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://./data/datahavn.db").ok(),
            Some(DatabaseUrl::Sqlite(PathBuf::from("./data/datahavn.db")))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/x.db").ok(),
            Some(DatabaseUrl::Sqlite(PathBuf::from("/var/lib/x.db")))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://postgres@127.0.0.1/test"),
            Ok(DatabaseUrl::Postgres(_))
        ));
    }

    #[test]
    fn refuses_unknown_schemes_and_bare_paths() {
        for bad in ["mysql://root@localhost/x", "./data/datahavn.db", "sqlite:", "sqlite://"] {
            assert!(matches!(DatabaseUrl::parse(bad), Err(StorageError::BadUrl(_))), "{bad}");
        }
    }

    #[test]
    fn hides_passwords() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db:5432/datahavn").ok();
        let shown = url.map(|u| format!("{u:?}")).unwrap_or_default();
        assert_eq!(shown, "postgres://app:***@db:5432/datahavn");
        assert!(!shown.contains("s3cret"));
    }
}
